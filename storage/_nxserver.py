"""Entry point of the embedded nx-27017 server, with the fixes qltt relies on applied first.

Run as ``python -m storage._nxserver`` with nx-27017's own arguments. What differs from
``python -m nx_27017.nx_27017``:

* neosqlite 1.17's SQL fast path for updates of existing documents stores datetimes as strings
  (``$set: {last_seen: <datetime>}`` reads back as ``"2026-11-23 09:37:49"``), turns every
  sub-document of an array it ``$push``-es to into a JSON string, and silently drops ``$addToSet``
  on a missing field. Its Python path is correct, so updates are routed there; queries keep SQL.
* Speed (``bench/store.py``): neosqlite deep-copies every document it inserts, projects or updates
  and asks SQLite to re-validate the JSON it has just written with ``json.dumps``. Those copies only
  protect a document against changes to its top level (inserts rebuild every nested container
  anyway; a projection picks or pops top-level keys; a top-level ``$set``/``$unset`` replaces
  values), so there a shallow copy does the same work; JSON without ``NaN``/``Infinity`` from
  ``json.dumps`` is valid. Every other update keeps the deep copy. Documents are walked for BSON
  ObjectIds and for bytes before they are stored; a document without any is now walked without being
  rebuilt. And SQLite committed each document
  of an insert or update command on its own; outside a client transaction a command is now one
  SQLite transaction (a document refused with a duplicate key is still reported alone).
* nx-27017 logs every command at INFO; the server's log keeps warnings and errors only.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from bson import ObjectId as BsonObjectId
from neosqlite.collection.query_helper import QueryHelper
from neosqlite.collection.query_helper import utils as helper_utils
from nx_27017 import nx_27017
from nx_27017.handler import NeoSQLiteHandler, _msg_db_name

_TOP_LEVEL_OPS = frozenset({"$set", "$unset"})


class _ShallowCopied(dict):  # type: ignore[type-arg]
    """A document whose ``deepcopy`` is a shallow copy (see the module docstring for when that is safe)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return dict(self)


def _holds(value: Any, kinds: tuple[type, ...]) -> bool:
    """Whether ``value`` or anything nested in it is one of ``kinds`` (a walk that builds nothing)."""
    if isinstance(value, kinds):
        return True
    if isinstance(value, dict):
        return any(_holds(v, kinds) for v in value.values())
    if isinstance(value, list):
        return any(_holds(v, kinds) for v in value)
    return False


def _only_when_needed(convert: Callable[[Any], Any], kinds: tuple[type, ...]) -> Callable[[Any], Any]:
    """``convert`` rebuilds a whole document to replace a few values: skip it when there are none."""

    @functools.wraps(convert)
    def wrapper(value: Any) -> Any:
        return convert(value) if _holds(value, kinds) else value

    return wrapper


def _never_sql_update(self: Any, update_spec: Any, doc_id: Any, original_doc: Any = None) -> bool:
    """Replacement for ``QueryHelper._can_use_sql_updates``: always take the correct Python path."""
    return False


def _valid_json(self: Any, json_str: str, _check: Any = QueryHelper._validate_json_document) -> bool:
    """``json.dumps`` output is valid JSON unless it holds ``NaN``/``Infinity``: only then ask SQLite."""
    return True if "NaN" not in json_str and "Infinity" not in json_str else bool(_check(self, json_str))


def _insert(self: Any, document: Any, _insert: Any = QueryHelper._internal_insert) -> Any:
    return _insert(self, _ShallowCopied(document) if isinstance(document, dict) and "_id" in document else document)


def _project(self: Any, projection: Any, document: Any, _project: Any = QueryHelper._apply_projection) -> Any:
    return _project(self, projection, _ShallowCopied(document) if projection else document)


def _python_update(self: Any, doc_id: Any, update_spec: Any, original_doc: Any, *args: Any,
                   _update: Any = QueryHelper._perform_python_update, **kwargs: Any) -> Any:
    top_level = set(update_spec) <= _TOP_LEVEL_OPS and not any(
        "." in key or "$" in key for fields in update_spec.values() for key in fields)
    return _update(self, doc_id, update_spec, _ShallowCopied(original_doc) if top_level else original_doc,
                   *args, **kwargs)


def _one_transaction(handle: Callable[..., Any]) -> Callable[..., Any]:
    """Run an ``insert``/``update``/``delete`` command in one SQLite transaction (see the module docstring)."""

    @functools.wraps(handle)
    def wrapper(self: NeoSQLiteHandler, msg: Any) -> Any:
        body: dict[str, Any] = next((doc for kind, doc in msg.get("sections", ()) if kind == "body"), {})
        if not any(k in body for k in ("insert", "update", "delete")) or "txnNumber" in body:
            return handle(self, msg)
        db_name = _msg_db_name(msg)
        with self._lock_for(db_name):  # the same re-entrant lock the handler takes
            conn = self.get_database(db_name).db
            if conn.in_transaction:
                return handle(self, msg)
            conn.execute("BEGIN")
            try:
                result = handle(self, msg)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

    return wrapper


def main() -> None:
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s [%(process)d] %(message)s",
    )
    QueryHelper._can_use_sql_updates = _never_sql_update  # type: ignore[method-assign]
    QueryHelper._validate_json_document = _valid_json  # type: ignore[method-assign]
    QueryHelper._internal_insert = _insert  # type: ignore[method-assign]
    QueryHelper._apply_projection = _project  # type: ignore[method-assign]
    QueryHelper._perform_python_update = _python_update  # type: ignore[method-assign]
    helper_utils._convert_bytes_to_binary = _only_when_needed(helper_utils._convert_bytes_to_binary, (bytes,))
    handler_ids = NeoSQLiteHandler._convert_objectids
    NeoSQLiteHandler._convert_objectids = (  # type: ignore[method-assign]
        lambda self, doc: handler_ids(self, doc) if _holds(doc, (BsonObjectId,)) else doc)
    NeoSQLiteHandler.handle_insert = _one_transaction(NeoSQLiteHandler.handle_insert)  # type: ignore[method-assign]
    NeoSQLiteHandler.handle_command = _one_transaction(NeoSQLiteHandler.handle_command)  # type: ignore[method-assign]
    nx_27017.main()


if __name__ == "__main__":
    main()
