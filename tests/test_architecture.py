"""The layering the architecture promises: rules/ and storage/ never import Scrapy; spiders never import
pipelines, rules or storage."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("package", ["rules", "storage"])
def test_no_scrapy_below_the_crawler(package: str) -> None:
    code = (f"import sys, {package}; "
            "sys.exit(1 if any(m == 'scrapy' or m.startswith('scrapy.') for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_spiders_do_not_import_downstream() -> None:
    offenders = {
        str(path.relative_to(ROOT)): bad
        for path in (ROOT / "spiders").rglob("*.py")
        if (bad := _imports(path) & {"pipelines", "rules", "storage"})
    }
    assert offenders == {}
