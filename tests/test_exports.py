"""Exports of attendees and check-ins: read back with Python's csv module and with openpyxl."""
import csv
import io
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from factories import code_of
from ticketing.services import booking, checkin, exports

UNICODE_NAMES = ["Баќыт Әлия", "Çağrı Şahin", "Zoë"]
FORMULA_NAMES = ["=1+1", "+cmd", "-2", "@SUM(A1)", '=HYPERLINK("#top","click")']
START = datetime(2030, 7, 10, 18, 30, tzinfo=timezone.utc)  # 20:30 in Brussels (summer time)
SCAN = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(second=0, microsecond=0)  # before the undo


@pytest.fixture
def festival(app, make_event, make_screening):
    """An event with two screenings: the first has Unicode and formula-looking names and scans."""
    event = make_event(slug="kazakh-days")
    first = make_screening(event, title="Baqyt Qushağynda", starts_at=START, capacity=20)
    second = make_screening(event, title="Myn Bala", starts_at=START.replace(day=11), capacity=20)
    with app.app_context():
        codes = {}
        for i, name in enumerate(UNICODE_NAMES + FORMULA_NAMES):
            result = booking.book(first, name, f"person{i}@example.org", seats=2)
            codes[name] = code_of(result.registration.id)
        booking.book(second, "Ana Second", "ana@example.org")
        booking.book(second, "Bo Second", "bo@example.org")
        checkin.check_in(codes["Zoë"], first, scanned_at=SCAN + timedelta(minutes=20))
        checkin.check_in(codes["Zoë"], first, scanned_at=SCAN + timedelta(minutes=21))  # already in
        checkin.check_in("NOT-A-CODE", first, scanned_at=SCAN + timedelta(minutes=22))
        undone = checkin.check_in(codes["Çağrı Şahin"], first, seats=1, scanned_at=SCAN + timedelta(minutes=23))
        checkin.undo(undone.checkin_id, by_admin=True)
    return {"event": event, "first": first, "second": second, "codes": codes}


def read_csv(data):
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    text = data.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline="")))


def read_xlsx(data):
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    return [[cell for cell in row] for row in sheet.iter_rows()]


def test_csv_keeps_unicode_names_and_every_column(admin, festival):
    response = admin.get(f"/admin/screenings/{festival['first']}/export.csv?what=attendees")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    table = read_csv(response.get_data())
    assert table[0] == exports.header("attendees", _scope_stub())
    assert len(table) == 1 + len(UNICODE_NAMES + FORMULA_NAMES)
    assert all(len(row) == 14 for row in table)
    names = [row[3] for row in table[1:]]
    assert names[:3] == UNICODE_NAMES
    zoe = table[3]
    assert zoe[1] == "Baqyt Qushağynda" and zoe[2] == "2030-07-10 20:30:00"
    assert (zoe[4], zoe[5], zoe[6], zoe[7], zoe[11]) == ("person2@example.org", "2", "confirmed", "public", "2")
    assert zoe[10] == festival["codes"]["Zoë"][:4] + "-" + festival["codes"]["Zoë"][4:8]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", zoe[12])  # first admitted (when recorded)
    assert table[1][12] == "" and table[1][13] == ""


def test_csv_neutralises_formula_looking_names(admin, festival):
    table = read_csv(admin.get(f"/admin/screenings/{festival['first']}/export.csv").get_data())
    names = [row[3] for row in table[1:]]
    assert names[3:] == ["'" + name for name in FORMULA_NAMES]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)


def test_neutralize_covers_tab_and_carriage_return_and_leaves_the_rest():
    assert exports.neutralize("\t=1") == "'\t=1" and exports.neutralize("\r=1") == "'\r=1"
    assert exports.neutralize("Zoë = 1") == "Zoë = 1" and exports.neutralize(3) == 3


def test_xlsx_keeps_unicode_names_and_writes_formulas_as_text(admin, festival):
    response = admin.get(f"/admin/screenings/{festival['first']}/export.xlsx?what=attendees")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    table = read_xlsx(response.get_data())
    assert [c.value for c in table[0]] == exports.header("attendees", _scope_stub())
    names = [row[3] for row in table[1:]]
    assert [c.value for c in names] == UNICODE_NAMES + ["'" + name for name in FORMULA_NAMES]
    assert all(cell.data_type == "s" for cell in names)  # text, never a formula ("f")


def test_xlsx_times_are_local_date_cells_and_numbers_are_numbers(admin, festival):
    table = read_xlsx(admin.get(f"/admin/screenings/{festival['first']}/export.xlsx").get_data())
    zoe = table[3]
    assert zoe[2].value == datetime(2030, 7, 10, 20, 30) and zoe[2].is_date
    assert isinstance(zoe[12].value, datetime) and table[1][12].value is None
    assert zoe[5].value == 2 and zoe[11].value == 2 and zoe[0].data_type == "n"


def test_event_export_spans_its_screenings(admin, festival):
    table = read_csv(admin.get(f"/admin/events/{festival['event']}/export.csv?what=attendees").get_data())
    titles = [row[1] for row in table[1:]]
    assert titles.count("Baqyt Qushağynda") == 8 and titles.count("Myn Bala") == 2
    assert titles.index("Myn Bala") == 8  # screenings in starting order
    xlsx = read_xlsx(admin.get(f"/admin/events/{festival['event']}/export.xlsx").get_data())
    assert len(xlsx) == 1 + 10


def test_checkins_export_has_every_scan_and_its_result(admin, festival):
    table = read_csv(admin.get(f"/admin/events/{festival['event']}/export.csv?what=checkins").get_data())
    assert table[0][0] == "Scanned at (Europe/Brussels)" and len(table[0]) == 11
    results = [(row[3], row[4], row[5], row[6]) for row in table[1:]]
    assert results == [
        ("Zoë", "admitted", "", "2"),
        ("Zoë", "already_checked_in", "all_in", "0"),
        ("", "not_valid", "unknown_code", "0"),
        ("Çağrı Şahin", "admitted", "", "1"),
        ("Çağrı Şahin", "undone", "undo", "1"),
    ]
    local = (SCAN + timedelta(minutes=20)).astimezone(ZoneInfo("Europe/Brussels"))
    assert table[1][0] == local.strftime("%Y-%m-%d %H:%M:%S") and table[3][2] == "NOT-A-CODE"


def test_file_names_are_ascii_with_an_rfc5987_twin(admin, festival):
    response = admin.get(f"/admin/screenings/{festival['first']}/export.csv")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="kazakh-days-screening-1-2030-07-10-attendees.csv"; '
        "filename*=UTF-8''kazakh-days-screening-1-2030-07-10-attendees.csv"
    )
    event = admin.get(f"/admin/events/{festival['event']}/export.xlsx?what=checkins")
    assert event.headers["Content-Disposition"].startswith('attachment; filename="kazakh-days-all-')
    assert "-checkins.xlsx" in event.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"


def test_csv_is_streamed(admin, festival):
    response = admin.get(f"/admin/events/{festival['event']}/export.csv")
    assert response.is_streamed


@pytest.mark.parametrize("path", [
    "/admin/screenings/999/export.csv", "/admin/events/999/export.xlsx",
    "/admin/screenings/1/export.pdf", "/admin/screenings/1/export.csv?what=passwords",
])
def test_unknown_things_are_404(admin, festival, path):
    assert admin.get(path).status_code == 404


def test_cli_writes_the_same_csv_and_shows_progress(app, admin, festival, tmp_path):
    target = tmp_path / "out.csv"
    result = app.test_cli_runner().invoke(args=["export", "attendees", "--event", "kazakh-days", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "Exporting 10 attendees" in result.stderr and "Wrote 10 rows" in result.stderr
    page = admin.get(f"/admin/events/{festival['event']}/export.csv").get_data()
    assert target.read_bytes() == page


def test_cli_writes_csv_to_stdout_without_output(app, festival):
    result = app.test_cli_runner().invoke(args=["export", "checkins", "--screening", str(festival["first"])])
    assert result.exit_code == 0
    rows = read_csv(result.stdout_bytes)
    assert len(rows) == 1 + 5 and rows[1][4] == "admitted"


def test_cli_writes_xlsx(app, festival, tmp_path):
    target = tmp_path / "out.xlsx"
    result = app.test_cli_runner().invoke(args=["export", "attendees", "--screening", str(festival["first"]),
                                                "--format", "xlsx", "--output", str(target)])
    assert result.exit_code == 0, result.output
    table = read_xlsx(target.read_bytes())
    assert [row[3].value for row in table[1:4]] == UNICODE_NAMES


@pytest.mark.parametrize("args,message", [
    (["attendees"], "Give either --screening ID or --event SLUG"),
    (["attendees", "--screening", "1", "--event", "kazakh-days"], "Give either"),
    (["attendees", "--event", "nope"], "No event has the slug"),
    (["attendees", "--screening", "999"], "No screening has this id"),
    (["attendees", "--screening", "1", "--format", "xlsx"], "give --output FILE"),
    (["passwords", "--screening", "1"], "Invalid value"),
])
def test_cli_refuses_bad_arguments(app, festival, args, message):
    result = app.test_cli_runner().invoke(args=["export", *args])
    assert result.exit_code != 0 and message in result.output


def _scope_stub():
    class Stub:
        class event:
            timezone = "Europe/Brussels"
    return Stub()


def test_a_non_ascii_slug_keeps_an_ascii_file_name_and_an_encoded_twin():
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    event = SimpleNamespace(slug="қазақ-künleri", tz=ZoneInfo("Europe/Brussels"))
    screening = SimpleNamespace(id=3, starts_at=START)
    scope = SimpleNamespace(event=event, screening=screening, tz=event.tz)
    header_value = exports.content_disposition("attendees", scope, "csv")
    assert header_value.startswith('attachment; filename="kunleri-screening-3-2030-07-10-attendees.csv"; ')
    assert header_value.isascii() and "filename*=UTF-8''%D2%9B" in header_value


@pytest.mark.parametrize("scope", ["screening", "event"])
def test_every_attendee_list_offers_its_exports_and_they_answer(admin, festival, scope):
    """The exports sit by the attendee lists (a screening's and the event's), not only on the
    dashboard; each link answers the file it names."""
    page_path = (f"/admin/screenings/{festival['first']}/attendees" if scope == "screening"
                 else f"/admin/events/{festival['event']}/attendees")
    page = admin.get(page_path).get_data(as_text=True)
    links = [href.replace("&amp;", "&") for href in re.findall(r'<a href="([^"]+/export\.(?:csv|xlsx)\?[^"]+)" download>', page)]
    assert len(links) == 4  # attendees and check-ins, each in CSV and XLSX
    for link in links:
        response = admin.get(link)
        assert response.status_code == 200, link
        assert response.mimetype in ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        rows = read_csv(response.get_data()) if link.split("?")[0].endswith(".csv") else read_xlsx(response.get_data())
        assert len(rows) > 1
