"""The README's claims that point to a test (the threat model above all) point to one that exists."""
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_every_test_the_readme_names_exists():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"(test_\w+\.py)::(test_\w+)", readme))
    assert len(named) >= 10  # the threat model alone names more
    missing = [f"{module}::{name}" for module, name in sorted(named)
               if not (ROOT / "tests" / module).exists()
               or f"def {name}(" not in (ROOT / "tests" / module).read_text(encoding="utf-8")]
    assert missing == []
    modules = set(re.findall(r"`(?:tests/)?(test_\w+\.py)", readme))
    assert [module for module in sorted(modules) if not (ROOT / "tests" / module).exists()] == []
