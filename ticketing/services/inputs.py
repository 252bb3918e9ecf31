"""What a person may type: one set of rules for the form, the API and the command line (R9)."""
import re
import sys
import unicodedata
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
NAME_MAX = 200
EMAIL_MAX = 254

# Bidirectional embedding, override and isolate controls: invisible, and used to disguise text.
_BIDI_CONTROLS = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))
# The 66 noncharacters (U+FDD0-U+FDEF, and the last two of each plane): never meant as text.
_NONCHARACTERS = set(range(0xFDD0, 0xFDF0)) | {plane + last for plane in range(0, 0x110000, 0x10000) for last in (0xFFFE, 0xFFFF)}
# Control, surrogate and private-use code points; U+FFFD stands for unreadable bytes. A code point
# unassigned in Python's Unicode tables is taken: it may be a letter of a newer Unicode (CJK
# Extension H came with 15.0; this Python knows 14.0), and a name is written as its owner writes it.
_REFUSED_CATEGORIES = {"Cc", "Cs", "Co"}


def has_hidden_characters(text):
    """True if `text` holds control, private-use, surrogate or noncharacter code points, U+FFFD,
    or invisible direction-changing characters."""
    return any(
        unicodedata.category(ch) in _REFUSED_CATEGORIES or ord(ch) in _BIDI_CONTROLS or ord(ch) in _NONCHARACTERS
        or ch == "\ufffd"
        for ch in text
    )


@cache
def hidden_characters_pattern():
    """A regular expression matching a text free of the characters `has_hidden_characters`
    refuses: the same rule, for the API's document (valid as ECMA 262, JSON Schema's dialect, and
    in Python). Lone surrogates are left out of it: no regular expression engine of JSON Schema
    takes them, and text that holds one is not Unicode (the server refuses it all the same)."""
    ranges, start = [], None
    for point in range(sys.maxunicode + 2):
        refused = point <= sys.maxunicode and not 0xD800 <= point <= 0xDFFF and has_hidden_characters(chr(point))
        if refused and start is None:
            start = point
        elif not refused and start is not None:
            ranges.append((start, point - 1))
            start = None

    def char(point):  # \uXXXX where both dialects read it; a character beyond as itself
        return f"\\u{point:04X}" if point <= 0xFFFF else chr(point)

    return "^[^" + "".join(char(a) if a == b else f"{char(a)}-{char(b)}" for a, b in ranges) + "]*$"


# A name that holds a web address or an e-mail address is refused: a sign-up's name comes back in
# e-mails the festival sends (to the person, and to others in a group or a guest list), where a mail
# client would make it a link ("URGENT: pay again at https://…"). The rule is one pattern, read the
# same by Python, ECMA 262 (the API's document) and the Rust engine Schemathesis uses: no
# look-around, no inline flags (letters are spelt in both cases).
# A bare domain counts with an ending of this list (Latin or Cyrillic letters before it); endings
# that are also names or name particles after an initial ("A.De Smet", "T.Ly", "A.Top", "M.Be")
# are left out: any domain followed by a slash (t.me/…, bit.ly/…) is caught all the same.
_WEB_ENDINGS = ("com", "net", "org", "info", "biz", "xyz", "site", "online", "click", "app", "shop", "store",
                "live", "ru", "kz", "fr", "nl", "uk", "рф", "қаз")


def _any_case(word):
    return "".join(f"[{ch.lower()}{ch.upper()}]" if ch.isalpha() else re.escape(ch) for ch in word)


LINK_PATTERN = "|".join((
    _any_case("http") + "[Ss]?://",  # http://, https://
    _any_case("www") + r"\.",  # www.example
    r"[^ @]+@[^ @]+\.[^ @.]{2,}",  # ana@example.org, ana@пример.рф
    r"[^ .@]\.[^ .@/]{2,}/",  # t.me/scam, bit.ly/x: a domain and a path
    r"[^ .@]\.(?:" + "|".join(_any_case(end) for end in _WEB_ENDINGS) + ")(?:[^A-Za-z0-9А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]|$)",
))
_LINK = re.compile(LINK_PATTERN)


def holds_a_link(text):
    """True if `text` holds a web address or an e-mail address (LINK_PATTERN)."""
    return _LINK.search(text) is not None


def clean_name(raw):
    """Return the name tidied (NFC, single spaces), or raise ValueError with a message."""
    if raw is not None and not isinstance(raw, str):
        raise ValueError(_("Please enter your name as text."))
    if raw is None or not raw.strip():
        raise ValueError(_("Please enter your name."))
    text = raw
    if len(text) > NAME_MAX:  # as sent; the tidied name is measured again below
        raise ValueError(_("Please shorten your name to at most %(n)d characters.", n=NAME_MAX))
    if has_hidden_characters(text):
        raise ValueError(
            _("Your name contains control or invisible characters. Please type it again.")
        )
    if holds_a_link(text):  # as sent: the API's document states the same rule on the same text
        raise ValueError(_("A name cannot hold a web address or an e-mail address. Please type just the name."))
    name = " ".join(unicodedata.normalize("NFC", text).split())
    # The casefolded copy kept for search holds at most twice as many: a few letters fold into
    # three (a 200-letter name of "ﬃ" folds into 600), which PostgreSQL refused with an error.
    if len(name) > NAME_MAX or len(name.casefold()) > 2 * NAME_MAX:
        raise ValueError(_("Please shorten your name to at most %(n)d characters.", n=NAME_MAX))
    return name


def clean_email(raw):
    """Return (email as typed, stripped; normalised form for comparison), or raise ValueError."""
    if raw is not None and not isinstance(raw, str):
        raise ValueError(_("Please enter your e-mail address as text."))
    if raw is None or not raw.strip():
        raise ValueError(_("Please enter your e-mail address."))
    typed = raw.strip()
    if len(typed) > EMAIL_MAX:
        raise ValueError(_("This e-mail address is too long."))
    if has_hidden_characters(typed):
        raise ValueError(_("This e-mail address contains characters that cannot be in one."))
    try:
        checked = validate_email(typed, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError(
            _("This does not look like an e-mail address. Please check it (name@example.org).")
        ) from None
    normalized = checked.normalized.casefold()
    if len(normalized) > EMAIL_MAX:  # casefolding can lengthen some letters
        raise ValueError(_("This e-mail address is too long."))
    return typed, normalized


def clean_seats(raw, max_seats):
    """Return the number of seats as an int from 1 to `max_seats`, or raise ValueError."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return 1
    if isinstance(raw, (bool, float)) or not isinstance(raw, (int, str)):
        raise ValueError(_("Please enter the number of seats as a whole number."))
    if isinstance(raw, int):
        seats = raw
    else:
        text = str(raw).strip()
        if not (text.isascii() and _WHOLE_NUMBER.fullmatch(text)):
            raise ValueError(_("Please enter the number of seats as a whole number."))
        # int() of thousands of digits is slow or refused: only the sign and size matter then.
        digits = text.lstrip("+-").lstrip("0") or "0"
        magnitude = int(digits) if len(digits) <= 9 else 10**9
        seats = -magnitude if text.startswith("-") else magnitude
    if seats < 1:
        raise ValueError(_("Please choose at least 1 seat."))
    if seats > max_seats:
        raise ValueError(
            _("You can book at most %(n)d seats at once for this screening.", n=max_seats)
        )
    return seats


def clean_signup(name, email, seats, max_seats):
    """Check a sign-up's fields together; raise InvalidInputError with a message per field."""
    from ..errors import InvalidInputError

    errors, cleaned = {}, {}
    for field, check in (
        ("name", lambda: clean_name(name)),
        ("email", lambda: clean_email(email)),
        ("seats", lambda: clean_seats(seats, max_seats)),
    ):
        try:
            cleaned[field] = check()
        except ValueError as error:
            errors[field] = str(error)
    if errors:
        raise InvalidInputError(errors)
    return cleaned["name"], cleaned["email"][0], cleaned["email"][1], cleaned["seats"]
