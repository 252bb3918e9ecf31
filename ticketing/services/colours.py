"""A festival's own colour (issue 19): checked for contrast, and the few shades made from it.

The colour is the background of the festival's header and buttons, with white text on it, and
the colour of its links on the light page. Both must pass WCAG AA for body text (4.5:1), against
white and against the soft grey panels (--soft in style.css) the buttons also sit on; a colour
that fails is refused, with the nearest darker shade that passes offered instead. On a dark page
the links take a light tint of the colour, made to pass against the dark panels.
"""
import re
from functools import lru_cache

HOUSE = "#0b5cad"  # the site's own blue (style.css --brand), when a festival has no colour
WHITE = "#ffffff"
LIGHT_PANEL = "#f3f5f8"  # style.css --soft, light
DARK_PANEL = "#1f242b"  # style.css --soft, dark: the lightest dark background links sit on
AA = 4.5
HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


def parse(text):
    """Return "#rrggbb" (lowercase) for "#RRGGBB", "rrggbb", "#rgb" or "rgb"; None otherwise."""
    found = HEX.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None:
        return None
    digits = found.group(1).lower()
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return f"#{digits}"


def rgb(colour):
    """(red, green, blue), each 0-255, of "#rrggbb"."""
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def _hex(rgb):
    return "#" + "".join(f"{round(min(255, max(0, part))):02x}" for part in rgb)


def luminance(colour):
    """WCAG 2 relative luminance of "#rrggbb", from 0 (black) to 1 (white)."""
    def linear(part):
        part /= 255
        return part / 12.92 if part <= 0.04045 else ((part + 0.055) / 1.055) ** 2.4
    red, green, blue = (linear(part) for part in rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first, second):
    """WCAG 2 contrast ratio of two colours, from 1 to 21."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def lowest_contrast(colour):
    """The contrast the colour keeps in its worst place: white text on it, or it on a light panel."""
    return min(contrast(colour, WHITE), contrast(colour, LIGHT_PANEL))


def passes(colour):
    """Whether text on the colour and the colour as text both pass AA wherever it is used."""
    return lowest_contrast(colour) >= AA


def mix(colour, other, share):
    """The colour moved `share` (0 to 1) of the way towards `other`."""
    return _hex(a + (b - a) * share for a, b in zip(rgb(colour), rgb(other)))


def _first_passing(colour, towards, good):
    """The shade nearest `colour` on the way to `towards` for which good(shade) holds."""
    for step in range(1, 101):
        shade = mix(colour, towards, step / 100)
        if good(shade):
            return shade
    return towards


def darker_passing(colour):
    """The nearest darker shade of the colour that passes AA (the colour itself if it does)."""
    return colour if passes(colour) else _first_passing(colour, "#000000", passes)


def dark_mode_link(colour):
    """A light tint of the colour that reads as link text on the dark page's panels (AA, with a
    margin: the shade is made here, not chosen by a person who sees it)."""
    wanted = AA + 0.5
    if contrast(colour, DARK_PANEL) >= wanted:
        return colour
    return _first_passing(colour, WHITE, lambda shade: contrast(shade, DARK_PANEL) >= wanted)


@lru_cache(maxsize=64)
def theme_css(colour):
    """The style sheet that gives a festival's pages its colour (no inline style: the CSP)."""
    link = dark_mode_link(colour)
    return (
        f".festival {{ --brand: {colour}; --accent: {colour}; }}\n"
        "@media (prefers-color-scheme: dark) {\n"
        f"  .festival {{ --brand: {colour}; --accent: {link}; }}\n"
        "}\n"
    )
