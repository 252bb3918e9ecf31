"""Where a redirect may go after a login or a change of language."""
from urllib.parse import urlsplit


def local_path(target, fallback):
    """Return `target` if it is a path on this site, else `fallback` (no open redirects)."""
    target = target or ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target
