"""Access rows for printing a screening's tickets (collected by test_access.py)."""
ADMIN_PAGE = (302, 403, 200, 302, 302)

ROWS = [
    ("GET", "/admin/screenings/1/tickets.pdf", None, ADMIN_PAGE),  # registration 1 is confirmed
    ("GET", "/admin/screenings/2/tickets.pdf", None, (302, 403, 303, 302, 302)),  # none to print
    ("GET", "/admin/screenings/999/tickets.pdf", None, (302, 403, 404, 302, 302)),
]
