"""Back office: people."""
from . import bp  # noqa: F401
