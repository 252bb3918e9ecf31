"""Access rows for the exports and the dashboard (collected by test_access.py)."""
ADMIN_PAGE = (302, 403, 200, 302, 302)

ROWS = [
    ("GET", "/admin/screenings/1/export.csv?what=attendees", None, ADMIN_PAGE),
    ("GET", "/admin/screenings/1/export.xlsx?what=checkins", None, ADMIN_PAGE),
    ("GET", "/admin/events/1/export.csv?what=checkins", None, ADMIN_PAGE),
    ("GET", "/admin/events/1/export.xlsx", None, ADMIN_PAGE),
]
ROWS += [
    ("GET", "/admin/dashboard", None, ADMIN_PAGE),
    ("GET", "/admin/events/1/dashboard", None, ADMIN_PAGE),
    ("GET", "/admin/screenings/1/dashboard", None, ADMIN_PAGE),
]
