"""gunicorn's settings for production: run `.venv/bin/gunicorn` from the repository's root (this
file is read by default there) or `gunicorn -c /path/to/gunicorn.conf.py`.

It marks the app as production (TICKETING_ENV=production, unless the environment already says
otherwise): unsafe settings are then refused at start-up (ticketing/production.py) and the logs
are JSON lines without personal data (ticketing/logs.py).

Environment: HOST (default 127.0.0.1: behind a reverse proxy on the same host; 0.0.0.0 to listen
on every interface) and PORT (8000) to bind; WEB_CONCURRENCY worker processes (default 2 per
core + 1, at most 8, so that their PostgreSQL pools stay under max_connections); LOG_LEVEL.
"""
import importlib.util
import multiprocessing
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
MAX_WORKERS = 8  # x (pool_size 5 + max_overflow 5) = 80 PostgreSQL connections, under its 100

os.environ.setdefault("TICKETING_ENV", "production")


def _load_logs():
    # By path, not as `ticketing.logs`: importing the ticketing package here, in the master
    # process, would keep its modules in the workers forked after a reload (HUP): old and new
    # code mixed.
    spec = importlib.util.spec_from_file_location("_ticketing_gunicorn_logs", ROOT / "ticketing" / "logs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_logs = _load_logs()


def _bind():
    host = os.environ.get("HOST") or "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return [f"{host}:{os.environ.get('PORT') or 8000}"]


wsgi_app = "app:app"
chdir = str(ROOT)
bind = _bind()
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, MAX_WORKERS))
worker_class = "sync"
# The biggest answers (a whole event's XLSX export, 100,000 rows) take about 17 s here.
timeout = 120
graceful_timeout = 30  # on SIGTERM, requests in progress get this long to finish
# Each worker is replaced after about a thousand requests, at staggered times: a slow leak
# cannot grow for ever, and the workers do not all restart at once.
max_requests = 1000
max_requests_jitter = 100
# The workers' heartbeat files: in memory, where a slow or full disk cannot stall them.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
proc_name = "ticketing"
accesslog = "-"  # standard output, one JSON line per request (JSONLogger.access)
errorlog = "-"  # standard error, with the app's own log lines
loglevel = (os.environ.get("LOG_LEVEL") or "info").lower()


from gunicorn.glogging import Logger  # noqa: E402: gunicorn is only needed from here on


class JSONLogger(Logger):
    """gunicorn's logs as JSON lines. The access log keeps the method, the path with its private
    parts redacted (/r/<redacted>, ticket codes, e-mail addresses), the status, the size, the
    duration, the worker's pid and the request id; never the query string, the client's address,
    the Referer or the User-Agent (access_log_format is not used)."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(_logs.JSONFormatter())

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = resp.headers.items() if hasattr(resp.headers, "items") else resp.headers
        request_id = next((value for name, value in headers if name.lower() == "x-request-id"), None)
        method = environ.get("REQUEST_METHOD", "-")
        path = _logs.redact(environ.get("PATH_INFO", ""))[:300]
        self.access_log.info("%s %s %s", method, path, status, extra={"fields": {
            "method": method,
            "path": path,
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "request_id": request_id,
        }})


logger_class = JSONLogger


def on_starting(server):
    """Tell the app how many workers serve it (the rate-limit storage check needs it), then
    refuse to start, before any worker, if its settings are unsafe for production."""
    os.environ["TICKETING_WORKERS"] = str(server.cfg.workers)
    if _unsafe_settings(server):
        if server.pidfile is not None:
            server.pidfile.unlink()
        sys.exit(3)  # as gunicorn's own "Worker failed to boot"


def _unsafe_settings(server):
    """Build the app once in a short-lived child process and log why it refuses to start, if it
    does; return True then. The child keeps the app's modules out of this master process (see
    _load_logs). Other start-up errors are left to the workers, which report them as usual."""
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            sys.path.insert(0, str(ROOT))
            from ticketing import create_app
            from ticketing.production import UnsafeSettingsError

            try:
                create_app()
            except UnsafeSettingsError as error:
                server.log.error("Refusing to start with unsafe settings for production (TICKETING_ENV=production):")
                for problem in error.problems:
                    server.log.error(problem)
                status = 3
        except BaseException:  # noqa: BLE001: not this check's to report
            pass
        finally:
            os._exit(status)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 3
