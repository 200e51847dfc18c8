"""The schedule file, the scheduler's catch-up and locks, and crawls in child processes that always close their run."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from pymongo.database import Database

import storage
from crawler.cli.common import LOCAL_TZ
from crawler.exceptions import ConfigError
from crawler.schedule import (
    AlreadyRunning,
    CommandResult,
    FileLock,
    JobContext,
    build_scheduler,
    job_store,
    load_schedule,
    next_run_times,
    run_command,
    run_job,
    run_locked,
)
from crawler.schedule.job import arguments_of, install
from crawler.schedule.model import cron_trigger, parse_schedule
from crawler.schedule.queries import queries_from
from storage.runs import RunRepo

ROOT = Path(__file__).resolve().parent.parent


def _schedule(jobs: dict[str, Any], path: Path = Path("lich.yaml")) -> Any:
    return parse_schedule({"jobs": jobs}, path)


@pytest.fixture
def mongo(embedded_uri: str) -> Iterator[tuple[str, str, Database]]:
    name = f"t_sched_{uuid.uuid4().hex[:10]}"
    db = storage.connect(embedded_uri, db_name=name)
    yield embedded_uri, name, db
    db.client.drop_database(name)


# ---------------------------------------------------------------------------------------------- the file


def test_shipped_schedule_is_valid() -> None:
    schedule = load_schedule(ROOT / "schedule.yaml")
    assert {"tiki-brands", "tiki-banned"} <= set(schedule.jobs)
    assert schedule.jobs["tiki-brands"].queries_from == ("brands",)
    assert schedule.jobs["tiki-brands"].timeout == 3 * 3600
    assert not schedule.jobs["watched-websites"].enabled


@pytest.mark.parametrize(
    ("job", "field", "words"),
    [
        ({"cron": "0 25 * * *", "spider": "tiki", "query": "x"}, "cron", "cron"),
        ({"cron": "0 1 * *", "spider": "tiki", "query": "x"}, "cron", "5 trường"),
        ({"cron": "0 1 * * *", "query": "x"}, "spider", "bắt buộc"),
        ({"cron": "0 1 * * *", "spider": "tiki"}, "query", "ít nhất một"),
        ({"cron": "0 1 * * *", "spider": "tiki", "queries_from": "watchlist"}, "queries_from", "brands"),
        ({"cron": "0 1 * * *", "spider": "tiki", "query": "x", "max_pages": 0}, "max_pages", "nguyên dương"),
        ({"cron": "0 1 * * *", "spider": "tiki", "query": "x", "timeout": "soon"}, "timeout", "thời lượng"),
        ({"cron": "0 1 * * *", "spider": "tiki", "query": "x", "querys": "y"}, "querys", "không được hỗ trợ"),
    ],
)
def test_errors_name_the_job_and_field(job: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _schedule({"dem-1": job})
    message = str(caught.value)
    assert "lich.yaml" in message and "'dem-1'" in message and f"'{field}'" in message and words in message


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="không đọc được"):
        load_schedule(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("jobs: [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="YAML"):
        load_schedule(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- a\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="jobs"):
        load_schedule(tmp_path / "list.yaml")


def test_cron_weekdays_mean_what_crontab_means() -> None:
    start = datetime(2026, 11, 23, 12, 0, tzinfo=LOCAL_TZ)  # a Monday
    sunday = cron_trigger("0 1 * * 0").get_next_fire_time(None, start)
    assert sunday is not None and sunday.weekday() == 6 and sunday.hour == 1
    assert cron_trigger("0 1 * * 7").get_next_fire_time(None, start) == sunday
    weekdays = {cron_trigger("0 1 * * 1-5").get_next_fire_time(None, start + timedelta(days=d)).weekday()
                for d in range(7)}
    assert weekdays == {0, 1, 2, 3, 4}
    assert str(cron_trigger("0 1 * * 0").timezone) == "Asia/Ho_Chi_Minh"


def test_queries_from_rule_sets(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(
        "set: brands\nbrands:\n  - {name: Gucci, aliases: [GG]}\n  - {name: Chanel}\n", encoding="utf-8"
    )
    (tmp_path / "x.yaml").write_text(
        "set: banned\nrules:\n  - {id: a, phrases: [pháo nổ, pháo bi]}\n  - {id: b, phrases: [dao bấm]}\n",
        encoding="utf-8",
    )
    assert queries_from(["brands"], dirs=[tmp_path]) == ["Gucci", "Chanel"]
    assert queries_from(["banned"], dirs=[tmp_path]) == ["pháo nổ", "dao bấm"]
    assert queries_from(["brands", "banned"], limit=3, dirs=[tmp_path]) == ["Gucci", "Chanel", "pháo nổ"]
    shipped = queries_from(["brands"])
    assert "Gucci" in shipped and len(shipped) == len(set(shipped))


def test_job_arguments_join_file_and_rule_queries() -> None:
    job = _schedule({"j": {"cron": "0 1 * * *", "spider": "tiki", "query": ["vape"], "queries_from": "banned",
                           "max_queries": 2, "max_pages": 2}}).jobs["j"]
    arguments = arguments_of(job)
    assert arguments["max_pages"] == 2
    assert arguments["query"][0] == "vape" and len(arguments["query"]) == 3


# --------------------------------------------------------------------------------------- the scheduler


class StubCrawl:
    """Stands in for ``scrapy crawl``: closes the run as the RunRecorder would, and counts calls."""

    def __init__(self, runs: RunRepo) -> None:
        self.runs = runs
        self.calls: list[list[str]] = []
        self.done = threading.Event()

    def __call__(self, argv: Sequence[str], env: Mapping[str, str], timeout: float, log: Path) -> CommandResult:
        self.calls.append(list(argv))
        assert env["QLTT_RUN_TRIGGER"] == "schedule"
        run_id = next(a.split("=", 1)[1] for a in argv if a.startswith("QLTT_RUN_ID="))
        self.runs.finish(run_id, "finished", {"item_scraped_count": 1}, counts={"listings": 1})
        self.done.set()
        return CommandResult(0, False, "")


def test_missed_nights_run_once_on_start(tmp_path: Path, mongo: tuple[str, str, Database]) -> None:
    runs = RunRepo(mongo[2])
    schedule = _schedule({"nightly": {"cron": "0 1 * * *", "spider": "tiki", "query": ["sữa"]}})
    stub = StubCrawl(runs)
    install(JobContext(schedule, runs, tmp_path, 60, runner=stub))
    # First life of the scheduler: the job is stored; then the machine is off for three nights.
    first = build_scheduler(schedule, job_store(tmp_path), grace_hours=24 * 5, scheduler_cls=BackgroundScheduler)
    first.start(paused=True)
    first.shutdown()
    three_nights_ago = (datetime.now(LOCAL_TZ) - timedelta(days=3)).replace(hour=1, minute=0, second=0, microsecond=0)
    _set_next_run(tmp_path, "nightly", three_nights_ago)
    assert next_run_times(schedule, job_store(tmp_path))["nightly"] == three_nights_ago

    # Restart: the stored (past) next run time is kept, the missed nights coalesce into one run.
    second = build_scheduler(schedule, job_store(tmp_path), grace_hours=24 * 5, scheduler_cls=BackgroundScheduler)
    second.start()
    try:
        assert stub.done.wait(30), "the missed job did not run"
    finally:
        second.shutdown(wait=True)
    assert len(stub.calls) == 1
    argv = stub.calls[0]
    assert argv[1:5] == ["-m", "scrapy", "crawl", "tiki"] and "query=sữa" in argv
    recorded = runs.recent(spider="tiki")
    assert [(r["trigger"], r["status"]) for r in recorded] == [("schedule", "finished")]
    upcoming = next_run_times(schedule, job_store(tmp_path))["nightly"]
    assert upcoming is not None and upcoming > datetime.now(LOCAL_TZ)


def _set_next_run(data_dir: Path, job_id: str, when: datetime) -> None:
    """What a scheduler that stopped before ``when`` leaves in its store."""
    store = job_store(data_dir)
    store.start(BackgroundScheduler(timezone=LOCAL_TZ), "default")
    job = store.lookup_job(job_id)
    assert job is not None
    job.next_run_time = when
    store.update_job(job)


def test_changed_and_removed_jobs_are_rescheduled(tmp_path: Path) -> None:
    old = _schedule({"a": {"cron": "0 1 * * *", "spider": "tiki", "query": "x"},
                     "b": {"cron": "0 2 * * *", "spider": "tiki", "query": "y"}})
    first = build_scheduler(old, job_store(tmp_path), grace_hours=1, scheduler_cls=BackgroundScheduler)
    first.start(paused=True)
    first.shutdown()
    new = _schedule({"a": {"cron": "15 3 * * *", "spider": "tiki", "query": "x"}})
    second = build_scheduler(new, job_store(tmp_path), grace_hours=1, scheduler_cls=BackgroundScheduler)
    second.start(paused=True)
    try:
        jobs = {job.id: job for job in second.get_jobs()}
        assert set(jobs) == {"a"}
        assert (jobs["a"].next_run_time.hour, jobs["a"].next_run_time.minute) == (3, 15)
        assert jobs["a"].coalesce and jobs["a"].max_instances == 1 and jobs["a"].misfire_grace_time == 3600
    finally:
        second.shutdown()


def test_same_job_never_runs_twice_at_once(tmp_path: Path, mongo: tuple[str, str, Database]) -> None:
    runs = RunRepo(mongo[2])
    schedule = _schedule({"j": {"cron": "0 1 * * *", "spider": "tiki", "query": "x"}})
    stub = StubCrawl(runs)
    context = JobContext(schedule, runs, tmp_path, 60, runner=stub)
    install(context)
    with context.job_lock("j"):
        assert run_job("j") is None
        with pytest.raises(AlreadyRunning, match="'j'"):
            run_locked(context, "j")
    assert stub.calls == [] and runs.recent() == []
    assert run_job("j") is not None and len(stub.calls) == 1


def _env(uri: str, db_name: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QLTT_")}
    env.update(QLTT_MONGO_URI=uri, QLTT_DB_NAME=db_name, QLTT_DATA_DIR=str(data_dir))
    return env


def test_second_scheduler_is_refused(tmp_path: Path, mongo: tuple[str, str, Database]) -> None:
    (tmp_path / "lich.yaml").write_text(
        'jobs:\n  yearly:\n    cron: "0 1 1 1 *"\n    spider: tiki\n    query: sữa\n', encoding="utf-8"
    )
    env = _env(mongo[0], mongo[1], tmp_path / "data")
    command = [sys.executable, "-m", "crawler.cli", "schedule", "run", "--file", str(tmp_path / "lich.yaml")]
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_until_locked(tmp_path / "data" / "schedule.lock", first)
        second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert second.returncode == 2, second.stderr
        assert "đã có một bộ lập lịch khác đang chạy" in second.stderr
        assert str(first.pid) in second.stderr
        assert first.poll() is None
    finally:
        first.terminate()
        first.wait(timeout=30)
        assert first.stderr is not None
        first.stderr.close()


def _wait_until_locked(path: Path, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        assert process.poll() is None, "the first scheduler exited"
        try:
            with FileLock(path, "probe"):
                pass
        except AlreadyRunning:
            return
        time.sleep(0.1)
    raise AssertionError("the first scheduler never took its lock")


# ------------------------------------------------------------------------------------- child processes


def _stub_runner(script: str) -> Any:
    def runner(argv: Sequence[str], env: Mapping[str, str], timeout: float, log: Path) -> CommandResult:
        return run_command([sys.executable, "-c", script], env, timeout, log)

    return runner


def test_crashing_spider_marks_its_run_failed(tmp_path: Path, mongo: tuple[str, str, Database]) -> None:
    runs = RunRepo(mongo[2])
    schedule = _schedule({"j": {"cron": "0 1 * * *", "spider": "tiki", "query": "x"}})
    script = "import sys; print('Traceback: spider exploded', flush=True); sys.exit(3)"
    context = JobContext(schedule, runs, tmp_path, 60, runner=_stub_runner(script))
    run_id, status = run_locked(context, "j")
    run = runs.get(run_id)
    assert status == "failed" and run is not None and run["status"] == "failed"
    assert run["finished_at"] is not None and run["error_count"] == 1
    assert "mã thoát 3" in run["errors"][0]["reason"]
    assert "spider exploded" in run["errors"][0]["log_tail"]
    assert (tmp_path / "logs" / "runs" / f"{run_id}.log").is_file()


def test_crawl_that_never_closes_its_run_is_failed(tmp_path: Path, mongo: tuple[str, str, Database]) -> None:
    runs = RunRepo(mongo[2])
    schedule = _schedule({"j": {"cron": "0 1 * * *", "spider": "tiki", "query": "x"}})
    context = JobContext(schedule, runs, tmp_path, 60, runner=_stub_runner("pass"))
    run_id, status = run_locked(context, "j")
    assert status == "failed" and "không đóng lượt chạy" in runs.get(run_id)["errors"][0]["reason"]


def test_timed_out_crawl_is_killed_with_its_children(tmp_path: Path, mongo: tuple[str, str, Database]) -> None:
    runs = RunRepo(mongo[2])
    schedule = _schedule({"j": {"cron": "0 1 * * *", "spider": "tiki", "query": "x", "timeout": 1}})
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        "print('grandchild', child.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    context = JobContext(schedule, runs, tmp_path, 60, runner=_stub_runner(script))
    run_id, status = run_locked(context, "j")
    run = runs.get(run_id)
    assert status == "timeout" and run["status"] == "timeout" and run["finished_at"] is not None
    assert "quá thời gian 1s" in run["errors"][0]["reason"]
    tail = run["errors"][0]["log_tail"]
    grandchild = int(tail.split("grandchild", 1)[1].split()[0])
    assert _gone(grandchild)


def _gone(pid: int) -> bool:
    """True once ``pid`` is dead (gone, or a zombie waiting for init to reap it)."""
    for _ in range(300):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False
