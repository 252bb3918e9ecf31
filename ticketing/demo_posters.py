"""Posters for the demo festival, drawn when the demo is loaded (issue 19): typographic, made here,
no copyrighted image. A film's title in its own script over a steppe at sunset, its Latin title,
director and year; each film its own colours."""
import io
from functools import lru_cache

from PIL import Image, ImageDraw

from .public.sharing import font, wrap
from .services import colours

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


FESTIVAL_COLOUR = "#00718a"  # the sky blue of Kazakhstan's flag, darkened until white text on it reads (AA)
GOLD = "#f2b134"


@lru_cache(maxsize=4)
def logo_png(font_dir, line_one, line_two):
    """A PNG logo on a transparent ground: a golden sun with its rays, and two lines of words."""
    logo = Image.new("RGBA", (600, 240), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    centre, radius = (120, 120), 62
    for ray in range(16):  # the flag's sun has its rays; a few are enough at this size
        angle = ray * 360 / 16
        draw.pieslice((centre[0] - 104, centre[1] - 104, centre[0] + 104, centre[1] + 104),
                      angle - 4, angle + 4, fill=GOLD)
    draw.ellipse((centre[0] - radius - 10, centre[1] - radius - 10, centre[0] + radius + 10, centre[1] + radius + 10),
                 fill=(0, 0, 0, 0))
    draw.ellipse((centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius), fill=GOLD)
    big, small = font(font_dir, True, 56), font(font_dir, False, 34)
    for size in range(56, 20, -2):  # the first line as large as fits beside the sun
        big = font(font_dir, True, size)
        if draw.textlength(line_one, font=big) <= 600 - 250 - 12:
            break
    draw.text((250, 118), line_one, font=big, fill=FESTIVAL_COLOUR, anchor="ls")
    draw.text((252, 170), line_two, font=small, fill="#1a1a1a", anchor="ls")
    out = io.BytesIO()
    logo.save(out, "PNG")
    return out.getvalue()


@lru_cache(maxsize=2)
def cover_png():
    """A wide cover: the steppe under a low sun, the sky in the festival's colour, hills behind."""
    width, height = 1600, 900
    cover = Image.new("RGB", (width, height), FESTIVAL_COLOUR)
    draw = ImageDraw.Draw(cover)
    for band in range(12):  # the sky lightening towards the horizon
        top = band * 45
        draw.rectangle((0, top, width, top + 45), fill=colours.mix(FESTIVAL_COLOUR, "#ffffff", band * 0.05))
    draw.ellipse((1040, 330, 1360, 650), fill=GOLD)  # the sun
    draw.polygon([(0, 560), (260, 430), (520, 540), (820, 400), (1120, 520), (1400, 450), (1600, 520),
                  (1600, 900), (0, 900)], fill="#3b6e66")  # hills
    draw.rectangle((0, 640, width, height), fill="#8a6d2b")  # the steppe
    for band, y in enumerate(range(680, 900, 44)):  # its long shadows
        draw.rectangle((0, y, width, y + 6 + 3 * band), fill="#6f5622")
    out = io.BytesIO()
    cover.save(out, "PNG")
    return out.getvalue()
