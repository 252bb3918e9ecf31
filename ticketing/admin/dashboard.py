"""Back office: dashboard."""
from . import bp  # noqa: F401
