"""Browser test support: Debian's Chromium driven by Playwright, and the app served over HTTP.

Browser tests skip when Chromium or Playwright is missing, and the camera and accessibility tests
when the npm packages they need are (zxing-wasm, the door's decoder; axe-core), unless CI=true or
TICKETING_REQUIRE_BROWSER=1 (set by .ci/run), which make a missing part a failure.
"""
import io
import json
import os
import re
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

from conftest import make_test_app, missing
from factories import PASSWORD
from ticketing.extensions import db

CHROMIUM = os.environ.get("TICKETING_CHROMIUM", "/usr/bin/chromium")
NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
DECODER = NODE_MODULES / "zxing-wasm" / "dist" / "reader" / "zxing_reader.wasm"  # served to the door page
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def log_in(page, email, then=None, password=PASSWORD):
    """Fill the staff login form open on `page`, press Log in, and wait for the page it leads to
    when `then` (a pattern of the URL's end, like r"/staff/$") is given."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    if then:
        page.wait_for_url(re.compile(then))


@pytest.fixture(scope="session")
def playwright():
    """One Playwright driver for the whole run (the sync API allows only one at a time)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("browser", "Playwright is not installed")
    if not Path(CHROMIUM).exists():
        missing("browser", f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright):
    """One Chromium per test process; each test opens its own context (its own cookies, storage
    and service workers)."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def camera(playwright, tmp_path_factory):
    """A Chromium whose fake camera films `camera.video`, a Y4M file that a test writes first.

    Chromium opens the file when a page starts capturing, so each test can show a new picture.
    Needs the door's decoder from npm (zxing-wasm): without it the door cannot read a camera.
    """
    if not DECODER.exists():
        missing("browser", "the door's camera decoder is not installed (npm ci installs zxing-wasm)")
    video = tmp_path_factory.mktemp("camera") / "camera.y4m"
    write_y4m(video, None)
    args = CHROMIUM_ARGS + [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
    yield SimpleNamespace(browser=browser, video=video)
    browser.close()


def write_y4m(path, png_bytes, width=640, height=480):
    """Write one 4:2:0 Y4M frame (Chromium loops it) showing the PNG centred on white, or blank."""
    from PIL import Image

    frame = Image.new("L", (width, height), 255)
    if png_bytes:
        picture = Image.open(io.BytesIO(png_bytes)).convert("L")
        frame.paste(picture, ((width - picture.width) // 2, (height - picture.height) // 2))
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    header = f"YUV4MPEG2 W{width} H{height} F15:1 Ip A1:1 C420jpeg\nFRAME\n".encode()
    Path(path).write_bytes(header + frame.tobytes() + chroma + chroma)


@pytest.fixture
def live(sqlite_template, tmp_path):
    """The app with the demo festival, served over HTTP on a free local port."""
    path = tmp_path / "live.sqlite3"
    shutil.copy(sqlite_template, path)
    app = make_test_app(f"sqlite:///{path}", tmp_path)
    with app.app_context():
        from ticketing.demo import load_demo

        load_demo()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="en-GB")
    page = context.new_page()
    yield page
    context.close()




def assert_accessible_on_a_phone(page, name):
    """Run axe-core on the open page: no serious or critical violation, no sideways scrolling."""
    if not AXE.exists():
        missing("browser", "axe-core is not installed (npm ci)")
    # A click that navigates returns once the new page has begun: axe must read it whole (it once
    # found the programme's filter button before its text had been parsed).
    page.wait_for_load_state()
    page.evaluate(AXE.read_text())  # DevTools evaluation: the page's CSP refuses an inline <script>
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{name}: " + json.dumps([(v["id"], v["help"]) for v in bad])
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name} scrolls sideways on a phone ({width}px)"


# Every word of the page's visible text, and the lines it is laid out on: a word on two lines is
# split (a break after a dash or a slash is a line break between words, not a split).
_SPLIT_WORDS = """() => {
  const split = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!element || element.closest("script, style, svg, .visually-hidden, .token") || !element.getClientRects().length) continue;
    const pieces = /[^\\s\\-\\/\\u2013\\u2014\\u00b7]+/g;
    for (let match = pieces.exec(node.textContent); match; match = pieces.exec(node.textContent)) {
      if (match[0].length < 2) continue;
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.bottom)));
      if (lines.size > 1) split.push(match[0]);
    }
  }
  return split;
}"""


def assert_laid_out_whole(page, name):
    """No sideways scrolling of the page, and no word split across two lines."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{name} scrolls sideways at {viewport}px ({width}px)"
    split = page.evaluate(_SPLIT_WORDS)
    assert split == [], f"{name} at {viewport}px splits words across lines: {split[:10]}"


def switch_language(page, name):
    """Choose the language `name` (as written in itself) from the header, as a person would: in
    the phone's menu when the header shows it, else in the row of languages."""
    menu = page.locator(".language-menu summary")
    if menu.is_visible():
        menu.click()
        page.locator(".language-menu").get_by_role("link", name=name).click()
    else:
        page.get_by_role("navigation", name="Language").get_by_role("link", name=name).click()
