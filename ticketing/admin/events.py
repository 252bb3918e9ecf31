"""Back office: events."""
from . import bp  # noqa: F401
