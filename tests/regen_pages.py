"""Re-render ``expected.json`` of page-object fixture cases after a deliberate parser change.

    python -m tests.regen_pages                      # every registered page folder
    python -m tests.regen_pages shopee_search_page   # only these folders

Logs which files changed; read their ``git diff`` by eye before accepting it — this tool makes the
tests agree with the parser, it cannot tell whether the parser is right.
"""

from __future__ import annotations

import json
import logging
import sys

from tests.test_pages import PAGES, case_dirs, load_page, render

logger = logging.getLogger("regen_pages")


def regenerate(folders: list[str] | None = None) -> list[str]:
    """Rewrite every case's ``expected.json``; returns the cases whose file changed."""
    unknown = [name for name in folders or [] if name not in PAGES]
    if unknown:
        raise SystemExit(f"unknown page folder(s): {', '.join(unknown)}; known: {', '.join(sorted(PAGES))}")
    changed: list[str] = []
    for case in case_dirs(folders):
        target = case / "expected.json"
        rendered = json.dumps(render(load_page(case)), ensure_ascii=False, indent=2) + "\n"
        if not target.exists() or target.read_text(encoding="utf-8") != rendered:
            target.write_text(rendered, encoding="utf-8")
            changed.append(f"{case.parent.name}/{case.name}")
            logger.info("rewrote %s", target)
    return changed


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    changed = regenerate(argv or None)
    logger.info("%d case(s) changed", len(changed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
