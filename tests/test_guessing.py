"""Guessing ticket codes and self-service links: throttled, and hopeless anyway (R4).

- Throttled: after the limit, an address (links) or a caller (codes: a device, a staff user) gets
  429 for every look-up, a valid one included, and a refused scan admits no one; others are not
  affected. On memory storage, and on Redis shared by two app processes' worth of apps.
- Hopeless: the code space (128 bits from `secrets`) and the link space (192 bits) make a million
  guesses against 1,000 tickets find something with a probability below 10^-24, and the limits
  make a million guesses from one address take weeks. 20,000 random codes and 5,000 random links
  looked up through the services themselves (no HTTP), with 1,000 real tickets in the database,
  find nothing, while every real one is found by the same look-ups.
"""
import base64
import random
import re
import secrets
import uuid
from collections import Counter

import pytest
import sqlalchemy as sa
from limits import parse_many

from attack_support import build_world, logged_in
from conftest import make_test_app
from ticketing.config import Defaults
from ticketing.errors import NotFoundError
from ticketing.extensions import db
from ticketing.models import Registration, Screening, Ticket, utcnow
from ticketing.services import booking, checkin, tickets

LIMIT = 5


@pytest.fixture(params=["memory", "redis"])
def storage(request):
    """Rate-limit settings: per-process memory, or a real Redis under a key prefix of this test."""
    if request.param == "memory":
        yield {"RATELIMIT_STORAGE_URI": "memory://"}
        return
    import redis

    url = request.getfixturevalue("redis_url")
    client = redis.Redis.from_url(url)
    prefix = f"ticketing-test-guessing-{uuid.uuid4().hex}"
    yield {"RATELIMIT_STORAGE_URI": url, "RATELIMIT_KEY_PREFIX": prefix}
    for key in client.scan_iter(match=f"*{prefix}*"):  # only this test's keys: Redis is shared
        client.delete(key)


@pytest.fixture
def limited(database_url, tmp_path, storage):
    """Apps on one database with low limits: one on memory storage (counters are per process),
    two on Redis (two processes behind one address, counting together)."""
    settings = dict(storage, LOOKUP_FAILURE_LIMIT=f"{LIMIT} per minute", API_LOOKUP_LIMIT=f"{LIMIT} per minute")
    count = 1 if storage["RATELIMIT_STORAGE_URI"] == "memory://" else 2
    apps = [make_test_app(database_url, tmp_path / f"app{n}", **settings) for n in range(count)]
    yield apps
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _random_secret(rng):
    return base64.urlsafe_b64encode(rng.randbytes(24)).decode()


def _random_code(rng):
    return base64.b32encode(rng.randbytes(16)).decode().rstrip("=")


LINK_PATHS = ("/r/{}", "/r/{}/ticket.pdf", "/r/{}/ticket.png", "/r/{}/calendar.ics", "/r/{}/cancel")


@pytest.mark.pdf  # renders PDF tickets (a page's download, or a ticket e-mail's attachment)
def test_guessing_links_is_throttled_per_address_even_for_a_valid_link(limited):
    first = limited[0]
    world = build_world(first)
    rng = random.Random(4)
    guesser = {"REMOTE_ADDR": "203.0.113.7"}
    clients = [app.test_client() for app in limited]
    for attempt in range(LIMIT):  # spread over the processes when they share Redis
        client = clients[attempt % len(clients)]
        assert client.get(f"/r/{_random_secret(rng)}", environ_base=guesser).status_code == 404
    for client in clients:
        refused = client.get(f"/r/{_random_secret(rng)}", environ_base=guesser)
        assert refused.status_code == 429 and refused.headers.get("Retry-After")
        for path in LINK_PATHS:
            # Answering hits while refusing misses would let the guessing go on; so would a budget
            # of failures per route (five routes, five budgets) instead of one per address.
            valid = client.get(path.format(world.secret), environ_base=guesser)
            assert valid.status_code == 429, (
                f"{path}: a valid link answered {valid.status_code} to an address that failed {LIMIT} look-ups "
                "on /r/<secret>: every self-service route must share the address's one budget")
    # The same links still work from another address; the guesser's refusals cancelled nothing.
    other = clients[-1]
    for path in LINK_PATHS:
        assert other.get(path.format(world.secret), environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code == 200
    with first.app_context():
        assert db.session.get(Registration, world.registration_id).status == "confirmed"


def test_opening_ones_own_link_never_uses_up_the_limit(limited):
    first = limited[0]
    world = build_world(first)
    client = first.test_client()
    for _ in range(LIMIT * 3):
        assert client.get(f"/r/{world.secret}", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 200


def test_guessing_codes_through_the_api_is_throttled_per_device_and_admits_no_one(limited):
    first, second = limited[0], limited[-1]
    world = build_world(first)
    rng = random.Random(5)
    device = {"Authorization": f"Bearer {world.device_token}"}
    for attempt in range(LIMIT):
        client = limited[attempt % len(limited)].test_client()
        scan = client.post("/api/v1/checkins", json={"code": _random_code(rng), "screening": world.screening_id},
                           headers=device)
        assert (scan.status_code, scan.get_json()["reason"]) == (200, "unknown_code")
    refused = first.test_client().post("/api/v1/checkins", json={"code": world.code, "screening": world.screening_id},
                                       headers=device)
    assert refused.status_code == 429 and refused.get_json()["error"]["kind"] == "rate_limited"
    assert refused.headers.get("Retry-After")
    with first.app_context():
        assert db.session.scalar(sa.select(Ticket.admitted).where(Ticket.code == world.code)) == 0
    # Another caller (a staff member's session) is not held back by the device's guessing.
    admin, token = logged_in(second, world.admin_id)
    scan = admin.post("/api/v1/checkins", json={"code": world.code, "screening": world.screening_id},
                      headers={"X-CSRFToken": token})
    assert scan.status_code == 200 and scan.get_json()["result"] == "admitted"


def test_code_searches_share_the_callers_lookup_budget(limited):
    """Scans and searches by the start of a code are one budget per caller (API_LOOKUP_LIMIT)."""
    first = limited[0]
    world = build_world(first)
    rng = random.Random(7)
    device = {"Authorization": f"Bearer {world.device_token}"}
    for attempt in range(LIMIT):
        client = limited[attempt % len(limited)].test_client()
        client.post("/api/v1/checkins", json={"code": _random_code(rng), "screening": world.screening_id},
                    headers=device)
    search = first.test_client().get(f"/api/v1/screenings/{world.screening_id}/tickets?q={world.code[:6]}",
                                     headers=device)
    assert search.status_code == 429, (
        f"a search by the start of a code answered {search.status_code} to a device that used up its "
        f"{LIMIT} look-ups by scanning: scans and searches must share one budget")


def test_guessing_codes_at_the_door_form_is_throttled_per_staff_user(limited):
    first = limited[0]
    world = build_world(first)
    rng = random.Random(6)
    door, token = logged_in(first, world.door_id)
    for _ in range(LIMIT):
        page = door.post(f"/staff/door/{world.screening_id}", data={"code": _random_code(rng), "csrf_token": token})
        assert page.status_code == 200 and 'data-state="not_valid"' in page.get_data(as_text=True)
    refused = door.post(f"/staff/door/{world.screening_id}", data={"code": world.code, "csrf_token": token})
    assert refused.status_code == 429 and "Too many" in refused.get_data(as_text=True)
    with first.app_context():
        assert db.session.scalar(sa.select(Ticket.admitted).where(Ticket.code == world.code)) == 0


# ---------------------------------------------------------------------------------------------
# Why a million guesses find nothing

MILLION = 1_000_000
TICKETS = 1000


def test_the_code_and_link_spaces_make_a_million_guesses_hopeless():
    code_bits = tickets.CODE_BYTES * 8
    assert code_bits >= 128
    assert tickets.CODE_LENGTH * 5 >= code_bits  # base32: 5 bits a character, all of them kept
    link_bits = len(base64.urlsafe_b64decode(tickets.new_secret() + "==")) * 8
    assert link_bits >= 128
    # Each guess hits one of TICKETS codes with probability TICKETS / 2^bits; the union bound over
    # a million guesses:
    p_code = MILLION * TICKETS / 2**code_bits
    p_link = MILLION * TICKETS / 2**link_bits
    assert p_code < 1e-24 and p_link < 1e-24, (p_code, p_link)  # about 2.9e-30 and 1.6e-49


def test_the_limits_stretch_a_million_guesses_from_one_caller_over_days():
    """With the default limits, the fastest a single address or device may guess."""
    for name in ("LOOKUP_FAILURE_LIMIT", "API_LOOKUP_LIMIT"):
        per_second = min(item.amount / item.get_expiry() for item in parse_many(getattr(Defaults, name)))
        days = MILLION / per_second / 86400
        assert days > 2, (name, days)  # links: about 35 days; codes (a door's pace): about 2.3 days


def test_codes_come_from_secrets_and_spread_evenly():
    """Every code is 16 fresh bytes from `secrets`; 10,000 of them are distinct and uniform."""
    made = [tickets.new_code() for _ in range(10_000)]
    assert len(set(made)) == len(made) and all(re.fullmatch(r"[A-Z2-7]{26}", code) for code in made)
    # The first 25 characters carry 5 random bits each: every letter of the alphabet equally
    # likely. A chi-square test over all of them (31 degrees of freedom), at a threshold a fair
    # generator exceeds less than once in 10^9 runs.
    counts = Counter(ch for code in made for ch in code[:25])
    expected = len(made) * 25 / 32
    chi_square = sum((counts[ch] - expected) ** 2 / expected for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert chi_square < 110, chi_square


def test_new_codes_and_links_are_drawn_from_secrets(monkeypatch):
    drawn = []

    def fake_token_bytes(n):
        drawn.append(n)
        return bytes(range(n))

    monkeypatch.setattr(secrets, "token_bytes", fake_token_bytes)
    assert tickets.new_code() == base64.b32encode(bytes(range(16))).decode().rstrip("=")
    tickets.new_secret()
    assert drawn == [16, 24]


def _fill(app, count):
    """`count` real registrations and tickets, their codes and links made by the app's generators."""
    world = build_world(app)
    with app.app_context():
        screening = db.session.get(Screening, world.screening_id)
        screening.capacity += count
        db.session.commit()
        now = utcnow()
        rows = [dict(screening_id=world.screening_id, name=f"Person {n}", name_normalized=f"person {n}",
                     email=f"p{n}@example.org", email_normalized=f"p{n}@example.org", seats=1, locale="en",
                     status="confirmed", secret=tickets.new_secret(), source="public", note="", created_at=now,
                     cancel_reason="") for n in range(count)]
        db.session.execute(sa.insert(Registration), rows)
        ids = db.session.scalars(sa.select(Registration.id).where(Registration.name.like("Person %"))).all()
        db.session.execute(sa.insert(Ticket), [dict(registration_id=i, code=tickets.new_code(), seats=1, admitted=0,
                                                    created_at=now) for i in ids])
        db.session.execute(sa.update(Screening).where(Screening.id == world.screening_id)
                           .values(seats_taken=Screening.seats_taken + count))
        db.session.commit()
        codes = db.session.scalars(sa.select(Ticket.code)).all()
        links = db.session.scalars(sa.select(Registration.secret)).all()
    return world, codes, links


def _door_lookup(connection, text):
    """The door's look-up of a scanned or typed code (checkin.check_in's query, without the log)."""
    code = tickets.normalize_code(text)
    return code and connection.execute(checkin._FIND_TICKET, {"code": code}).one_or_none()


@pytest.mark.slow
def test_twenty_thousand_random_guesses_find_nothing_among_a_thousand_tickets(app):
    world, codes, links = _fill(app, TICKETS)
    assert len(codes) >= TICKETS and len(links) >= TICKETS
    rng = random.Random(20_000)
    with app.app_context():
        connection = db.session.connection()
        # The look-ups work: every real code and link is found by them, also typed as people do.
        assert all(_door_lookup(connection, code) for code in codes)
        assert all(_door_lookup(connection, f"{c[:4]}-{c[4:8]} {c[8:].lower()}") for c in codes[:50])
        assert all(booking.find_by_secret(link).secret == link for link in links[:200])
        hits = [guess for guess in (_random_code(rng) for _ in range(20_000)) if _door_lookup(connection, guess)]
        assert hits == []
        # Near misses: a real code with one character changed, or cut short, is no ticket either.
        for code in codes[:200]:
            changed = code[:10] + ("A" if code[10] != "A" else "B") + code[11:]
            assert not _door_lookup(connection, changed) and not _door_lookup(connection, code[:25])
        found = 0
        for _ in range(5000):
            try:
                booking.find_by_secret(_random_secret(rng))
                found += 1
            except NotFoundError:
                pass
        assert found == 0
        for link in links[:200]:
            for near in (link[:-1], link.upper(), link.lower(), link + "A"):
                if near != link:
                    with pytest.raises(NotFoundError):
                        booking.find_by_secret(near)
        db.session.rollback()
        # The whole door service, which logs every scan, agrees on a sample of the guesses.
        admitted = db.session.scalar(sa.select(sa.func.sum(Ticket.admitted)))
        for _ in range(200):
            assert checkin.check_in(_random_code(rng), world.screening_id).reason == "unknown_code"
        assert db.session.scalar(sa.select(sa.func.sum(Ticket.admitted))) == admitted
