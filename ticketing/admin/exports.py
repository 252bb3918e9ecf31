"""Back office: exports."""
from . import bp  # noqa: F401
