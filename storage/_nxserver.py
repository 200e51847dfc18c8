"""Entry point of the embedded nx-27017 server, with the fixes qltt relies on applied first.

Run as ``python -m storage._nxserver`` with nx-27017's own arguments. Two things differ from
``python -m nx_27017.nx_27017``:

* neosqlite 1.17's SQL fast path for updates of existing documents stores datetimes as strings
  (``$set: {last_seen: <datetime>}`` reads back as ``"2026-11-23 09:37:49"``), turns every
  sub-document of an array it ``$push``-es to into a JSON string, and silently drops ``$addToSet``
  on a missing field. Its Python path is correct, so updates are routed there; queries keep SQL.
* nx-27017 logs every command at INFO; the server's log keeps warnings and errors only.
"""

from __future__ import annotations

import logging
from typing import Any

from neosqlite.collection.query_helper import QueryHelper
from nx_27017 import nx_27017


def _never_sql_update(self: Any, update_spec: Any, doc_id: Any, original_doc: Any = None) -> bool:
    """Replacement for ``QueryHelper._can_use_sql_updates``: always take the correct Python path."""
    return False


def main() -> None:
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s [%(process)d] %(message)s",
    )
    QueryHelper._can_use_sql_updates = _never_sql_update  # type: ignore[method-assign]
    nx_27017.main()


if __name__ == "__main__":
    main()
