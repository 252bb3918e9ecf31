"""Uploaded pictures: a screening's poster, a festival's logo and cover image. Each is checked
to be an image, resized and stored under instance/posters/.

An upload is opened with Pillow and refused unless it is a whole image of a known format, of
reasonable size in bytes and in pixels (a small file can unpack into gigabytes: a
decompression bomb). What is kept is a fresh file, turned upright and fitted into its kind's box:
a poster a JPEG in 800 x 1200, a cover a JPEG in 1600 x 900, a logo a PNG in 600 x 240 (a logo
keeps its transparent parts). It is named after its screening or event and a hash of its content:
the name changes whenever the image does, so the file can be cached by browsers for a year.
"""
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from ..database import write_transaction
from ..errors import InvalidInputError, NotFoundError
from ..extensions import db
from ..models import Event, Screening
from . import audit
from .events import lock_event
from .seats import lock_screening

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 40 megapixels: above any camera's poster, far below a bomb
FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


@dataclass(frozen=True)
class Kind:
    """A kind of picture: the box it is fitted into, the format it is kept in."""

    field: str  # the form field and audit word: poster, logo, cover
    box: tuple
    format: str  # JPEG or PNG

    @property
    def extension(self):
        return "png" if self.format == "PNG" else "jpg"

    @property
    def mimetype(self):
        return f"image/{'png' if self.format == 'PNG' else 'jpeg'}"


POSTER = Kind("poster", (800, 1200), "JPEG")
COVER = Kind("cover", (1600, 900), "JPEG")
LOGO = Kind("logo", (600, 240), "PNG")
NAME = re.compile(r"(?:[0-9]{1,10}|event-[0-9]{1,10}-cover)-[0-9a-f]{16}\.jpg|event-[0-9]{1,10}-logo-[0-9a-f]{16}\.png")


def folder():
    """Return the folder that holds the pictures (created on first use)."""
    return Path(current_app.instance_path) / "posters"


def picture_path(name):
    """Return the path of a stored picture, or None if `name` is not one (strict pattern)."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        return None
    path = folder() / name
    return path if path.is_file() else None


@lru_cache(maxsize=1024)
def _size_of(path_text, _mtime):
    with Image.open(path_text) as image:
        return image.size


def mimetype(name):
    """The media type of a stored picture's name."""
    return LOGO.mimetype if name.endswith(".png") else POSTER.mimetype


def picture_size(name):
    """Return (width, height) of a stored picture, or None; for the img tag's attributes."""
    path = picture_path(name)
    if path is None:
        return None
    return _size_of(str(path), path.stat().st_mtime_ns)


def _refuse(message, field="poster"):
    raise InvalidInputError({field: message})


def _read(upload, field="poster"):
    """Read at most MAX_BYTES + 1 bytes of an upload (a file storage, a stream or bytes)."""
    if upload is None or getattr(upload, "filename", None) == "":
        _refuse(_("Choose an image file to upload."), field)
    if isinstance(upload, (bytes, bytearray)):
        data = bytes(upload[: MAX_BYTES + 1])
    else:
        data = getattr(upload, "stream", upload).read(MAX_BYTES + 1)
    if not data:
        _refuse(_("Choose an image file to upload: this one is empty."), field)
    if len(data) > MAX_BYTES:
        _refuse(_("This file is larger than %(mb)d MB. Please upload a smaller image.", mb=MAX_BYTES // (1024 * 1024)),
                field)
    return data


def render_picture(data, kind):
    """Return the picture of `kind` made from an uploaded image (bytes in kind.format).
    Raises InvalidInputError on kind.field."""
    not_an_image = _("This file is not an image we can read (JPEG, PNG, WebP or GIF), or it is damaged.")
    too_big = _("This image has too many pixels (more than %(n)d million). Please upload a smaller one.",
                n=MAX_PIXELS // 1_000_000)
    # The pixel count is checked from the header before anything is decoded; Pillow's own
    # decompression-bomb guard stands behind it (no process-wide warning filters: threads).
    try:
        with Image.open(BytesIO(data)) as probe:
            if probe.format not in FORMATS:
                _refuse(not_an_image, kind.field)
            if probe.width * probe.height > MAX_PIXELS:
                _refuse(too_big, kind.field)
            probe.verify()  # checks the file's structure; the image must be opened again
        with Image.open(BytesIO(data)) as image:
            image.draft("RGB", (kind.box[0] * 2, kind.box[1] * 2))  # JPEG: decode at a smaller scale
            image.load()  # a truncated file fails here
            upright = ImageOps.exif_transpose(image)
            picture = _rgba(upright) if kind.format == "PNG" else _rgb(upright)
            picture.thumbnail(kind.box, Image.Resampling.LANCZOS)
            out = BytesIO()
            if kind.format == "PNG":
                picture.save(out, "PNG", optimize=True)
            else:
                picture.save(out, "JPEG", quality=85, optimize=True, progressive=True)
            return out.getvalue()
    except Image.DecompressionBombError:
        _refuse(too_big, kind.field)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError):
        _refuse(not_an_image, kind.field)


def _rgb(image):
    """Return the image in RGB; transparent parts become white, not black."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _rgba(image):
    """Return the image in RGBA when it has transparent parts, else in RGB (a smaller PNG)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        return image.convert("RGBA")
    return image.convert("RGB")


def _write(name, data):
    target = folder() / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return False
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, target)  # readers see no file or the whole file
    return True


def _delete(name):
    path = picture_path(name)
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
    return _store(lock_screening, screening_id, POSTER, upload, str(screening_id), "screening.poster", user_id)


def remove_poster(screening_id, user_id=None):
    """Take the poster off a screening and delete its file; return the old name ("" if none).

    Raises NotFoundError.
    """
    return _take_off(lock_screening, screening_id, POSTER, "screening.poster", user_id)


def save_event_picture(event_id, kind, upload, user_id=None):
    """Store an uploaded image as the event's logo or cover (`kind` LOGO or COVER); return its
    file name. The old file is removed once the new one is recorded.
    Raises NotFoundError, InvalidInputError (on field "logo" or "cover", as save_poster)."""
    if db.session.get(Event, event_id) is None:
        raise NotFoundError()
    return _store(lock_event, event_id, kind, upload, f"event-{event_id}-{kind.field}", f"event.{kind.field}", user_id)


def remove_event_picture(event_id, kind, user_id=None):
    """Take the logo or cover off an event and delete its file; return the old name ("" if none).
    Raises NotFoundError."""
    return _take_off(lock_event, event_id, kind, f"event.{kind.field}", user_id)


def _store(lock, owner_id, kind, upload, prefix, action, user_id):
    """Render the upload as a `kind` picture, write its file, and record it on the owner (locked
    by lock(session, owner_id)) with its audit entry; the file of the one it replaces goes."""
    data = render_picture(_read(upload, kind.field), kind)
    name = f"{prefix}-{hashlib.sha256(data).hexdigest()[:16]}.{kind.extension}"
    created = _write(name, data)
    try:
        with write_transaction() as session:
            owner = lock(session, owner_id)
            old = getattr(owner, kind.field)
            setattr(owner, kind.field, name)
            session.flush()
            audit.record(session, user_id, action, owner, **{kind.field: name, "previous": old})
    except BaseException:
        if created:
            _delete(name)
        raise
    if old and old != name:
        _delete(old)
    return name


def _take_off(lock, owner_id, kind, action, user_id):
    with write_transaction() as session:
        owner = lock(session, owner_id)
        old = getattr(owner, kind.field)
        if old:
            setattr(owner, kind.field, "")
            session.flush()
            audit.record(session, user_id, f"{action}_remove", owner, previous=old)
    if old:
        _delete(old)
    return old
