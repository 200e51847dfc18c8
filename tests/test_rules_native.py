"""The compiled rule engine (mypyc): used only for the source it was built from, and it judges as Python does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rules import native

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT.parent / "shared" / "fixtures" / "listings_labeled.jsonl"

_ASSESS = """
import json, sys
import rules
from rules.native import in_use
engine = rules.load()
out = [engine.assess(json.loads(line)).to_dict() for line in open(sys.argv[1], encoding="utf-8")]
print(json.dumps({"compiled": in_use(), "results": out}, ensure_ascii=False))
"""


def _assess(path: Path, native_setting: str) -> dict:
    env = {**os.environ, "QLTT_NATIVE": native_setting}
    done = subprocess.run([sys.executable, "-c", _ASSESS, str(path)], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True, timeout=120)
    return json.loads(done.stdout)


def test_digest_follows_every_compiled_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in native.MODULES:
        shutil.copy(native.HERE / f"{name}.py", tmp_path / f"{name}.py")
    monkeypatch.setattr(native, "HERE", tmp_path)
    before = native.digest()
    assert before == native.digest()
    for name in ("normalize", "watchlist"):
        source = tmp_path / f"{name}.py"
        original = source.read_text(encoding="utf-8")
        source.write_text(original + "\n# edited\n", encoding="utf-8")
        assert native.digest() != before, name
        source.write_text(original, encoding="utf-8")
    assert native.digest() == before


def test_a_build_is_found_only_for_the_current_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "NATIVE_DIR", tmp_path)
    assert native.built() is None
    stale = tmp_path / "0123456789abcdef0123" / "rules"
    stale.mkdir(parents=True)
    (stale / "engine_native__mypyc.cpython-311-x86_64-linux-gnu.so").touch()
    assert native.built() is None  # a build of other sources is never used
    current = tmp_path / native.digest() / "rules"
    current.mkdir(parents=True)
    assert native.built() is None  # a folder without the library is not a build
    (current / "engine_native__mypyc.cpython-311-x86_64-linux-gnu.so").touch()
    assert native.built() == current
    monkeypatch.setenv("QLTT_NATIVE", "0")
    assert native.built() is None


def test_compiled_engine_judges_every_listing_as_python_does(tmp_path: Path) -> None:
    if not LABELLED.exists():
        pytest.skip("shared fixtures not present")
    listings = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    path = tmp_path / "listings.jsonl"
    path.write_text("".join(json.dumps(listing, ensure_ascii=False) + "\n" for listing in listings), encoding="utf-8")
    compiled, python = _assess(path, "1"), _assess(path, "0")
    assert python["compiled"] is False
    assert compiled["compiled"] is (native.built() is not None)  # a build of these sources is what runs
    assert compiled["results"] == python["results"]
    assert sum(result["flag"] for result in python["results"]) > 100  # the corpus exercises the engine
