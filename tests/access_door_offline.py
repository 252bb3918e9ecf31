"""Access-matrix rows for the door's offline parts (see test_access.py).

The copy of the tickets is for door work: staff and devices, never anonymous callers or revoked
tokens. The manifest, the icon and the service worker hold no data and are public: a browser
fetches a manifest and its icons without cookies.
"""
ROWS = [
    ("GET", "/api/v1/screenings/1/door-copy", None, (401, 200, 200, 401, 200)),
    ("GET", "/staff/manifest.webmanifest", None, (200, 200, 200, 200, 200)),
    ("GET", "/staff/door-icon-192.png", None, (200, 200, 200, 200, 200)),
    ("GET", "/staff/door-sw.js", None, (200, 200, 200, 200, 200)),
]
