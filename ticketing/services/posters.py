"""Screening posters: checked to be an image, resized, stored under instance/posters/.

An upload is opened with Pillow and refused unless it is a whole image of a known format, of
reasonable size in bytes and in pixels (a small file can unpack into gigabytes: a
decompression bomb). What is kept is a fresh JPEG, turned upright and fitted into 800 x 1200,
named after the screening and a hash of its content: the name changes whenever the image does,
so the file can be cached by browsers for a year.
"""
import hashlib
import os
import re
import tempfile
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from ..database import write_transaction
from ..errors import InvalidInputError, NotFoundError
from ..extensions import db
from ..models import Screening
from . import audit
from .seats import lock_screening

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 40 megapixels: above any camera's poster, far below a bomb
BOX = (800, 1200)
FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
NAME = re.compile(r"[0-9]{1,10}-[0-9a-f]{16}\.jpg")


def folder():
    """Return the folder that holds the posters (created on first use)."""
    return Path(current_app.instance_path) / "posters"


def poster_path(name):
    """Return the path of a stored poster, or None if `name` is not one (strict pattern)."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        return None
    path = folder() / name
    return path if path.is_file() else None


@lru_cache(maxsize=1024)
def _size_of(path_text, _mtime):
    with Image.open(path_text) as image:
        return image.size


def poster_size(name):
    """Return (width, height) of a stored poster, or None; for the img tag's attributes."""
    path = poster_path(name)
    if path is None:
        return None
    return _size_of(str(path), path.stat().st_mtime_ns)


def _refuse(message):
    raise InvalidInputError({"poster": message})


def _read(upload):
    """Read at most MAX_BYTES + 1 bytes of an upload (a file storage, a stream or bytes)."""
    if upload is None or getattr(upload, "filename", None) == "":
        _refuse(_("Choose an image file to upload."))
    if isinstance(upload, (bytes, bytearray)):
        data = bytes(upload[: MAX_BYTES + 1])
    else:
        data = getattr(upload, "stream", upload).read(MAX_BYTES + 1)
    if not data:
        _refuse(_("Choose an image file to upload: this one is empty."))
    if len(data) > MAX_BYTES:
        _refuse(_("This file is larger than %(mb)d MB. Please upload a smaller image.", mb=MAX_BYTES // (1024 * 1024)))
    return data


def render_poster(data):
    """Return the poster as JPEG bytes made from an uploaded image. Raises InvalidInputError."""
    not_an_image = _("This file is not an image we can read (JPEG, PNG, WebP or GIF), or it is damaged.")
    too_big = _("This image has too many pixels (more than %(n)d million). Please upload a smaller one.",
                n=MAX_PIXELS // 1_000_000)
    # The pixel count is checked from the header before anything is decoded; Pillow's own
    # decompression-bomb guard stands behind it (no process-wide warning filters: threads).
    try:
        with Image.open(BytesIO(data)) as probe:
            if probe.format not in FORMATS:
                _refuse(not_an_image)
            if probe.width * probe.height > MAX_PIXELS:
                _refuse(too_big)
            probe.verify()  # checks the file's structure; the image must be opened again
        with Image.open(BytesIO(data)) as image:
            image.draft("RGB", (BOX[0] * 2, BOX[1] * 2))  # JPEG: decode at a smaller scale
            image.load()  # a truncated file fails here
            upright = ImageOps.exif_transpose(image)
            picture = _rgb(upright)
            picture.thumbnail(BOX, Image.Resampling.LANCZOS)
            out = BytesIO()
            picture.save(out, "JPEG", quality=85, optimize=True, progressive=True)
            return out.getvalue()
    except Image.DecompressionBombError:
        _refuse(too_big)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError):
        _refuse(not_an_image)


def _rgb(image):
    """Return the image in RGB; transparent parts become white, not black."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _write(name, jpeg):
    target = folder() / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return False
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(jpeg)
    os.replace(temporary, target)  # readers see no file or the whole file
    return True


def _delete(name):
    path = poster_path(name)
    if path is not None:
        path.unlink(missing_ok=True)


def save_poster(screening_id, upload, user_id=None):
    """Store an uploaded image as the screening's poster; return the new file name.

    The old poster's file is removed once the new one is recorded.
    Raises NotFoundError, InvalidInputError (field "poster": empty, too large, not an image,
    damaged, too many pixels).
    """
    if db.session.get(Screening, screening_id) is None:
        raise NotFoundError()
    jpeg = render_poster(_read(upload))
    name = f"{screening_id}-{hashlib.sha256(jpeg).hexdigest()[:16]}.jpg"
    created = _write(name, jpeg)
    try:
        with write_transaction() as session:
            screening = lock_screening(session, screening_id)
            old = screening.poster
            screening.poster = name
            session.flush()
            audit.record(session, user_id, "screening.poster", screening, poster=name, previous=old)
    except BaseException:
        if created:
            _delete(name)
        raise
    if old and old != name:
        _delete(old)
    return name


def remove_poster(screening_id, user_id=None):
    """Take the poster off a screening and delete its file; return the old name ("" if none).

    Raises NotFoundError.
    """
    with write_transaction() as session:
        screening = lock_screening(session, screening_id)
        old = screening.poster
        if old:
            screening.poster = ""
            session.flush()
            audit.record(session, user_id, "screening.poster_remove", screening, previous=old)
    if old:
        _delete(old)
    return old
