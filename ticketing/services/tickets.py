"""Ticket codes and their QR images; the only module that uses qrcode.

A ticket code is 16 bytes from `secrets` (128 bits, R4) written in RFC 4648 base32 without
padding: 26 characters from A-Z and 2-7. The QR payload is the code alone, so that the QR uses
its compact alphanumeric mode. The format is versioned by its shape: a later format will start
with a digit that base32 never uses (0, 1, 8 or 9).
"""
import base64
import io
import re
import secrets
from functools import lru_cache

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

CODE_BYTES = 16
CODE_LENGTH = 26
SHORT_LENGTH = 8
_CODE_SHAPE = re.compile(r"[A-Z2-7]{26}")
_SHORT_SHAPE = re.compile(r"[A-Z2-7]{8}")
_QR_CACHE_SIZE = 4096


def new_code():
    """Return a fresh ticket code carrying 128 random bits."""
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii").rstrip("=")


def new_secret():
    """Return a fresh self-service secret for a registration's private link (192 bits)."""
    return secrets.token_urlsafe(24)


def short_code(code):
    """Return the human-readable short form shown under the QR: ABCD-EFGH."""
    return f"{code[:4]}-{code[4:SHORT_LENGTH]}"


def normalize_code(text):
    """Return a typed or scanned code in canonical form, or None if it cannot be a code."""
    if not isinstance(text, str):
        return None
    cleaned = re.sub(r"[\s-]", "", text).upper()
    return cleaned if _CODE_SHAPE.fullmatch(cleaned) else None


def normalize_short_code(text):
    """Return a typed short code (ABCD-EFGH, any case, with or without the dash or spaces) as
    the code's first eight characters, or None if it cannot be one."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    cleaned = re.sub(r"[\s-]", "", text).upper()
    return cleaned if _SHORT_SHAPE.fullmatch(cleaned) else None


def build_qr(code):
    """Return the QR symbol of `code` (alphanumeric mode, error correction M)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, box_size=10)
    qr.add_data(code)
    qr.make(fit=True)
    return qr


@lru_cache(maxsize=_QR_CACHE_SIZE)
def render_qr_svg(code):
    """Return the QR of `code` as an inline <svg> element (rendered once per code, then kept)."""
    image = build_qr(code).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    svg = svg[svg.index("<svg"):]  # inline: no XML declaration
    return svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)


@lru_cache(maxsize=_QR_CACHE_SIZE)
def render_qr_png(code):
    """Return the QR of `code` as PNG bytes (rendered once per code, then kept)."""
    buffer = io.BytesIO()
    build_qr(code).make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def qr_modules(code):
    """Return the QR of `code` as rows of booleans (True: dark), quiet zone included."""
    return build_qr(code).get_matrix()
