"""Access rows for the attendee lists, registration pages, guests and the CSV import."""
ADMIN_PAGE = (302, 403, 200, 302, 302)
ADMIN_ACTION = (302, 403, 303, 302, 302)
TOKEN = "A" * 32  # no such import: the admin is told it expired

ROWS = [
    ("GET", "/admin/screenings/1/attendees?q=ana", None, ADMIN_PAGE),
    ("GET", "/admin/events/1/attendees", None, ADMIN_PAGE),
    ("GET", "/admin/registrations/1", None, ADMIN_PAGE),
    ("POST", "/admin/registrations/1/resend", {}, ADMIN_ACTION),
    ("POST", "/admin/registrations/1/cancel", {}, ADMIN_ACTION),
    ("POST", "/admin/registrations/1/move", {"to_screening": "2"}, ADMIN_ACTION),
    ("POST", "/admin/registrations/1/checkin", {"seats": "1"}, ADMIN_ACTION),
    ("GET", "/admin/screenings/1/guests/new", None, ADMIN_PAGE),
    ("POST", "/admin/screenings/1/guests/new", {"name": "Press guest", "seats": "1"}, ADMIN_ACTION),
    ("GET", "/admin/screenings/1/import", None, ADMIN_PAGE),
    ("POST", "/admin/screenings/1/import", {}, (302, 403, 422, 302, 302)),
    ("GET", f"/admin/screenings/1/import/{TOKEN}", None, (302, 403, 404, 302, 302)),
    ("POST", f"/admin/screenings/1/import/{TOKEN}", {}, (302, 403, 404, 302, 302)),
]
