"""Validate every rule set and watchlist at once (``qltt rules check``), collecting all errors."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rules.compile import compile_book
from rules.loader import check_sets, load_sets
from rules.schema import RuleError
from rules.watchlist import WATCHLISTS_DIR, Watchlist, read_watchlist

__all__ = ["check_all"]


def _watchlist_files(extra: Iterable[Path]) -> list[Path]:
    files = sorted(WATCHLISTS_DIR.glob("*.csv")) if WATCHLISTS_DIR.is_dir() else []
    for path in extra:
        files += sorted(Path(path).glob("*.csv")) if Path(path).is_dir() else [Path(path)]
    return files


def check_all(rule_dirs: Iterable[Path] = (), watchlists: Iterable[Path] = ()) -> list[RuleError]:
    """Every problem found: rule files (first error per file), then each watchlist file."""
    rule_dirs = list(rule_dirs)
    errors = check_sets(rule_dirs)
    if not errors:
        compile_book(load_sets(rule_dirs))  # patterns compile into the automaton
    combined = Watchlist()
    for path in _watchlist_files(watchlists):
        try:
            combined.add(read_watchlist(path), str(path))
        except RuleError as exc:
            errors.append(exc)
    return errors
