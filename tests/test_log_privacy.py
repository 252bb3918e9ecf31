"""The check that no log line of the suite holds personal data (tests/log_privacy.py) can fail."""
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from log_privacy import findings
from ticketing.logs import redact

LEAKY_TEST = '''
import io
import logging
import sys

def test_logs_a_value():
    log = logging.getLogger("ticketing.mail")
    log.addHandler(logging.StreamHandler(sys.stderr))  # a handler without the app's redaction
    log.warning("could not mail %s", "{value}")

def test_logs_a_stored_name_where_pytest_does_not_capture():
    # As a `flask` command run by CliRunner does: standard error is a buffer of the test's own.
    from log_privacy import remember

    remember("Aigerim Sadykova")  # a name no pattern recognises, as if stored by the test
    log = logging.getLogger("ticketing.cli")
    log.addHandler(logging.StreamHandler(io.StringIO()))
    log.warning("purged the booking of %s", "{name}")
'''


@pytest.mark.parametrize("line, kind", [
    ("sent to zofia.private@example.org", "e-mail address"),
    ("admitted AOJRXPEJ76NEFJVDD5Q65H7XOE", "ticket code"),
    ("admitted AOJR-XPEJ at the door", "short ticket code"),
    ("GET /r/phqlCNF4GOZkj7bkTMs4vLmoTwxRhi7N 200", "private link"),
    ("Authorization: Bearer 3q2-7wE_kdlfj34lkjLKJ34lkj", "bearer token"),
    ("login failed, password=hunter22", "password"),
])
def test_each_kind_of_personal_data_is_found_and_the_redacted_line_is_clean(line, kind):
    assert [k for k, _ in findings(line)] == [kind]
    assert findings(redact(line)) == []


def test_a_stored_value_is_found_where_no_pattern_could():
    assert findings("booked for Aigerim Sadykova at 19:30", ["Aigerim Sadykova"])[0][0] == "stored personal value"
    assert findings("GET /screenings/<int:screening_id> 200", ["Aigerim Sadykova"]) == []


def run_suite(folder, value, name):
    """Run pytest with the plugin on tests that log `value` and `name`; return (exit code, output)."""
    (folder / "test_leak.py").write_text(LEAKY_TEST.format(value=value, name=name))
    tests = Path(__file__).resolve().parent
    answer = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "log_privacy", "-p", "no:cacheprovider", "-q", "test_leak.py"],
        cwd=folder, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(tests), "PATH": "/usr/bin:/bin"},
    )
    return answer.returncode, answer.stdout + answer.stderr


@pytest.mark.slow
def test_a_run_whose_logs_hold_an_address_fails_and_a_clean_one_passes(tmp_path):
    code, output = run_suite(tmp_path, "zofia.private@example.org", "Aigerim Sadykova")
    assert code == 1, output
    assert "personal data in the logs" in output and "zofia.private@example.org" in output
    assert "2 failed" in output and "Aigerim Sadykova" in output  # also the line pytest does not capture
    code, output = run_suite(tmp_path, "registration 42", "registration 42")
    assert code == 0, output


def test_the_values_stored_by_any_means_are_read_from_the_tests_database(app, make_screening):
    """booking.book writes with Core statements, which ORM events never see: the database is read."""
    from types import SimpleNamespace

    from log_privacy import _stored_values
    from ticketing.services import booking

    sid = make_screening()
    with app.app_context():
        booking.book(sid, "Aigerim Sadykova", "aigerim.private@example.org", 1)
    stored = _stored_values(SimpleNamespace(funcargs={"app": app}))
    assert {"Aigerim Sadykova", "aigerim.private@example.org"} <= set(stored)
    assert len([v for v in stored if len(v) == 26]) == 1  # the ticket's code


@pytest.mark.slow
@pytest.mark.parametrize("parallel", [["-p", "no:xdist"], ["-n", "2"]], ids=["one process", "parallel"])
def test_a_log_file_left_by_a_server_process_fails_the_run(tmp_path, parallel):
    # The inner run's temporary folder is outside this run's: this run reads every log file in its own.
    # In a parallel run, the worker that ran the test reads its folder and tells the controller.
    base = tempfile.TemporaryDirectory(prefix="log-privacy-")
    (tmp_path / "test_leak.py").write_text(
        "def test_server_log(tmp_path):\n"
        "    (tmp_path / 'access.log').write_text('POST /r/phqlCNF4GOZkj7bkTMs4vLmoTwxRhi7N 303\\n')\n")
    answer = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "log_privacy", "-p", "no:cacheprovider", "-q", *parallel,
         "--basetemp", str(Path(base.name) / "base"), "test_leak.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(Path(__file__).resolve().parent), "PATH": "/usr/bin:/bin"},
    )
    base.cleanup()
    assert answer.returncode == 1, answer.stdout
    assert "personal data in the log files" in answer.stdout and "private link" in answer.stdout
