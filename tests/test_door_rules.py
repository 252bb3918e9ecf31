"""The door's rule as a table (tests/door_rules.json), run against the server's check-in on both
databases; tests/js/door_rules.test.mjs runs the same table against the device's decision code
(static/door-rule.js), and the last test here runs it under `node --test`."""
import json
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import missing
from factories import make_registration
from ticketing.extensions import db
from ticketing.models import Registration, Screening, Ticket, utcnow
from ticketing.services import checkin

HERE = Path(__file__).parent
CASES = json.loads((HERE / "door_rules.json").read_text(encoding="utf-8"))["cases"]


def set_up(case, make_screening):
    """The case's world: this screening, another of the same event, and the ticket as described.
    Returns (the code scanned, this screening's id, the ticket's id or None)."""
    here, elsewhere = make_screening(capacity=10), make_screening(title="Other Film", capacity=10)
    state = case["ticket"]
    if state["where"] == "none":
        registration_id = make_registration(here, seats=1)  # a real ticket that is not the one scanned
        ticket_id, code = None, "NOTATICKETOFTHISFESTIVALXX"
    else:
        registration_id = make_registration(here if state["where"] == "this" else elsewhere, seats=state["seats"])
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.registration_id == registration_id))
        ticket_id, code = ticket.id, ticket.code
        ticket.admitted = state["admitted"]
        registration = db.session.get(Registration, registration_id)
        if state["status"] == "released":
            registration.status, registration.cancel_reason = "cancelled", "released"
        elif state["status"] == "unconfirmed":  # held until its e-mail address is confirmed
            registration.hold_until = utcnow() + timedelta(minutes=10)
        else:
            registration.status = state["status"]
    db.session.get(Screening, here).is_cancelled = case["screening_cancelled"]
    db.session.commit()
    return code, here, ticket_id


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_the_server_keeps_the_door_rule(ctx, make_screening, case):
    code, screening_id, ticket_id = set_up(case, make_screening)
    decided = case["offline"]
    verdict = checkin.check_in(
        code, screening_id, case["scan"].get("seats"),
        scanned_at=utcnow() - timedelta(minutes=1) if decided else None,
        offline=checkin.Offline(**decided) if decided else None,
    )
    expect = case["expect"]
    assert (verdict.result, verdict.reason, verdict.admitted_now, verdict.conflict) == (
        expect["result"], expect["reason"], expect["admitted_now"], expect["conflict"])
    if ticket_id is not None:
        db.session.expire_all()
        assert db.session.get(Ticket, ticket_id).admitted == expect["admitted_after"]


def test_the_device_keeps_the_door_rule_under_node():
    """`node --test` over tests/js: the same table against static/door-rule.js, and the merging of
    the door copy. Skips without Node outside CI (`missing`); CI has it."""
    node = shutil.which("node")
    if node is None:
        missing("node", "node is not installed: the door's rule in the browser's code is not checked")
    run = subprocess.run([node, "--test", str(HERE / "js")], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    passed, failed = (int(re.search(rf"^# {word} (\d+)$", run.stdout, re.M).group(1)) for word in ("pass", "fail"))
    device_cases = sum(1 for case in CASES if case["offline"] is None)
    assert failed == 0 and passed >= device_cases, run.stdout
