"""Where a redirect may go after a login or a change of language."""
from urllib.parse import urlsplit


def local_path(target, fallback):
    """Return `target` if it is a path on this site, else `fallback` (no open redirects)."""
    target = target or ""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    # A control character cannot be in a Location header (a line break there would be header
    # injection; werkzeug refuses it with an error): such a target is not a path of ours either.
    if any(ch < " " or ch == "\x7f" for ch in target):
        return fallback
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. a "[" that urlsplit reads as a broken IPv6 host
        return fallback
    if parts.scheme or parts.netloc:
        return fallback
    return target
