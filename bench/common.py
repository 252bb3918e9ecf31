"""Shared parts of the benchmarks: a database, gunicorn, and a small HTTP client."""
import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_SERVER = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The production set-up (gunicorn.conf.py, TICKETING_ENV=production) with settings it accepts; the
# per-address rate limits are off (instance config, see prepare_database).
BENCH_SECRET = secrets.token_hex(32)


def app_env(url, folder):
    env = dict(os.environ)
    env.update(DATABASE_URL=url, TICKETING_INSTANCE_PATH=str(folder), SECRET_KEY=BENCH_SECRET, FLASK_APP="app.py",
               TICKETING_ENV="production", PUBLIC_URL="http://127.0.0.1:8000")
    return env


def prepare_database(kind, folder):
    """Create an empty database with the migrations and the demo festival; return its URL."""
    if kind == "sqlite":
        url = f"sqlite:///{folder}/bench.sqlite3"
    else:
        name = f"ticketing_bench_{os.getpid()}"
        admin_url = sa.engine.make_url(PG_SERVER).set(drivername="postgresql")
        with psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name}")
        url = admin_url.set(database=name).render_as_string(hide_password=False)
    # Every simulated person comes from 127.0.0.1: per-address limits would measure the limiter.
    (Path(folder) / "config.py").write_text("RATELIMIT_ENABLED = False\n")
    env = app_env(url, folder)
    subprocess.run([BIN / "flask", "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([BIN / "flask", "demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    return url


def engine_for(url):
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))


class Gunicorn:
    """gunicorn serving the app with `workers` sync workers, for a `with` block."""

    def __init__(self, url, folder, workers):
        self.port = free_port()
        self.process = subprocess.Popen(
            [BIN / "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "--access-logfile", "/dev/null", "--no-control-socket", "app:app"],
            env=app_env(url, folder), cwd=ROOT, start_new_session=True,
            stderr=(Path(folder) / "gunicorn.log").open("w"),  # the app's request log, as in production
        )

    def __enter__(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _, _ = asyncio.run(request(self.port, "GET", "/staff/login"))
                if status == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *_):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


async def request(port, method, path, cookie="", body=b"", content_type="application/x-www-form-urlencoded", headers=()):
    """One HTTP/1.1 exchange on a fresh connection; return (status, session cookie, body).

    A deliberately small client: the load generator must cost far less CPU than the server
    it measures on the same two cores (httpx cost about 8 ms of CPU per request here).
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
    if cookie:
        head += f"Cookie: {cookie}\r\n"
    for name, value in headers:
        head += f"{name}: {value}\r\n"
    if body:
        head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    writer.write(head.encode() + b"\r\n" + body)
    data = await reader.read()
    writer.close()
    header_block, _, payload = data.partition(b"\r\n\r\n")
    lines = header_block.decode("latin-1").split("\r\n")
    set_cookie = [line.split(":", 1)[1].strip().split(";")[0] for line in lines[1:] if line.lower().startswith("set-cookie:")]
    session = [c for c in set_cookie if c.startswith("session=")]
    return int(lines[0].split()[1]), (session[0] if session else cookie), payload


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
