"""Read rule-set YAML files (shipped and user-supplied through the same path) into a validated rule book."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rules.normalize import normalize_phrase
from rules.schema import Brand, Rule, RuleError, parse_brand, parse_rule

__all__ = ["SETS_DIR", "RuleBook", "check_sets", "load_sets", "read_yaml"]

SETS_DIR = Path(__file__).parent / "sets"
_TOP_KEYS = {"set", "legal_basis", "description", "rules", "brands", "product_types", "lexicon"}


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records the line of every mapping under ``__line__`` (for error messages)."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[Any, Any] = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


@dataclass
class RuleBook:
    """Everything the compiler needs: rules, brands, product-type words and named context word lists."""

    rules: list[Rule] = field(default_factory=list)
    brands: list[Brand] = field(default_factory=list)
    product_types: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lexicon: dict[str, tuple[str, ...]] = field(default_factory=dict)


def read_yaml(path: Path) -> dict[str, Any]:
    """One YAML document as a mapping with ``__line__`` markers; syntax errors become :class:`RuleError`."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise RuleError(str(path), line, None, None, f"invalid YAML: {exc.problem}") from exc
    if not isinstance(data, dict):
        raise RuleError(str(path), 1, None, None, "a rule set must be a mapping")
    unknown = set(data) - _TOP_KEYS - {"__line__"}
    if unknown:
        raise RuleError(str(path), data.get("__line__"), None, sorted(unknown)[0], "unknown top-level key")
    return data


def _phrase_map(data: Mapping[str, Any], key: str, path: Path) -> dict[str, tuple[str, ...]]:
    raw = data.get(key, {})
    if not isinstance(raw, Mapping):
        raise RuleError(str(path), data.get("__line__"), None, key, "must be a mapping of name to phrase list")
    out: dict[str, tuple[str, ...]] = {}
    for name, phrases in raw.items():
        if name == "__line__":
            continue
        if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
            raise RuleError(str(path), raw.get("__line__"), None, f"{key}.{name}", "must be a list of strings")
        out[str(name)] = tuple(dict.fromkeys(normalize_phrase(p) for p in phrases))
    return out


def _read_file(path: Path, book: RuleBook, seen: dict[str, str]) -> None:
    data = read_yaml(path)
    set_name = str(data.get("set", path.stem))
    for raw in data.get("rules", []) or []:
        if not isinstance(raw, Mapping):
            raise RuleError(str(path), data.get("__line__"), None, "rules", "each rule must be a mapping")
        rule = parse_rule(raw, str(path), set_name, data)
        if rule.id in seen:
            raise RuleError(str(path), rule.line, rule.id, "id", f"duplicate id (first in {seen[rule.id]})")
        seen[rule.id] = f"{path}:{rule.line}"
        book.rules.append(rule)
    for raw in data.get("brands", []) or []:
        brand = parse_brand(raw, str(path))
        key = f"brand:{brand.name.lower()}"
        if key in seen:
            raise RuleError(str(path), brand.line, brand.name, "name", f"duplicate brand (first in {seen[key]})")
        seen[key] = f"{path}:{brand.line}"
        book.brands.append(brand)
    for name, phrases in _phrase_map(data, "product_types", path).items():
        book.product_types[name] = book.product_types.get(name, ()) + phrases
    for name, phrases in _phrase_map(data, "lexicon", path).items():
        book.lexicon[name] = book.lexicon.get(name, ()) + phrases


def _files(dirs: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for directory in (SETS_DIR, *dirs):
        directory = Path(directory)
        files.extend(sorted(directory.glob("*.yaml")) if directory.is_dir() else [directory])
    return files


def load_sets(extra_dirs: Iterable[Path] = ()) -> RuleBook:
    """The shipped rule sets plus those in ``extra_dirs``; the first invalid rule raises :class:`RuleError`."""
    book, seen = RuleBook(), dict[str, str]()
    for path in _files(extra_dirs):
        _read_file(path, book, seen)
    return book


def check_sets(extra_dirs: Iterable[Path] = ()) -> list[RuleError]:
    """Every file's first error (a file with an error is skipped so the others are still checked)."""
    errors: list[RuleError] = []
    book, seen = RuleBook(), dict[str, str]()
    for path in _files(extra_dirs):
        try:
            _read_file(path, book, seen)
        except RuleError as exc:
            errors.append(exc)
    return errors
