"""Access-matrix rows for writing to a screening's attendees (see test_access.py).

Registration 1 (confirmed, with an e-mail address) is in screening 1: an admin's message is
previewed, then goes.
"""
PREVIEW = {"subject": "Doors open at 19:30", "body": "See you there.", "audience": "confirmed",
           "form_key": "access-matrix-form-key-0001"}
MESSAGE = {**PREVIEW, "send": "1"}  # "Send to N people", pressed on the preview

ROWS = [
    ("GET", "/admin/screenings/1/message", None, (302, 403, 200, 302, 302)),
    ("GET", "/admin/screenings/999/message", None, (302, 403, 404, 302, 302)),
    ("POST", "/admin/screenings/1/message", PREVIEW, (302, 403, 200, 302, 302)),
    ("POST", "/admin/screenings/1/message", MESSAGE, (302, 403, 303, 302, 302)),
    ("POST", "/admin/screenings/999/message", MESSAGE, (302, 403, 404, 302, 302)),
]
