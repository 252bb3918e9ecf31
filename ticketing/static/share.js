// "Tell a friend" (issue 19): the page's plain links work without this script; with it, the
// phone's own share sheet where the browser has the Web Share API, and a button that copies the
// link where it has the Clipboard API.
(() => {
  "use strict";
  const box = document.querySelector("[data-share-url]");
  if (!box) return;
  const url = box.dataset.shareUrl;
  const text = box.dataset.shareText;
  const share = box.querySelector("[data-share]");
  if (navigator.share) {
    share.closest(".share-native").hidden = false;
    share.addEventListener("click", () => {
      navigator.share({ title: text, text, url }).catch(() => {}); // closing the sheet is no error
    });
  }
  const copy = box.querySelector("[data-copy]");
  const status = box.querySelector(".share-status");
  if (navigator.clipboard && window.isSecureContext) {
    copy.hidden = false;
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(url);
        status.textContent = status.dataset.copied;
      } catch (error) {
        box.querySelector("#share-url").select(); // the person copies it by hand
      }
    });
  }
  box.querySelector("#share-url").addEventListener("focus", (event) => event.target.select());
})();
