"""Camera-to-verdict latency: from the first camera frame with a ticket's QR to the verdict on screen.

Serves the demo festival, books tickets, and for each one writes a fake-camera video of its QR,
opens the door page in Debian's Chromium (fake camera), starts the camera and measures, inside the
page, the time from the video's first frame to the verdict turning *admitted*. Prints the median
and the spread over the tickets.

    .venv/bin/python bench/camera_latency.py [--tickets 15]
"""
import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import sqlalchemy as sa  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from browser_support import CHROMIUM, CHROMIUM_ARGS, write_y4m  # noqa: E402
from ticketing import create_app  # noqa: E402
from ticketing.extensions import db  # noqa: E402
from ticketing.models import Ticket  # noqa: E402
from ticketing.services import booking, tickets  # noqa: E402
from ticketing.services.accounts import create_user  # noqa: E402

PASSWORD = "a long enough secret"
MEASURE = """() => new Promise((resolve) => {
  const video = document.getElementById("camera");
  const verdict = document.getElementById("verdict");
  let shown = null;
  const frame = () => { shown = performance.now(); };
  video.requestVideoFrameCallback ? video.requestVideoFrameCallback(frame) : video.addEventListener("playing", frame, { once: true });
  new MutationObserver(() => {
    if (verdict.dataset.state === "admitted" && shown !== null) resolve(performance.now() - shown);
  }).observe(verdict, { attributes: true });
  document.getElementById("camera-toggle").click();
})"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=15)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        import os

        os.environ["TICKETING_INSTANCE_PATH"] = folder
        app = create_app({"DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3", "SECRET_KEY": "bench"})
        with app.app_context():
            from flask_migrate import upgrade

            from ticketing.demo import load_demo

            upgrade()
            load_demo()
            create_user("door@example.org", "door", PASSWORD)
            codes = []
            for i in range(args.tickets):
                result = booking.book(1, f"Person {i}", f"p{i}@example.org", 1)
                codes.append(db.session.scalar(sa.select(Ticket.code).where(Ticket.registration_id == result.registration.id)))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        video = Path(folder) / "camera.y4m"
        write_y4m(video, None)
        fake = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"]
        timings = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + fake)
            page = browser.new_context(viewport={"width": 360, "height": 780}).new_page()
            page.goto(base + "/staff/login")
            page.get_by_label("Email").fill("door@example.org")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(base + "/staff/")
            for code in codes:
                write_y4m(video, tickets.render_qr_png(code))
                page.goto(base + "/staff/door/1")
                page.wait_for_function("window.ZXingWASM !== undefined")
                timings.append(page.evaluate(MEASURE))
            browser.close()
        server.shutdown()
    first, rest = timings[0], timings[1:]
    print(f"camera to verdict, {len(timings)} tickets, {time.strftime('%Y-%m-%d')}:")
    print(f"  first scan (decoder loading): {first:.0f} ms")
    print(f"  then: median {statistics.median(rest):.0f} ms, min {min(rest):.0f} ms, max {max(rest):.0f} ms")


if __name__ == "__main__":
    main()
