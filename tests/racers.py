"""Worker processes for the concurrency tests: each builds its own app and races with threads.

`race()` runs jobs on PROCESSES processes of THREADS threads each, started together. The
processes are spawned once per test process and kept for the next race (each race builds its
app anew in each of them): spawning four Pythons that import the app cost about 4 s a race.
"""
import atexit
import multiprocessing
import threading
import traceback

from conftest import make_test_app
from ticketing.extensions import db

PROCESSES = 4
THREADS = 8
_racers = {}  # "pool" and "manager", once started


def _pool():
    if not _racers:
        context = multiprocessing.get_context("spawn")
        _racers["manager"] = context.Manager()
        _racers["pool"] = context.Pool(PROCESSES)
        atexit.register(_stop)
    return _racers["pool"], _racers["manager"]


def _stop():
    _racers.pop("pool").terminate()
    _racers.pop("manager").shutdown()


def race(database_url, tmp_path, jobs):
    """Split `jobs` over PROCESSES processes of THREADS threads, start them together; return the
    (job, outcome) pairs. Fails the test on any crash."""
    pool, manager = _pool()
    start = manager.Barrier(PROCESSES, timeout=120)  # each process waits here once its app is built
    chunks = [jobs[i::PROCESSES] for i in range(PROCESSES)]
    pending = [pool.apply_async(run_jobs, (database_url, str(tmp_path), chunk, THREADS, start)) for chunk in chunks]
    results = [item for p in pending for item in p.get(timeout=300)]
    crashes = [outcome for _, outcome in results if outcome.startswith("crash")]
    assert crashes == [], crashes[0]
    return results


def run_jobs(database_url, instance_path, jobs, threads, start):
    """Run `jobs` (tuples: name of a booking function, then its arguments) on `threads` threads.

    Waits on `start` (a barrier of all processes) so that every process begins at once. Returns a
    list of (job, outcome) where the outcome is a result word, an error code or a traceback.
    """
    from ticketing.errors import TicketingError
    from ticketing.models import Registration
    from ticketing.services import announcements, booking, checkin, guests, holds, reminders, thanks, votes

    app = make_test_app(database_url, instance_path)
    results, lock = [], threading.Lock()
    queue = list(jobs)

    def worker():
        with app.app_context():
            while True:
                with lock:
                    if not queue:
                        break
                    job = queue.pop()
                kind, *args = job
                try:
                    if kind == "book":
                        outcome = booking.book(*args).outcome
                    elif kind == "undo":
                        checkin.undo(*args, by_admin=True)
                        outcome = "undone"
                    elif kind == "walkin":
                        outcome = f"walkin:{guests.add_walkin(*args).seats}"
                    elif kind == "release":
                        outcome = f"released:{guests.release_due(*args)}"
                    elif kind == "move":
                        outcome = f"moved:{guests.move(*args).screening_id}"
                    elif kind == "confirm":  # a held booking's link followed: registration id, time
                        registration_id, now = args
                        secret = db.session.get(Registration, registration_id).secret
                        outcome = holds.confirm(registration_id, holds.token(secret), now).outcome
                    elif kind == "expire":  # the sender's pass over holds run out: time, screening id
                        outcome = f"expired:{holds.expire_due(*args)}"
                    elif kind == "remind":  # the sender's pass over reminders due: time
                        outcome = f"reminded:{reminders.queue_due(*args)}"
                    elif kind == "free":  # "Free my seats" pressed: registration id, seats, seats seen
                        outcome = f"freed:{reminders.free_seats(*args).seats}"
                    elif kind == "thank":  # the sender's pass over the thanks due: time
                        outcome = f"thanked:{thanks.queue_due(*args)}"
                    elif kind == "vote":  # a ballot: vote id, ticket id, choice
                        outcome = f"voted:{votes.cast(*args).seat}"
                    elif kind == "announce":
                        outcome = f"announced:{announcements.send(*args).created}"
                    elif kind == "checkin":
                        verdict = checkin.check_in(*args)
                        outcome = f"{verdict.result}:{verdict.admitted_now}"
                    elif kind == "sync":  # a scan a device decided offline: code, screening, scan id, time, seats
                        code, screening_id, scan_id, scanned_at, seats = args
                        verdict = checkin.check_in(code, screening_id, scan_id=scan_id, scanned_at=scanned_at,
                                                   offline=checkin.Offline("admitted", "", seats))
                        outcome = f"{verdict.result}:{verdict.admitted_now}:{verdict.conflict}:{verdict.checkin_id}"
                    elif kind == "resend":  # a recorded scan sent again: code, screening, scan id, time, decision or None
                        code, screening_id, scan_id, scanned_at, decided = args
                        verdict = checkin.check_in(code, screening_id, scan_id=scan_id, scanned_at=scanned_at,
                                                   offline=decided and checkin.Offline(*decided))
                        outcome = f"{verdict.result}:{verdict.admitted_now}:{verdict.checkin_id}"
                    else:
                        booking.cancel(*args)
                        outcome = "cancelled"
                except TicketingError as error:
                    outcome = error.code
                except Exception:  # reported to the test, which fails on it
                    outcome = "crash: " + traceback.format_exc()
                finally:
                    db.session.remove()
                with lock:
                    results.append((job, outcome))

    start.wait()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    with app.app_context():
        db.engine.dispose()
    return results
