"""Access rows for the audience's votes in the back office (see test_access.py)."""
from access_events import ADMIN_ACTION, ADMIN_PAGE, NO_SUCH_PAGE

VOTE = {"kind": "rating", "opens_at": "2030-05-01T21:00", "closes_at": "2030-05-01T23:00"}

ROWS = [
    ("GET", "/admin/events/1/votes", None, ADMIN_PAGE),
    ("POST", "/admin/events/1/votes", VOTE, ADMIN_ACTION),
    ("GET", "/admin/votes/999", None, NO_SUCH_PAGE),
    ("POST", "/admin/votes/999", VOTE, NO_SUCH_PAGE),
    ("GET", "/admin/votes/999/export.csv", None, NO_SUCH_PAGE),
]
