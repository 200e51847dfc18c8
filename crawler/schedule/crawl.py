"""One crawl in a child process, recorded as a run that always ends: finished, failed or timeout.

The scheduler and citizens' tips start crawls this way rather than in their own process: a Twisted
reactor cannot restart, a crash or a hang of one spider must not take the scheduler down, and a
timeout can kill the crawl's whole process group (Scrapy plus any browser it started). The run
record is made first and handed to the crawl as ``-s QLTT_RUN_ID=...`` (``RunRecorder`` reuses it),
so even a crawl that dies before Scrapy opens the spider leaves a record saying why.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.runs import RunRepo

__all__ = ["CommandResult", "CommandRunner", "crawl_in_subprocess", "run_command", "scrapy_argv"]

log = logging.getLogger(__name__)

LOG_TAIL_CHARS = 4000
KILL_GRACE_S = 15.0


@dataclass(frozen=True)
class CommandResult:
    returncode: int | None
    timed_out: bool
    log_tail: str


CommandRunner = Callable[[Sequence[str], Mapping[str, str], float, Path], CommandResult]


def scrapy_argv(spider: str, arguments: Mapping[str, Any], run_id: str, trigger: str) -> list[str]:
    """``python -m scrapy crawl SPIDER -a k=v ... -s QLTT_RUN_ID=... -s QLTT_RUN_TRIGGER=...``."""
    argv = [sys.executable, "-m", "scrapy", "crawl", spider]
    for key, value in arguments.items():
        if value in (None, "", []):
            continue
        text = "|".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
        argv += ["-a", f"{key}={text}"]
    return [*argv, "-s", f"QLTT_RUN_ID={run_id}", "-s", f"QLTT_RUN_TRIGGER={trigger}"]


def run_command(argv: Sequence[str], env: Mapping[str, str], timeout: float, log_path: Path) -> CommandResult:
    """Run ``argv`` in its own process group with output to ``log_path``; kill the group after ``timeout``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as out:
        process = subprocess.Popen(
            list(argv), env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            code: int | None = process.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            log.warning("crawl pid %s ran past %ss: stopping its process group", process.pid, timeout)
            code, timed_out = _stop_group(process), True
    return CommandResult(code, timed_out, _tail(log_path))


def _stop_group(process: subprocess.Popen[bytes]) -> int | None:
    """SIGTERM the group (Scrapy closes the spider), SIGKILL it when that takes too long."""
    for sig, wait in ((signal.SIGTERM, KILL_GRACE_S), (signal.SIGKILL, KILL_GRACE_S)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            return process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    return process.poll()


def _tail(path: Path) -> str:
    with path.open("rb") as fh:
        fh.seek(max(path.stat().st_size - LOG_TAIL_CHARS, 0))
        return fh.read().decode("utf-8", errors="replace")


def crawl_in_subprocess(
    runs: RunRepo,
    spider: str,
    arguments: Mapping[str, Any],
    *,
    trigger: str,
    timeout: float,
    log_dir: Path,
    runner: CommandRunner = run_command,
    env: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """Start a run record, crawl in a child process, close the record if the crawl could not; (run id, status)."""
    run_id = runs.start(spider, arguments, trigger=trigger)
    child_env = {**(env if env is not None else os.environ), "SCRAPY_SETTINGS_MODULE": "crawler.settings",
                 "QLTT_RUN_TRIGGER": trigger}
    log.info("run %s: %s %s (%s), timeout %ss", run_id, spider, dict(arguments), trigger, timeout)
    result = runner(scrapy_argv(spider, arguments, run_id, trigger), child_env, timeout, log_dir / f"{run_id}.log")
    return run_id, settle(runs, run_id, result, timeout)


def settle(runs: RunRepo, run_id: str, result: CommandResult, timeout: float) -> str:
    """The run's final status after the child ended; a run the child left open is closed here."""
    run = runs.get(run_id) or {}
    status = run.get("status", "running")
    if result.timed_out:
        status, reason = "timeout", f"quá thời gian {timeout:g}s, đã dừng (timed out, process group killed)"
    elif result.returncode != 0:
        status, reason = "failed", f"tiến trình thu thập lỗi, mã thoát {result.returncode} (crawl exited non-zero)"
    elif status == "running":
        status, reason = "failed", "tiến trình kết thúc mà không đóng lượt chạy (crawl ended without closing the run)"
    else:
        return status
    error = {"url": None, "kind": status, "reason": reason, "status": result.returncode, "log_tail": result.log_tail}
    runs.finish(run_id, status, run.get("stats") or {}, errors=[error], counts=run.get("counts") or {})
    log.warning("run %s %s: %s", run_id, status, reason)
    return status
