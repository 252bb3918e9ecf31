"""Access-matrix rows for the privacy pages (see test_access.py).

The matrix gives each caller its own address ("admin.ana@example.org"), about which nothing is
stored: the admin's lookup answers 200 (nothing stored), its export and erasure 404 with that
message. Door staff get 403; anonymous callers and device tokens the login page.
"""
ROWS = [
    ("GET", "/admin/privacy", None, (302, 403, 200, 302, 302)),
    ("POST", "/admin/privacy", {"email": "ana@example.org"}, (302, 403, 200, 302, 302)),
    ("POST", "/admin/privacy/export", {"email": "ana@example.org"}, (302, 403, 404, 302, 302)),
    ("POST", "/admin/privacy/erase", {"email": "ana@example.org"}, (302, 403, 404, 302, 302)),
    ("POST", "/admin/privacy/erase/confirm", {"email": "ana@example.org"}, (302, 403, 404, 302, 302)),
]
