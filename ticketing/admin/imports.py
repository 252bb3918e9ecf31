"""Back office: imports."""
from . import bp  # noqa: F401
