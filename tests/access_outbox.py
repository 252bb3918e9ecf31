"""Access-matrix rows for the outbox page (see test_access.py).

Registration 1's confirmation is outbox message 1, waiting: an admin may retry it (303).
"""
ROWS = [
    ("GET", "/admin/outbox", None, (302, 403, 200, 302, 302)),
    ("POST", "/admin/outbox/1/retry", {}, (302, 403, 303, 302, 302)),
    ("POST", "/admin/outbox/retry-failed", {}, (302, 403, 303, 302, 302)),
]
