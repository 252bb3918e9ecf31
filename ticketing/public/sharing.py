"""What a shared link shows (issue 19): the site's icons, and the 1200 x 630 card that chat apps and
social sites show beside a link to an event or a screening, drawn here with Pillow (no service).

The shapes follow static/icon.svg (a ticket on the site's blue). Texts are drawn with DejaVu Sans
(TICKET_FONT_DIR, as the PDF tickets), which covers Kazakh, Russian and Turkish letters.
"""
import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from ..services import colours

ACCENT = colours.HOUSE
ICON_SIZES = (32, 180, 192, 512)  # the tab, Apple's home screen, the manifest's two
FAVICON_SIZES = (16, 32, 48)
CARD_SIZE = (1200, 630)
_MARGIN = 64


def _ticket_icon(size):
    """The site's icon, `size` pixels square: a ticket on the site's blue (static/icon.svg)."""
    scale = 4 * size / 512  # drawn four times larger, then scaled down: smooth edges
    big = Image.new("RGBA", (4 * size, 4 * size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)
    at = lambda *xy: [round(v * scale) for v in xy]  # noqa: E731  (the SVG's 512-unit grid)
    draw.rounded_rectangle(at(0, 0, 511, 511), radius=round(96 * scale), fill=ACCENT)
    draw.rectangle(at(96, 160, 416, 352), fill="#ffffff")
    for cx in (96, 416):  # the ticket's notches
        draw.ellipse(at(cx - 32, 224, cx + 32, 288), fill=ACCENT)
    for y in range(184, 340, 28):  # the perforation
        draw.rectangle(at(318, y, 330, y + 14), fill=ACCENT)
    return big.resize((size, size), Image.LANCZOS)


@lru_cache(maxsize=len(ICON_SIZES))
def icon_png(size):
    """The site's icon as PNG bytes."""
    out = io.BytesIO()
    _ticket_icon(size).save(out, "PNG")
    return out.getvalue()


@lru_cache(maxsize=1)
def favicon_ico():
    """/favicon.ico: the icon at 16, 32 and 48 pixels in one ICO file."""
    out = io.BytesIO()
    _ticket_icon(max(FAVICON_SIZES)).save(out, "ICO", sizes=[(s, s) for s in FAVICON_SIZES])
    return out.getvalue()


def font(font_dir, bold, size):
    path = Path(font_dir) / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:  # no DejaVu: Pillow's own font, which has fewer letters
        return ImageFont.load_default(size)


def wrap(draw, text, font, width, most):
    """`text` cut into at most `most` lines no wider than `width` (words kept whole where they
    fit; the last line ends with an ellipsis when text is left over)."""
    words, lines, line = text.split(), [], ""
    for word in words:
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) <= width:
            line = trial
            continue
        if line:
            lines.append(line)
        line = word
        while draw.textlength(line, font=font) > width:  # a word longer than the line
            cut = len(line)
            while cut > 1 and draw.textlength(line[:cut], font=font) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line:
        lines.append(line)
    if len(lines) > most:
        lines = lines[:most]
        last = lines[-1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


@lru_cache(maxsize=64)  # a shared link is fetched by every chat app that shows it; a picture's name holds its hash
def card_png(font_dir, kicker, title, details, poster=None, colour=ACCENT, cover=None):
    """The 1200 x 630 PNG shown beside a shared link: `kicker` (the festival's name) above the
    `title`, then `details` (a few short lines: when, where), and the poster (a file path) on the
    right when there is one, else the site's ticket; on the festival's `colour`. With a `cover`
    (a file path) the cover fills the card, the words on a dark band across it."""
    width, height = CARD_SIZE
    card = Image.new("RGB", CARD_SIZE, colour)
    if cover is not None:
        with Image.open(cover) as image:
            card = ImageOps.fit(image.convert("RGB"), CARD_SIZE, Image.LANCZOS)
        shade = Image.new("RGBA", CARD_SIZE, (0, 0, 0, 0))
        ImageDraw.Draw(shade).rectangle((0, 0, width * 2 // 3, height), fill=(0, 0, 0, 170))
        card = Image.alpha_composite(card.convert("RGBA"), shade).convert("RGB")
        left = width * 2 // 3 + _MARGIN
    elif poster is not None:
        with Image.open(poster) as image:
            image = image.convert("RGB")
            image.thumbnail((width // 3, height - 2 * _MARGIN))
            left = width - _MARGIN - image.width
            card.paste(image, (left, (height - image.height) // 2))
    else:
        icon = _ticket_icon(300)
        left = width - _MARGIN - icon.width
        card.paste(icon, (left, (height - icon.height) // 2), icon)
    draw = ImageDraw.Draw(card)
    text_width = left - 2 * _MARGIN
    y = _MARGIN
    small, big, plain = font(font_dir, True, 34), font(font_dir, True, 68), font(font_dir, False, 36)
    for line in wrap(draw, kicker, small, text_width, 1):
        draw.text((_MARGIN, y), line, font=small, fill="#e8eef5")
        y += 56
    y += 12
    for line in wrap(draw, title, big, text_width, 3):
        draw.text((_MARGIN, y), line, font=big, fill="#ffffff")
        y += 84
    y += 16
    for detail in details:
        for line in wrap(draw, detail, plain, text_width, 2):
            if y + 44 > height - _MARGIN // 2:
                break
            draw.text((_MARGIN, y), line, font=plain, fill="#ffffff")
            y += 48
    out = io.BytesIO()
    card.save(out, "PNG", optimize=True)
    return out.getvalue()
