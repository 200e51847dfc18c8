"""Where one spider's distributed crawl lives in Redis: every key under ``qltt:<spider>:``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["JOB_KEY", "Keys"]

JOB_KEY = "qltt_job"  # request meta: the id of the enqueued job the request belongs to


@dataclass(frozen=True)
class Keys:
    spider: str

    @property
    def prefix(self) -> str:
        return f"qltt:{self.spider}:"

    @property
    def jobs(self) -> str:
        """List of job ids waiting for a worker to run their spider's ``start()``."""
        return f"{self.prefix}jobs"

    def job(self, job_id: str) -> str:
        """The job's spider arguments (JSON), kept for ``JOB_TTL_S``."""
        return f"{self.prefix}job:{job_id}"

    @property
    def requests(self) -> str:
        """Sorted set: the shared request queue (score = -priority), members ``<fingerprint>\\n<request>``."""
        return f"{self.prefix}requests"

    def seen(self, job_id: str) -> str:
        """Set of the request fingerprints one job has scheduled (its duplicate filter)."""
        return f"{self.prefix}seen:{job_id}"

    @property
    def workers(self) -> str:
        """Set of the ids of the workers that took work from this queue."""
        return f"{self.prefix}workers"

    def alive(self, worker: str) -> str:
        """The worker's lease: exists while the worker renews it."""
        return f"{self.prefix}alive:{worker}"

    def inflight(self, worker: str) -> str:
        """Hash fingerprint -> ``<score>\\n<member>``: requests the worker took and has not finished."""
        return f"{self.prefix}inflight:{worker}"

    def expanding(self, worker: str) -> str:
        """List of the job ids whose ``start()`` the worker is running."""
        return f"{self.prefix}expanding:{worker}"
