"""gunicorn for the tests: started with the repository's gunicorn.conf.py on a free port, its
logs in files, stopped by its pid (SIGTERM, then SIGKILL)."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from isolation import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def base_environment(folder, **values):
    """A clean environment for a subprocess: PATH and the like, the instance folder, `values`."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if key in os.environ}
    env.update(TICKETING_INSTANCE_PATH=str(folder), FLASK_APP=str(ROOT / "app.py"))
    env.update({key: str(value) for key, value in values.items() if value is not None})
    return env


def closed_port():
    """A port nothing listens on (from this worker's range: isolation.free_port)."""
    return free_port()


class Gunicorn:
    """gunicorn started with the repository's gunicorn.conf.py; its access log (stdout) and error
    log (stderr, with the app's lines) go to files."""

    def __init__(self, folder, env):
        self.folder = folder
        self.port = free_port()
        self.access_path, self.error_path = folder / "access.log", folder / "error.log"
        env = {**env, "HOST": "127.0.0.1", "PORT": str(self.port)}
        with open(self.access_path, "wb") as out, open(self.error_path, "wb") as err:
            self.process = subprocess.Popen(
                [BIN / "gunicorn", "-c", ROOT / "gunicorn.conf.py", "--no-control-socket"],
                env=env, cwd=folder, stdout=out, stderr=err, start_new_session=True,
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_until_answering(self, timeout=60):
        """Wait until /healthz answers (whatever it says); return its response."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.process.returncode}:\n{self.errors()}")
            try:
                return httpx.get(self.url + "/healthz", timeout=10)
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer within {timeout} s:\n{self.errors()}")

    def wait_for_exit(self, timeout=60):
        return self.process.wait(timeout=timeout)

    def errors(self):
        return self.error_path.read_text(errors="replace")

    def access(self):
        return self.access_path.read_text(errors="replace")

    def settled_logs(self, timeout=10):
        """The access and error logs, as text, once gunicorn has written the access line of every
        request the app logged: it writes that line after the response has gone, so a test that
        reads the logs right after its last answer can find them one line apart."""
        deadline = time.monotonic() + timeout
        while True:
            access, errors = self.access(), self.errors()
            try:
                logged = {e.get("request_id") for e in json_lines(errors) if e.get("logger") == "ticketing.request"}
                answered = {e.get("request_id") for e in json_lines(access)}
            except AssertionError:  # a line being written: read again
                logged, answered = {None}, set()
            if logged <= answered or time.monotonic() > deadline:
                return access, errors
            time.sleep(0.05)

    def workers(self):
        """The pids of the master's children (its workers) now."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(pid) for pid in children.read_text().split()} if children.exists() else set()

    def stop(self):
        """SIGTERM to the master; SIGKILL to its process group if it has not stopped in 30 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def json_lines(text):
    lines = [line for line in text.splitlines() if line.strip()]
    for line in lines:
        try:
            json.loads(line)
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
    return [json.loads(line) for line in lines]
