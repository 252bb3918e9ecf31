"""Entry point for `flask` and WSGI servers."""
from ticketing import create_app

app = create_app()
