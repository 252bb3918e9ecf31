"""The field rules of services.inputs, alone."""
import pytest

from ticketing.services.inputs import clean_email, clean_name, clean_seats


@pytest.mark.parametrize("raw,expected", [
    ("  Ana   Smith ", "Ana Smith"),
    ("Ана\u0301", "Ана\u0301"),  # already NFC: a combining accent on Cyrillic has no precomposed form
    ("Zoe\u0301", "Zoé"),
    ("Baqyt Qushağynda", "Baqyt Qushağynda"),
    # U+31350, a CJK ideograph of Unicode 15.0, which this Python's tables (14.0) do not know yet
    ("Wang \U00031350", "Wang \U00031350"),
])
def test_clean_name_tidies(raw, expected):
    assert clean_name(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "  ", "a\x00", "\ud800x", "x\u2066y", "x\ufffd", "x" * 201,
                                 "x\ue000", "x\ufdd0", "x\uffff", "x\U0001fffe"])
def test_clean_name_refuses(raw):
    with pytest.raises(ValueError):
        clean_name(raw)


def test_clean_email_keeps_typed_and_normalises():
    assert clean_email(" Ana@Example.ORG ") == ("Ana@Example.ORG", "ana@example.org")
    assert clean_email("ana@BÜCHER.example")[1] == "ana@bücher.example"


@pytest.mark.parametrize("raw,expected", [(None, 1), ("", 1), (" 2 ", 2), ("+3", 3), ("004", 4), (2, 2)])
def test_clean_seats_accepts(raw, expected):
    assert clean_seats(raw, 4) == expected


@pytest.mark.parametrize("raw", ["0", "-1", "5", True, "1.0", "x", "٣", "9" * 5000, -2, 10**30])
def test_clean_seats_refuses(raw):
    with pytest.raises(ValueError):
        clean_seats(raw, 4)


@pytest.mark.parametrize("raw", ["URGENT: pay again at https://evil.example/x", "see WWW.example.org", "ana@example.org",
                                 "Win at pay-now.com!", "news on site.kz", "t.me/scam", "bit.ly/x", "pay.de/now",
                                 "оплата.рф", "ana@пример.рф"])
def test_a_name_with_a_web_or_email_address_is_refused(raw):
    with pytest.raises(ValueError, match="A name cannot hold a web address or an e-mail address"):
        clean_name(raw)


@pytest.mark.parametrize("raw", ["Dr. J.R.R. Tolkien", "A.De Smet", "T.Ly", "A.Top", "H.Link", "M.Be", "Ana.Combs",
                                 "Ana @ home", "O'Brien", "AC/DC", "Ana 1/2", "Айгерім Сейтқали"])
def test_names_with_dots_and_at_signs_that_are_no_address_pass(raw):
    assert clean_name(raw) == raw
