// The door's camera (door.js): QR codes read from the video, with the browser's own
// BarcodeDetector where it has one, else zxing-wasm (served by the app from npm, `vendor`).
window.DoorCamera = (() => {
  "use strict";

  async function decoder(vendor) {
    if ("BarcodeDetector" in window) {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) {
        const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return async (source) => (await detector.detect(source)).map((found) => found.rawValue);
      }
    }
    if (!window.ZXingWASM) return null;
    window.ZXingWASM.prepareZXingModule({
      overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? vendor + path : prefix + path) },
    });
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    return async (source) => {
      canvas.width = source.videoWidth;
      canvas.height = source.videoHeight;
      context.drawImage(source, 0, 0);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = await window.ZXingWASM.readBarcodes(image, { formats: ["QRCode"], maxNumberOfSymbols: 1, tryHarder: true });
      return found.filter((barcode) => barcode.isValid).map((barcode) => barcode.text);
    };
  }

  // Show the back camera in `video` and read it about eight times a second while `idle()`;
  // `onCode(text)` gets each code read, and is waited for before the next reading.
  async function start(video, { vendor, idle, onCode }) {
    const read = await decoder(vendor);
    if (!read || !navigator.mediaDevices) throw new Error("no decoder");
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    video.hidden = false;
    await video.play();
    const tick = async () => {
      if (video.readyState >= 2 && idle()) {
        for (const text of await read(video)) await onCode(text);
      }
      setTimeout(tick, 120);
    };
    tick();
  }

  return { start };
})();
