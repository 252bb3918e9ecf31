"""Ticket codes and QR images (R4), decoded with a real reader."""
import base64
import io

import zxingcpp
from PIL import Image
from qrcode.util import MODE_ALPHA_NUM

from ticketing.services import tickets


def test_codes_carry_128_random_bits_in_qr_alphanumeric_characters():
    codes = {tickets.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:50]:
        assert len(code) == 26 and set(code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        assert len(base64.b32decode(code + "======")) == 16


def test_secrets_are_long_and_distinct():
    secrets_ = {tickets.new_secret() for _ in range(2000)}
    assert len(secrets_) == 2000 and all(len(s) == 32 for s in secrets_)


def test_normalize_code_accepts_typed_forms_and_refuses_garbage():
    code = tickets.new_code()
    spaced = " ".join(code[i:i + 4] for i in range(0, 26, 4)).lower()
    assert tickets.normalize_code(spaced) == code
    assert tickets.normalize_code(code[:4] + "-" + code[4:]) == code
    for garbage in ("", "x", code + "A", code[:-1] + "1", "<script>", None, 42, "Ж" * 26):
        assert tickets.normalize_code(garbage) is None


def test_short_code():
    assert tickets.short_code("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "ABCD-EFGH"


def test_png_decodes_to_the_code_and_uses_alphanumeric_mode():
    code = tickets.new_code()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(tickets.render_qr_png(code))))
    assert [b.text for b in found] == [code]
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    assert found[0].ec_level == "M"


def test_qr_payload_uses_the_compact_alphanumeric_mode():
    symbol = tickets.build_qr(tickets.new_code())
    assert [segment.mode for segment in symbol.data_list] == [MODE_ALPHA_NUM]
    assert symbol.version == 2


def test_svg_is_inline_markup():
    svg = tickets.render_qr_svg(tickets.new_code())
    assert svg.startswith("<svg ") and "<?xml" not in svg and 'aria-hidden="true"' in svg


def test_an_unchanged_code_is_rendered_once():
    code = tickets.new_code()
    before = tickets.render_qr_svg.cache_info()
    first = tickets.render_qr_svg(code)
    second = tickets.render_qr_svg(code)
    after = tickets.render_qr_svg.cache_info()
    assert first is second
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
