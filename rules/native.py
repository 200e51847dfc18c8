"""Compiled twins of the rule engine's hot modules (mypyc), used only while they match their source.

A listing costs the engine dictionary and string work per word, and about a quarter of that time is the
interpreter itself; mypyc compiles the same modules to C and takes that share away, more where the source is
written for it (``bench/match.py``, docs/DEVELOPING.md).
``make setup`` builds them into ``rules/_native/<digest>/``, the digest covering the modules' source, the
Python version and the mypy version. ``rules`` puts that folder first on its import path only when the digest
of the sources as they are now has been built, so an edited module is never shadowed by a stale build: it runs
as Python until the next ``make setup``. ``QLTT_NATIVE=0`` runs everything as Python (profilers such as py-spy
see inside it).

``qltt rules build`` builds the current sources (once per digest; needs a C compiler and the Python headers).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from importlib.util import find_spec
from pathlib import Path

from crawler.config import get

__all__ = ["MODULES", "NATIVE_DIR", "build", "built", "digest", "in_use"]

HERE = Path(__file__).resolve().parent
NATIVE_DIR = HERE / "_native"
# Everything a listing passes through in ``Engine.assess``; loading, schema checks and explanations stay Python.
MODULES = ("brands", "compile", "context", "engine", "evaluate", "model", "normalize", "official", "pricing",
           "risk", "schema", "watchlist", "website")
_GROUP = "rules.engine_native"  # the shared library lives inside the package: no global import path touched


def _compiler() -> bytes:
    """mypy's version file, read without importing mypy (``import rules`` stays quick)."""
    spec = find_spec("mypy")
    origin = Path(spec.origin) if spec and spec.origin else None
    return (origin.parent / "version.py").read_bytes() if origin and (origin.parent / "version.py").is_file() else b""


def digest() -> str:
    """What a build depends on: the modules' source, this Python (ABI) and the compiler (mypy) version."""
    sha = hashlib.sha256(f"{sysconfig.get_config_var('SOABI')}|".encode() + _compiler())
    for name in MODULES:
        sha.update(name.encode())
        sha.update((HERE / f"{name}.py").read_bytes())
    return sha.hexdigest()[:20]


def built() -> Path | None:
    """The build of the current sources, if there is one and ``QLTT_NATIVE`` does not turn it off."""
    if not get("QLTT_NATIVE"):
        return None
    folder = NATIVE_DIR / digest() / "rules"
    return folder if any(folder.glob("engine_native__mypyc.*")) else None


def in_use() -> bool:
    """Whether the engine imported in this process runs compiled."""
    from rules import normalize

    return not normalize.__file__.endswith(".py")


def build() -> Path:
    """Compile the current sources unless already built; older builds are removed. The build appears whole or
    not at all (renamed into place), so a process importing ``rules`` meanwhile sees the old state or the new
    one. Raises ``RuntimeError`` with the compiler's output when the build fails."""
    key = digest()
    target = NATIVE_DIR / key
    if any((target / "rules").glob("engine_native__mypyc.*")):
        return target
    sources = [f"rules/{name}.py" for name in MODULES]
    script = ("import sys\nfrom setuptools import setup\nfrom mypyc.build import mypycify\n"
              f"modules = mypycify({sources!r}, opt_level='3', group_name={_GROUP!r}, target_dir=sys.argv[2])\n"
              "setup(name='qltt-native', ext_modules=modules,"
              " script_args=['build_ext', '--build-lib', sys.argv[1], '--build-temp', sys.argv[2]])\n")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "lib"
        done = subprocess.run([sys.executable, "-c", script, str(out), str(Path(scratch) / "temp")],
                              cwd=HERE.parent, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"mypyc build failed ({done.returncode}):\n{done.stdout[-4000:]}{done.stderr[-4000:]}")
        NATIVE_DIR.mkdir(exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=NATIVE_DIR))
        staging.chmod(0o755)  # mkdtemp makes it private; the console or the scheduler may run as another user
        (staging / "rules").mkdir()
        for library in (out / "rules").glob("*.so"):
            shutil.copy2(library, staging / "rules" / library.name)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    for old in NATIVE_DIR.iterdir():  # a process that loaded an old build keeps its mapped copy
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    return target

