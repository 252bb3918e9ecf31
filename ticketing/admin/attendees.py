"""Back office: attendees."""
from . import bp  # noqa: F401
