"""Search queries drawn from the rule sets, so the nightly crawl follows the rules without copying them.

``brands``: the ``name`` of every protected brand (``set: brands``). ``banned``: the first phrase of every
rule of the banned-goods set (``set: banned``) — the first phrase is the plain name of the goods
("thuốc lá điện tử", "pháo nổ"); the others are variants the matcher needs but a search does not.
The YAML files are read directly (shipped ``rules/sets`` then ``QLTT_RULES_DIR``) because only the
names are needed, not the compiled engine; reading happens when the job runs, so rule edits apply
to the next night without restarting the scheduler.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import yaml

from crawler import config
from crawler.exceptions import ConfigError

__all__ = ["queries_from", "rule_set_dirs"]

def _shipped_sets() -> Path:
    """``rules/sets``, found without importing ``rules`` (that would build the whole engine for a list of names)."""
    spec = find_spec("rules")
    if spec is None or not spec.origin:  # the package's own folder: its import path may start with a compiled build
        raise ConfigError("không tìm thấy gói rules (package 'rules' not found)")
    return Path(spec.origin).parent / "sets"


def rule_set_dirs() -> list[Path]:
    """The shipped rule-set folder, then ``QLTT_RULES_DIR`` when set."""
    return [_shipped_sets(), *config.split_paths(config.get("QLTT_RULES_DIR"))]


def queries_from(sources: Iterable[str], limit: int | None = None, dirs: Iterable[Path] | None = None) -> list[str]:
    """Distinct queries of the named sets (``brands``, ``banned``), in file order, at most ``limit``."""
    wanted = tuple(sources)
    found: dict[str, None] = {}
    for data in _rule_sets(dirs if dirs is not None else rule_set_dirs()):
        kind = data.get("set")
        if kind in wanted:
            found.update(dict.fromkeys(_names(kind, data)))
    queries = list(found)
    return queries[:limit] if limit else queries


def _rule_sets(dirs: Iterable[Path]) -> Iterator[dict[str, Any]]:
    for folder in dirs:
        for path in sorted(Path(folder).glob("*.yaml")):
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError) as exc:
                raise ConfigError(f"{path}: không đọc được tập luật (cannot read rule set): {exc}") from exc
            if isinstance(data, dict):
                yield data


def _names(kind: str, data: dict[str, Any]) -> Iterator[str]:
    if kind == "brands":
        for brand in data.get("brands") or []:
            if isinstance(brand, dict) and brand.get("name"):
                yield str(brand["name"]).strip()
    else:
        for rule in data.get("rules") or []:
            phrases = rule.get("phrases") if isinstance(rule, dict) else None
            if phrases:
                yield str(phrases[0]).strip()
