"""Listings into the embedded store: bulk upsert rate, and what a re-crawl of unchanged listings writes.

Usage: ``python bench/store.py [--listings 20000] [--batch 1000] [--one-by-one 2000]``. Starts its own
embedded nx-27017 server in a temporary folder. Prints figures; never asserts.

1. Bulk upsert of new listings (``ListingRepo.bulk_upsert``): listings/s, target >= 5,000/s.
2. Re-crawl of the same listings, unchanged: listings/s, and proof of "no writes beyond last_seen":
   every write command sent is listed (from PyMongo's command monitoring), and every stored document
   is compared with its copy from before the re-crawl.
3. The same listings one by one (``ListingRepo.upsert``, what the store pipeline does per item).

Each figure is given twice: by wall time, and by CPU time (this process + the server's), which is what
the rate would be with a free core each; on a loaded machine the second is the one to compare.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pymongo import MongoClient, monitoring  # noqa: E402

from bench.machine import cpu_seconds, describe, load  # noqa: E402
from crawler.sandbox.synthetic import tiki_rows  # noqa: E402
from storage import ListingRepo  # noqa: E402
from storage.embedded import ensure_server, stop_server  # noqa: E402
from storage.indexes import ensure_indexes  # noqa: E402
from storage.values import utcnow  # noqa: E402

TARGET = 5000


class Writes(monitoring.CommandListener):
    """Counts write commands and the update operators and fields they set."""

    def __init__(self) -> None:
        self.commands: Counter[str] = Counter()
        self.updates: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        if name not in ("insert", "update", "delete", "findAndModify"):
            return
        self.commands[name] += 1
        for statement in event.command.get("updates", []):
            spec = statement["u"]
            self.updates[" ".join(f"{op}:{','.join(sorted(fields))}" for op, fields in sorted(spec.items()))] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def listing(row: dict[str, Any], i: int) -> dict[str, Any]:
    """A normalised and matched listing document, as the pipelines hand it to the store."""
    flagged = i % 4 == 0
    return {
        "_id": row["_id"], "source": "tiki", "kind": "marketplace", "url": row["url"], "title": row["title"],
        "description": row.get("description"), "price": row["price"], "original_price": row.get("original_price"),
        "currency": "VND", "brand": row.get("brand"), "category": row.get("category"),
        "images": [f"https://salt.tikicdn.com/ts/product/{i % 97:02x}/{i}.jpg"], "sold": row.get("sold"),
        "rating": 4.6, "location": row.get("location"), "seller_id": row["seller"]["id"],
        "findings": [{"rule_id": "counterfeit.price_floor", "category": "counterfeit", "severity": "high",
                      "score": 0.9, "evidence": [{"field": "price", "text": str(row["price"])}]}] if flagged else [],
        "flag": flagged, "categories": ["counterfeit"] if flagged else [], "risk": 70 if flagged else 0,
    }


class Clock:
    """Wall time and the CPU time of this process and of the database server."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time() + cpu_seconds(self.server_pid)
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() + cpu_seconds(self.server_pid) - self.cpu

    def rate(self, count: int) -> str:
        return (f"{count:,} in {self.wall:.2f} s = {count / self.wall:,.0f} listings/s "
                f"(CPU {1e6 * self.cpu / count:,.0f} µs/listing = {count / self.cpu:,.0f}/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listings", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=1000, help="ListingRepo batch size")
    parser.add_argument("--one-by-one", type=int, default=2000, help="listings upserted one at a time")
    args = parser.parse_args()
    print(f"machine: {describe()}")
    docs = [listing(row, i) for i, row in enumerate(tiki_rows(args.listings))]

    with tempfile.TemporaryDirectory(prefix="qltt-bench-store-") as folder:
        writes = Writes()
        client: MongoClient = MongoClient(ensure_server(Path(folder)), tz_aware=True, w="majority",
                                          event_listeners=[writes])
        try:
            db = client["bench"]
            ensure_indexes(db)
            repo = ListingRepo(db, batch_size=args.batch)
            pid = json.loads((Path(folder) / "db" / "server.json").read_text())["pid"]

            with Clock(pid) as clock:
                created = repo.bulk_upsert(docs)
            best = args.listings / min(clock.wall, clock.cpu)
            print(f"bulk upsert, new:       {clock.rate(args.listings)}; target >= {TARGET:,}/s: "
                  f"{'met' if best >= TARGET else 'NOT met'}; {_plain(created)}")

            before = {d["_id"]: d for d in db.listings.find()}
            writes.commands.clear()
            writes.updates.clear()
            with Clock(pid) as clock:
                again = repo.bulk_upsert(docs, now=utcnow() + timedelta(hours=24))
            print(f"re-crawl, unchanged:    {clock.rate(args.listings)}; {_plain(again)}")
            print(f"  write commands sent:  {dict(writes.commands)}; update statements: {dict(writes.updates)}")
            changed: Counter[str] = Counter()
            moved = 0
            for doc in db.listings.find():
                old = before[doc["_id"]]
                moved += doc["last_seen"] > old["last_seen"]
                changed.update(k for k in doc.keys() | old.keys() if k != "last_seen" and doc.get(k) != old.get(k))
            print(f"  documents compared:   {len(before):,}; last_seen moved in {moved:,}; "
                  f"other fields changed: {dict(changed) or 'none'}")

            sample = docs[: args.one_by_one]
            for doc in sample:
                doc["price"] += 1000  # a real change, so each one is a full update
            with Clock(pid) as clock:
                outcomes = Counter(repo.upsert(doc).value for doc in sample)
            print(f"one by one, changed:    {clock.rate(len(sample))}; {dict(outcomes)}")
            print(f"after: {load()}")
        finally:
            client.close()
            stop_server(Path(folder))


def _plain(counts: dict[Any, int]) -> dict[str, int]:
    return {str(k): v for k, v in counts.items()}


if __name__ == "__main__":
    main()
