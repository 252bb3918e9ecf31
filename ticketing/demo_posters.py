"""Posters for the demo festival, drawn when the demo is loaded (issue 19): typographic, made here,
no copyrighted image. A film's title in its own script over a steppe at sunset, its Latin title,
director and year; each film its own colours."""
import io
from functools import lru_cache

from PIL import Image, ImageDraw

from .public.sharing import font, wrap

SIZE = (800, 1200)
PALETTES = (  # sky, sun, steppe, ink
    ("#12355b", "#f2b134", "#2e5e4e", "#ffffff"),
    ("#5b1a18", "#f4d35e", "#8a3b12", "#ffffff"),
    ("#1d3b2a", "#e8e1c4", "#4f7942", "#ffffff"),
)


@lru_cache(maxsize=16)
def poster_png(font_dir, title, original_title, credits, palette):
    """A PNG poster: `original_title` (or the title) large, `title` and `credits` below."""
    sky, sun, steppe, ink = PALETTES[palette % len(PALETTES)]
    width, height = SIZE
    poster = Image.new("RGB", SIZE, sky)
    draw = ImageDraw.Draw(poster)
    draw.ellipse((width // 2 - 170, 330, width // 2 + 170, 670), fill=sun)  # the sun on the horizon
    draw.rectangle((0, 560, width, height), fill=steppe)
    for band, y in enumerate(range(600, 760, 40)):  # the steppe's long shadows
        draw.rectangle((0, y, width, y + 6 + 2 * band), fill=sky)
    big, middle, small = font(font_dir, True, 92), font(font_dir, True, 44), font(font_dir, False, 34)
    y = 80
    for line in wrap(draw, original_title or title, big, width - 120, 3):
        draw.text((width // 2, y), line, font=big, fill=ink, anchor="mt")
        y += 108
    y = 820
    if original_title and original_title != title:
        for line in wrap(draw, title, middle, width - 120, 3):
            draw.text((width // 2, y), line, font=middle, fill=ink, anchor="mt")
            y += 58
    for number, line in enumerate(wrap(draw, credits, small, width - 120, 2)):
        draw.text((width // 2, height - 140 + 44 * number), line, font=small, fill=ink, anchor="mt")
    out = io.BytesIO()
    poster.save(out, "PNG")
    return out.getvalue()
