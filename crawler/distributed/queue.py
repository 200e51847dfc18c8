"""The shared request queue with Redis's reliable-queue pattern, and the leases that tell live workers from dead.

scrapy-redis pops a request out of Redis into the worker's memory: a worker killed with SIGKILL loses
every request it had popped and not finished. Here a pop moves the request, in one Lua script, from the
shared sorted set into the worker's *in-flight* hash (keyed by fingerprint), and the worker deletes the
entry once the request is done — its items through the pipelines and the requests it led to queued
(``crawler.distributed.scheduler`` says when). Each worker renews a lease key; when a lease lapses
(the worker died), any other worker moves the dead one's in-flight requests and half-expanded jobs back
to the shared queue (``Workers.reap``). Delivery is at-least-once: a page can be fetched twice (a worker
that died after storing its items, a retry queued before the death), never lost; storage upserts are
idempotent, so a listing is still stored once.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from typing import Any

from redis import Redis
from scrapy import Request, Spider
from scrapy.utils.request import request_from_dict
from scrapy_redis.queue import Base

from crawler.distributed.keys import JOB_KEY, Keys
from crawler.frontier import FP_KEY

__all__ = ["ReliableQueue", "Workers", "text", "worker_id"]

logger = logging.getLogger(__name__)

# KEYS: requests, inflight. The best member moves into the in-flight hash, keeping its score.
_POP = """
local best = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #best == 0 then return false end
redis.call('ZREM', KEYS[1], best[1])
local cut = string.find(best[1], '\\n', 1, true)
redis.call('HSET', KEYS[2], string.sub(best[1], 1, cut - 1), best[2] .. '\\n' .. best[1])
return best[1]
"""

# KEYS: alive, inflight, expanding, requests, jobs. Nothing moves while the owner's lease holds.
_REAP = """
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local requests, jobs = 0, 0
for _, value in ipairs(redis.call('HVALS', KEYS[2])) do
  local cut = string.find(value, '\\n', 1, true)
  redis.call('ZADD', KEYS[4], string.sub(value, 1, cut - 1), string.sub(value, cut + 1))
  requests = requests + 1
end
redis.call('DEL', KEYS[2])
while redis.call('LMOVE', KEYS[3], KEYS[5], 'RIGHT', 'RIGHT') do jobs = jobs + 1 end
return {requests, jobs}
"""


def text(raw: bytes | str) -> str:
    """A Redis reply as text (the client returns bytes)."""
    return raw.decode() if isinstance(raw, bytes) else raw


def worker_id() -> str:
    """Unique among the workers of all hosts, and readable in logs: ``<host>-<pid>-<random>``."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class ReliableQueue(Base):
    """The shared sorted set of requests; ``pop`` records what it hands out in the worker's in-flight hash.

    ``spider_for(job_id)`` gives the spider instance a request's callbacks are bound to (its job's).
    The request's fingerprint is in ``request.meta[FP_KEY]`` (set by the scheduler before ``push``).
    """

    def __init__(self, server: Redis, spider: Spider, keys: Keys, worker: str, spider_for: Any) -> None:
        super().__init__(server, spider, keys.requests)
        self.inflight = keys.inflight(worker)
        self.spider_for = spider_for
        self._pop = server.register_script(_POP)

    def __len__(self) -> int:
        return int(self.server.zcard(self.key))

    def push(self, request: Request) -> None:
        member = request.meta[FP_KEY].encode() + b"\n" + self._encode_request(request)
        self.server.zadd(self.key, {member: -request.priority})

    def pop(self, timeout: int = 0) -> Request | None:
        member = self._pop(keys=[self.key, self.inflight])
        if not member:
            return None
        fp, data = member.split(b"\n", 1)
        obj = self.serializer.loads(data)
        request = request_from_dict(obj, spider=self.spider_for(obj.get("meta", {}).get(JOB_KEY)))
        request.meta[FP_KEY] = fp.decode()
        return request

    def ack(self, *fps: str) -> None:
        """These requests are done: forget them."""
        if fps:
            self.server.hdel(self.inflight, *fps)


class Workers:
    """The workers of one spider's queue: this one's lease, and recovering the work of those that died."""

    def __init__(self, server: Redis, keys: Keys, worker: str, lease_s: float) -> None:
        self.server = server
        self.keys = keys
        self.worker = worker
        self.lease_ms = max(int(lease_s * 1000), 1000)
        self._reap = server.register_script(_REAP)

    def beat(self) -> None:
        """Renew this worker's lease (and its membership, in case another worker took it for dead)."""
        with self.server.pipeline() as pipe:
            pipe.set(self.keys.alive(self.worker), b"1", px=self.lease_ms)
            pipe.sadd(self.keys.workers, self.worker)
            pipe.execute()

    def reap(self) -> tuple[int, int]:
        """Requeue the in-flight requests and jobs of every worker whose lease lapsed: (requests, jobs)."""
        requests = jobs = 0
        for raw in self.server.smembers(self.keys.workers):
            other = text(raw)
            if other == self.worker:
                continue
            moved = self._requeue(other)
            if moved is None:
                continue
            self.server.srem(self.keys.workers, other)
            if any(moved):
                logger.warning("worker %s is gone: %d requests and %d jobs back in the queue", other, *moved)
            requests, jobs = requests + moved[0], jobs + moved[1]
        return requests, jobs

    def busy_elsewhere(self) -> bool:
        """Is there work this worker may still get: queued jobs or requests, or requests in flight elsewhere?"""
        others = [text(raw) for raw in self.server.smembers(self.keys.workers)]
        with self.server.pipeline() as pipe:
            pipe.llen(self.keys.jobs)
            pipe.zcard(self.keys.requests)
            for other in others:
                if other != self.worker:
                    pipe.hlen(self.keys.inflight(other))
                    pipe.llen(self.keys.expanding(other))
            return any(pipe.execute())

    def leave(self, requeue: bool) -> int:
        """Deregister; with ``requeue`` this worker's unfinished requests go back to the queue first."""
        self.server.delete(self.keys.alive(self.worker))
        moved = self._requeue(self.worker) if requeue else None
        with self.server.pipeline() as pipe:
            pipe.delete(self.keys.inflight(self.worker), self.keys.expanding(self.worker))
            pipe.srem(self.keys.workers, self.worker)
            pipe.execute()
        return moved[0] if moved else 0

    def _requeue(self, worker: str) -> tuple[int, int] | None:
        k = self.keys
        moved = self._reap(keys=[k.alive(worker), k.inflight(worker), k.expanding(worker), k.requests, k.jobs])
        return (int(moved[0]), int(moved[1])) if moved else None
