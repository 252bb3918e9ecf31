"""The installable door's assets: its icon drawn as PNG, and a version for its service worker."""
import hashlib
import io
from functools import lru_cache
from pathlib import Path

ICON_SIZES = (192, 512)


@lru_cache(maxsize=len(ICON_SIZES))
def icon_png(size):
    """The door's icon as PNG bytes, `size` pixels square, drawn like static/door-icon.svg."""
    from PIL import Image, ImageDraw

    scale = 4 * size / 512  # drawn four times larger, then scaled down: smooth edges
    big = Image.new("RGBA", (4 * size, 4 * size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)
    at = lambda *xy: [round(v * scale) for v in xy]  # noqa: E731  (the SVG's 512-unit grid)
    draw.rounded_rectangle(at(0, 0, 511, 511), radius=round(96 * scale), fill="#0b5cad")
    draw.rectangle(at(96, 160, 416, 352), fill="#ffffff")
    for cx in (96, 416):  # the ticket's notches
        draw.ellipse(at(cx - 32, 224, cx + 32, 288), fill="#0b5cad")
    draw.line(at(196, 258, 240, 302, 320, 214), fill="#136f2d", width=round(36 * scale), joint="curve")
    out = io.BytesIO()
    big.resize((size, size), Image.LANCZOS).save(out, "PNG")
    return out.getvalue()


def contents_hash(paths):
    """A short hash of the files' contents (cached while their sizes and times stay the same)."""
    stamps = tuple((str(path), *_stamp(path)) for path in paths)
    return _hash_of(stamps)


def _stamp(path):
    try:
        stat = path.stat()
    except OSError:
        return (0, 0)
    return (stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _hash_of(stamps):
    digest = hashlib.sha256()
    for path, *_stamps in stamps:
        file = Path(path)
        digest.update(file.read_bytes() if file.is_file() else b"")
    return digest.hexdigest()[:16]
