"""What each test process of a parallel run (pytest-xdist) has of its own, so that no test sees
another's rows, keys or ports.

- a SQLite folder: pytest's temporary folder, which xdist already gives each worker;
- a PostgreSQL database: `database_name()`, copied from a template migrated once per run
  (conftest.postgres_url);
- a Redis database number: `redis_url()`, the worker's index added to TEST_REDIS_URL's number
  (tests also write under a key prefix of their own);
- ports for the servers tests start in other processes: `free_port()` walks a range of 500 ports
  of this worker's own, below Linux's ephemeral range (32768 and up), so that neither another
  worker nor an outgoing connection takes a port between its check and its use.

A run without xdist is worker 0.
"""
import itertools
import os
import re
import socket
import uuid

import sqlalchemy as sa

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"... in a parallel run
WORKER_INDEX = int(WORKER[2:]) if re.fullmatch(r"gw\d+", WORKER) else 0
# One id per run, shared by its workers: set by the first process (conftest's pytest_configure)
# before xdist starts the workers, which inherit the environment.
RUN_VARIABLE = "TICKETING_TEST_RUN"

PORTS_FROM, PORTS_EACH = 20000, 500
_ports = itertools.cycle(range(PORTS_FROM + WORKER_INDEX * PORTS_EACH, PORTS_FROM + (WORKER_INDEX + 1) * PORTS_EACH))


def run_id():
    """This run's id (made once, by the process that starts the run)."""
    return os.environ.setdefault(RUN_VARIABLE, uuid.uuid4().hex[:10])


def database_name():
    """The name of this worker's PostgreSQL database."""
    return f"ticketing_test_{run_id()}_{WORKER_INDEX}"


def template_name():
    """The name of this run's migrated PostgreSQL database that each worker's copies."""
    return f"ticketing_template_{run_id()}"


def redis_url(base):
    """`base` (a redis:// URL) with this worker's database number: base's number + worker index."""
    url = sa.engine.make_url(base)
    number = int(url.database or 0) + WORKER_INDEX
    return url.set(database=str(number % 16)).render_as_string(hide_password=False)


def free_port():
    """A local TCP port nothing listens on, from this worker's range (tried, then released)."""
    for _ in range(PORTS_EACH):
        port = next(_ports)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port among this worker's {PORTS_EACH}")
