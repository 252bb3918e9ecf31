"""Access rows for the events and screenings pages of the back office (see test_access.py)."""
ADMIN_PAGE = (302, 403, 200, 302, 302)
ADMIN_ACTION = (302, 403, 303, 302, 302)
NO_SUCH_PAGE = (302, 403, 404, 302, 302)  # the gate first, then the lookup
SCREENING = {"title": "Test Film", "starts_at": "2030-05-01T19:30", "capacity": "50", "max_seats": "4"}

ROWS = [
    ("GET", "/admin/", None, ADMIN_PAGE),
    ("GET", "/admin/events/new", None, ADMIN_PAGE),
    ("POST", "/admin/events/new", {"name": "New fest", "slug": "new-fest", "timezone": "UTC"}, ADMIN_ACTION),
    ("GET", "/admin/events/1", None, ADMIN_PAGE),
    ("POST", "/admin/events/1", {"name": "Renamed", "slug": "fest", "timezone": "Europe/Brussels"}, ADMIN_ACTION),
    ("POST", "/admin/events/1/publish", {"value": "0"}, ADMIN_ACTION),
    ("GET", "/admin/events/1/screenings/new", None, ADMIN_PAGE),
    ("POST", "/admin/events/1/screenings/new", SCREENING, ADMIN_ACTION),
    ("GET", "/admin/screenings/1/edit", None, ADMIN_PAGE),
    ("POST", "/admin/screenings/1/edit", SCREENING, ADMIN_ACTION),
    ("POST", "/admin/screenings/1/publish", {"value": "0"}, ADMIN_ACTION),
    ("GET", "/admin/screenings/1/cancel", None, ADMIN_PAGE),
    ("POST", "/admin/screenings/1/cancel", {}, ADMIN_ACTION),
    ("POST", "/admin/screenings/1/poster", {"remove": "Remove the poster"}, ADMIN_ACTION),
    ("POST", "/admin/events/1/logo", {"remove": "Remove the logo"}, ADMIN_ACTION),
    ("POST", "/admin/events/1/cover", {"remove": "Remove the cover image"}, ADMIN_ACTION),
    ("GET", "/admin/screenings/1/texts/fr", None, ADMIN_PAGE),
    ("POST", "/admin/screenings/1/texts/fr", {"note": "Une note"}, ADMIN_ACTION),
    ("GET", "/admin/events/1/texts/nl", None, ADMIN_PAGE),
    ("GET", "/admin/events/1/questions", None, ADMIN_PAGE),
    ("POST", "/admin/events/1/questions", {"label": "Are you a student?", "kind": "yes_no"}, ADMIN_ACTION),
    ("GET", "/admin/questions/999", None, NO_SUCH_PAGE),
    ("POST", "/admin/questions/999", {"label": "Student?", "kind": "yes_no"}, NO_SUCH_PAGE),
    ("POST", "/admin/questions/999/remove", {}, NO_SUCH_PAGE),
]
