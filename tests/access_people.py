"""Access-matrix rows for staff accounts, the audit log and walk-ins at the door (see test_access.py).

Users: 1 is door staff, 2 an admin. Back-office pages: anonymous 302, door 403, admin 200/303,
device tokens 302 (they are for the API only).
"""
ROWS = [
    ("GET", "/admin/users", None, (302, 403, 200, 302, 302)),
    ("GET", "/admin/users/new", None, (302, 403, 200, 302, 302)),
    # No password typed: the generated one is shown on the answer page (200), never flashed.
    ("POST", "/admin/users/new", {"email": "new@example.org", "role": "door"}, (302, 403, 200, 302, 302)),
    ("GET", "/admin/users/1", None, (302, 403, 200, 302, 302)),
    ("POST", "/admin/users/1", {"role": "door", "is_active": "y"}, (302, 403, 303, 302, 302)),
    ("POST", "/admin/users/1/password", {"password": "another long secret"}, (302, 403, 303, 302, 302)),
    ("POST", "/admin/users/1/sessions", {}, (302, 403, 303, 302, 302)),
    ("GET", "/admin/audit", None, (302, 403, 200, 302, 302)),
    ("POST", "/staff/door/1/walkin", {"name": "Walk-in", "seats": "1"}, (302, 303, 303, 302, 302)),
]
