"""The JSON API: the contract's endpoints, authentication, errors, and the OpenAPI document."""
import re
import sys

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator

from pages import hidden
from ticketing.extensions import db
from ticketing.models import CheckIn, Registration
from ticketing.services.accounts import create_device, create_user, revoke_device
from ticketing.services.inputs import has_hidden_characters


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    Draft202012Validator.check_schema({"$defs": document["components"]["schemas"]})
    return document


@pytest.fixture
def token(ctx):
    return create_device("Door 1 phone")[1]


@pytest.fixture
def api(client, spec, token):
    """Call the API with a device token; check every answer against the OpenAPI document."""

    def call(method, path, json=None, headers=None, raw=None, **kwargs):
        headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        if raw is not None:
            response = client.open("/api/v1" + path, method=method, data=raw, headers=headers, **kwargs)
        else:
            response = client.open("/api/v1" + path, method=method, json=json, headers=headers, **kwargs)
        assert_matches_spec(spec, method, path, response)
        return response

    return call


def assert_matches_spec(spec, method, path, response):
    template = next(
        (p for p in spec["paths"] if re.fullmatch(re.sub(r"\{[^}]+\}", r"[^/]+", p), path.split("?")[0])), None
    )
    assert template, f"{path} is not in the OpenAPI document"
    operation = spec["paths"][template][method.lower()]
    documented = operation["responses"].get(str(response.status_code))
    assert documented, f"{method} {path} answered {response.status_code}, which is not documented"
    schema = documented["content"]["application/json"].get("schema")
    if schema:
        validator = Draft202012Validator({**schema, "components": spec["components"]})
        errors = list(validator.iter_errors(response.get_json()))
        assert errors == [], f"{method} {path} {response.status_code}: {errors[0].message}"


def test_every_api_route_is_documented(app, spec):
    routes = {
        re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule).replace("/api/v1", "")
        for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")
    }
    assert routes == set(spec["paths"])


def test_screenings_with_counts(api, make_screening):
    sid = make_screening(capacity=3)
    api("POST", f"/screenings/{sid}/registrations", {"name": "Ana", "email": "ana@example.org", "seats": 2})
    api("POST", f"/screenings/{sid}/registrations", {"name": "Bo", "email": "bo@example.org", "seats": 2})
    response = api("GET", "/screenings")
    [screening] = response.get_json()["screenings"]
    assert (screening["id"], screening["capacity"], screening["seats_confirmed"], screening["seats_waitlisted"], screening["people_in"]) == (sid, 3, 2, 2, 0)
    assert screening["starts_at"].endswith("+00:00")


def test_registration_outcomes(api, make_screening):
    sid = make_screening(capacity=1, max_seats=2)
    first = api("POST", f"/screenings/{sid}/registrations", {"name": "Алия", "email": "alia@example.org"})
    assert first.status_code == 201
    body = first.get_json()
    assert body["outcome"] == "confirmed" and body["registration"]["status"] == "confirmed"
    assert re.fullmatch(r"[A-Z2-7]{26}", body["registration"]["ticket_code"])
    waiting = api("POST", f"/screenings/{sid}/registrations", {"name": "Bo", "email": "bo@example.org", "seats": 2})
    assert waiting.status_code == 201 and waiting.get_json()["registration"]["status"] == "waitlisted"
    repeat = api("POST", f"/screenings/{sid}/registrations", {"name": "X", "email": "ALIA@example.org"})
    assert repeat.status_code == 409 and repeat.get_json()["error"]["kind"] == "already_registered"
    assert "Алия" not in repeat.get_data(as_text=True)


@pytest.mark.parametrize("payload,fields", [
    ({}, {"name", "email"}),
    ({"name": "", "email": "x", "seats": 0}, {"name", "email", "seats"}),
    ({"name": "A" * 10_000, "email": "a@example.org"}, {"name"}),
    ({"name": ["A"], "email": {"x": 1}, "seats": "many"}, {"name", "email", "seats"}),
    ({"name": "A\u0000", "email": "a@example.org", "seats": 99}, {"name", "seats"}),
    ({"name": "Ana", "email": "a@example.org", "seats": True}, {"seats"}),
    ({"name": "Ana", "email": "a@example.org", "seats": 1.5}, {"seats"}),
    # JSON says what it means: the form's "2" and a null for "left out" are not whole numbers here
    ({"name": "Ana", "email": "a@example.org", "seats": "2"}, {"seats"}),
    ({"name": "Ana", "email": "a@example.org", "seats": None}, {"seats"}),
    ({"name": "Ana", "email": "a@example.org", "seats": 1e999}, {"seats"}),
    ({"name": None, "email": "a@example.org"}, {"name"}),
    # at most 200 characters as sent, though the spaces would be made single
    ({"name": "A" + " " * 250 + "B", "email": "a@example.org"}, {"name"}),
])
def test_registration_bad_input_names_the_fields_and_writes_nothing(api, make_screening, payload, fields):
    sid = make_screening(max_seats=4)
    response = api("POST", f"/screenings/{sid}/registrations", payload)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["kind"] == "invalid_input" and set(error["fields"]) == fields
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"text"', b"\xff\xfe", b'{"name": '])
def test_registration_body_that_is_not_a_json_object(api, make_screening, raw):
    response = api("POST", f"/screenings/{make_screening()}/registrations", raw=raw, content_type="application/json")
    assert response.status_code == 422 and "body" in response.get_json()["error"]["fields"]


def test_absurdly_nested_json_is_refused_cleanly(api, make_screening):
    sid = make_screening()
    for raw in (b"[" * 100_000, b'{"a":' * 50_000):
        response = api("POST", f"/screenings/{sid}/registrations", raw=raw, content_type="application/json")
        assert response.status_code == 422


def test_registration_refusals(api, make_screening):
    from datetime import timedelta

    from ticketing.models import utcnow

    closed = make_screening(registration_closes_at=utcnow() - timedelta(hours=1))
    response = api("POST", f"/screenings/{closed}/registrations", {"name": "A", "email": "a@example.org"})
    assert response.status_code == 409 and response.get_json()["error"]["kind"] == "registration_closed"
    assert api("POST", "/screenings/999/registrations", {"name": "A", "email": "a@example.org"}).status_code == 404


def test_checkin_verdicts(api, make_screening):
    sid, other = make_screening(), make_screening(title="Other")
    code = api("POST", f"/screenings/{sid}/registrations", {"name": "Ana", "email": "a@example.org", "seats": 3}).get_json()["registration"]["ticket_code"]
    spaced = f"{code[:4]}-{code[4:8]} {code[8:]}".lower()
    two = api("POST", "/checkins", {"code": spaced, "screening": sid, "seats": 2}).get_json()
    assert (two["result"], two["admitted_now"], two["ticket"]["admitted"], two["ticket"]["seats"]) == ("admitted", 2, 2, 3)
    last = api("POST", "/checkins", {"code": code, "screening": sid}).get_json()
    assert (last["result"], last["admitted_now"]) == ("admitted", 1)
    again = api("POST", "/checkins", {"code": code, "screening": sid}).get_json()
    assert (again["result"], again["reason"]) == ("already_checked_in", "all_in")
    assert [e["seats"] for e in again["earlier"]] == [2, 1] and again["earlier"][0]["device"] == "Door 1 phone"
    elsewhere = api("POST", "/checkins", {"code": code, "screening": other}).get_json()
    assert (elsewhere["result"], elsewhere["reason"]) == ("not_valid", "other_screening")
    unknown = api("POST", "/checkins", {"code": "HELLO", "screening": sid}).get_json()
    assert (unknown["result"], unknown["reason"], unknown["ticket"]) == ("not_valid", "unknown_code", None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 5


@pytest.mark.parametrize("payload,fields", [
    ({}, {"code", "screening"}),
    ({"code": 12, "screening": "1"}, {"code", "screening"}),
    ({"code": "", "screening": 1}, {"code"}),
    ({"code": "ABC", "screening": True}, {"screening"}),
    ({"code": "ABC", "screening": 10**20}, {"screening"}),
    ({"code": "ABC", "screening": 1, "seats": 0}, {"seats"}),
    ({"code": "ABC", "screening": 1, "seats": "2"}, {"seats"}),
    ({"code": "ABC", "screening": 1, "seats": None}, {"seats"}),
    ({"code": "ABC", "screening": 1, "scan_id": None}, {"scan_id"}),
    ({"code": "ABC", "screening": 1, "offline": None}, {"offline", "scanned_at"}),
    ({"code": "ABC", "screening": 1, "scanned_at": None, "offline": {"result": "not_valid", "reason": "", "seats": 0}},
     {"offline", "scanned_at"}),
])
def test_checkin_bad_input(api, make_screening, payload, fields):
    make_screening()
    response = api("POST", "/checkins", payload)
    assert response.status_code == 422 and set(response.get_json()["error"]["fields"]) == fields
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0


@pytest.mark.parametrize("scanned_at", ["0001-01-01T00:00:00+01:02", "9999-12-31T23:59:00-05:00"])
def test_a_scan_time_beyond_the_years_a_clock_holds_is_still_a_time(api, make_screening, scanned_at):
    """Schemathesis sent 0001-01-01T00:00:00+01:02, a valid date-time whose UTC is before year 1:
    a clock far off, not a wrong field."""
    sid = make_screening()
    response = api("POST", "/checkins", {"code": "NOPE-NOPE", "screening": sid, "scanned_at": scanned_at})
    assert response.status_code == 200 and response.get_json()["result"] == "not_valid"


def test_a_number_without_a_fraction_is_a_whole_number(api, make_screening):
    """JSON Schema's integer: 2.0 seats are 2 (Schemathesis sent 67.0, which the document allows)."""
    sid = make_screening(max_seats=4)
    booked = api("POST", f"/screenings/{sid}/registrations", {"name": "Ana", "email": "a@example.org", "seats": 2.0})
    assert booked.status_code == 201 and booked.get_json()["registration"]["seats"] == 2
    code = booked.get_json()["registration"]["ticket_code"]
    verdict = api("POST", "/checkins", raw=f'{{"code": "{code}", "screening": {sid}.0, "seats": 1e0}}',
                  content_type="application/json").get_json()
    assert (verdict["result"], verdict["admitted_now"]) == ("admitted", 1)


def test_a_scan_id_of_another_scan_is_a_conflict_not_bad_input(api, make_screening):
    """The request is well formed; what it names is taken: 409, and nothing recorded."""
    sid = make_screening()
    first = api("POST", f"/screenings/{sid}/registrations", {"name": "Ana", "email": "a@example.org"}).get_json()
    second = api("POST", f"/screenings/{sid}/registrations", {"name": "Bo", "email": "b@example.org"}).get_json()
    assert api("POST", "/checkins", {"code": first["registration"]["ticket_code"], "screening": sid,
                                     "scan_id": "phone-a-0001"}).status_code == 200
    taken = api("POST", "/checkins", {"code": second["registration"]["ticket_code"], "screening": sid,
                                      "scan_id": "phone-a-0001"})
    assert taken.status_code == 409 and taken.get_json()["error"]["kind"] == "scan_id_taken"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 1


def test_the_document_refuses_a_name_exactly_as_the_server_does(spec):
    """The name's pattern is read off the server's own rule: for every code point, a name holding
    it matches the pattern when, and only when, the server takes it (lone surrogates aside: no
    JSON Schema regular expression takes them, and the server refuses them)."""
    name = spec["components"]["schemas"]["RegistrationRequest"]["properties"]["name"]
    [pattern] = [part["pattern"] for part in name["allOf"] if part.get("pattern") not in (None, r"\S")]
    allowed = re.compile(pattern.replace("$", r"\Z"))  # ECMA 262's $ ends the text; Python's allows a last \n
    wrong = [point for point in range(sys.maxunicode + 1) if not 0xD800 <= point <= 0xDFFF
             and bool(allowed.match("A" + chr(point))) == has_hidden_characters(chr(point))]
    assert wrong == []
    assert spec["components"]["schemas"]["RegistrationRequest"]["properties"]["seats"]["maximum"] == 100


NAMES_WITH_LINKS = ["URGENT: pay again at https://evil.example/x", "HTTP://x", "see www.example", "ana@example.org",
                    "Win at pay-now.com!", "shop.KZ", "Ana Attendee ana@b.co", "t.me/scam", "оплата.рф"]
NAMES_WITHOUT = ["Dr. J.R.R. Tolkien", "A.De Smet", "T.Ly", "A.Top", "Ana.Combs", "Алия Ануарбек", "Ana @ home",
                 "O'Brien", "Zeynep Yılmaz", "St. John-Smith", "AC/DC"]


@pytest.mark.parametrize("name", NAMES_WITH_LINKS + NAMES_WITHOUT)
def test_the_document_refuses_a_name_with_a_link_exactly_as_the_server_does(spec, api, make_screening, name):
    """A name holding a web or e-mail address: the document's `not` pattern (read by the Rust
    engine Schemathesis uses) and the server agree on each name."""
    import jsonschema_rs

    schema = spec["components"]["schemas"]["RegistrationRequest"]["properties"]["name"]
    by_document = jsonschema_rs.validator_for(schema).is_valid(name)
    answer = api("POST", f"/screenings/{make_screening()}/registrations", {"name": name, "email": "p@example.org"})
    assert by_document == (name in NAMES_WITHOUT) == (answer.status_code == 201), answer.get_json()
    if name in NAMES_WITH_LINKS:
        assert answer.get_json()["error"]["fields"] == {
            "name": "A name cannot hold a web address or an e-mail address. Please type just the name."}


def test_every_pattern_of_the_document_is_a_regular_expression_of_json_schema(spec):
    """Valid in the ECMA 262 dialect that JSON Schema names, as a Rust engine reads it (the one
    Schemathesis validates with): a pattern it cannot read is a rule no client can check."""
    import jsonschema_rs

    def patterns(node):
        if isinstance(node, dict):
            yield from ([node["pattern"]] if isinstance(node.get("pattern"), str) else [])
            for value in node.values():
                yield from patterns(value)
        elif isinstance(node, list):
            for value in node:
                yield from patterns(value)

    found = list(patterns(spec))
    assert len(found) >= 5
    for pattern in found:
        jsonschema_rs.validator_for({"type": "string", "pattern": pattern})  # raises on a pattern it cannot read


def test_checkin_unknown_screening(api):
    assert api("POST", "/checkins", {"code": "ABC", "screening": 5}).status_code == 404


def test_undo(api, make_screening):
    sid = make_screening()
    code = api("POST", f"/screenings/{sid}/registrations", {"name": "Ana", "email": "a@example.org"}).get_json()["registration"]["ticket_code"]
    admitted = api("POST", "/checkins", {"code": code, "screening": sid}).get_json()
    undone = api("POST", f"/checkins/{admitted['checkin_id']}/undo")
    assert undone.status_code == 200 and undone.get_json()["undone"] == admitted["checkin_id"]
    assert api("POST", f"/checkins/{admitted['checkin_id']}/undo").status_code == 409
    assert api("POST", "/checkins/999/undo").status_code == 404
    assert api("POST", "/checkins", {"code": code, "screening": sid}).get_json()["result"] == "admitted"


def test_search(api, make_screening):
    sid = make_screening()
    api("POST", f"/screenings/{sid}/registrations", {"name": "Zeynep Yılmaz", "email": "z@example.org"})
    found = api("GET", f"/screenings/{sid}/tickets?q=yılmaz")
    [ticket] = found.get_json()["tickets"]
    # The door is shown the short code (enough to check the ticket in) and never the e-mail or the code.
    assert ticket == {"short_code": ticket["short_code"], "name": "Zeynep Yılmaz", "seats": 1, "admitted": 0, "status": "confirmed"}
    assert "z@example.org" not in found.get_data(as_text=True)
    admitted = api("POST", "/checkins", {"code": ticket["short_code"].lower(), "screening": sid}).get_json()
    assert (admitted["result"], admitted["ticket"]["name"]) == ("admitted", "Zeynep Yılmaz")
    assert api("GET", f"/screenings/{sid}/tickets?q=").get_json()["tickets"] == []
    assert api("GET", "/screenings/999/tickets?q=x").status_code == 404
    for hostile in ("%00", "%E2%80%AE", "x" * 300, "%25%5F%5C"):
        assert api("GET", f"/screenings/{sid}/tickets?q={hostile}").get_json()["tickets"] == []


def test_authentication_is_required(client, spec, make_screening, ctx):
    make_screening()
    for method, path in (("GET", "/screenings"), ("POST", "/checkins"), ("POST", "/screenings/1/registrations")):
        response = client.open("/api/v1" + path, method=method, json={})
        assert response.status_code == 401 and response.get_json()["error"]["kind"] == "unauthorized"
        assert_matches_spec(spec, method, path, response)
    device, token = create_device("Old phone")
    revoke_device(device.id)
    for bad in (token, "x" * 43, "", "Bearer"):
        assert client.get("/api/v1/screenings", headers={"Authorization": f"Bearer {bad}"}).status_code == 401


def test_staff_session_needs_csrf_for_changes(client, spec, make_screening, ctx):
    sid = make_screening()
    create_user("door@example.org", "door", "a long enough secret")
    page = client.get("/staff/login").get_data(as_text=True)
    client.post("/staff/login", data={"email": "door@example.org", "password": "a long enough secret", "csrf_token": hidden(page, "csrf_token")})
    page = client.get("/staff/").get_data(as_text=True)  # the session's token: a new one at login
    assert client.get("/api/v1/screenings").status_code == 200
    refused = client.post("/api/v1/checkins", json={"code": "ABC", "screening": sid})
    assert refused.status_code == 403 and refused.get_json()["error"]["kind"] == "csrf_failed"
    assert_matches_spec(spec, "POST", "/checkins", refused)
    accepted = client.post("/api/v1/checkins", json={"code": "ABC", "screening": sid}, headers={"X-CSRFToken": hidden(page, "csrf_token")})
    assert accepted.status_code == 200, accepted.get_json()
    row = db.session.scalar(sa.select(CheckIn))
    assert row.staff_user_id is not None and row.device_id is None


def test_unknown_api_paths_and_methods_answer_json(client, token):
    headers = {"Authorization": f"Bearer {token}"}
    missing = client.get("/api/v1/nothing", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["kind"] == "not_found"
    wrong = client.delete("/api/v1/screenings", headers=headers)
    assert wrong.status_code == 405 and wrong.get_json()["error"]["kind"] == "method_not_allowed"


def test_lookups_are_rate_limited_per_device(app, api, make_screening):
    app.config["API_LOOKUP_LIMIT"] = "5 per minute"
    sid = make_screening()
    other = create_device("Door 2 phone")[1]
    statuses = [api("POST", "/checkins", {"code": "GUESS", "screening": sid}).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    response = app.test_client().post("/api/v1/checkins", json={"code": "GUESS", "screening": sid},
                                      headers={"Authorization": f"Bearer {other}"})
    assert response.status_code == 200  # the limit is per device, not shared by every door


def test_one_screening_with_the_door_pace(api, make_screening):
    sid = make_screening()
    for i in range(3):
        code = api("POST", f"/screenings/{sid}/registrations", {"name": f"P{i}", "email": f"p{i}@example.org", "seats": 2}).get_json()["registration"]["ticket_code"]
        last = api("POST", "/checkins", {"code": code, "screening": sid}).get_json()
    api("POST", f"/checkins/{last['checkin_id']}/undo")
    body = api("GET", f"/screenings/{sid}").get_json()
    assert (body["people_in"], body["seats_confirmed"], body["pace"]) == (4, 6, {"minutes": 5, "admitted": 4})
    assert api("GET", "/screenings/999").status_code == 404
