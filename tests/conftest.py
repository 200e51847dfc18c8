"""Shared pytest fixtures."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from pymongo.database import Database

import storage
from storage.embedded import ensure_server, stop_server

pytest_plugins = ["tests.sandbox_plugin", "tests.gated_sandbox"]

# Tests talk to loopback servers only; a proxy from the environment would intercept them.
for _name in [n for n in os.environ if n.lower() in ("http_proxy", "https_proxy", "all_proxy")]:
    del os.environ[_name]

# ---------------------------------------------------------------------------------------------
# Storage fixtures (owner: storage). One embedded nx-27017 server per test session, a fresh
# database per test; the same tests also run on a real MongoDB when QLTT_TEST_MONGO_URI is set.
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def embedded_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URI of an embedded store started for this session in a temporary data folder."""
    data_dir = tmp_path_factory.mktemp("qltt-embedded")
    uri = ensure_server(data_dir)
    try:
        yield uri
    finally:
        storage.close_all()
        stop_server(data_dir)


@pytest.fixture(params=["embedded", "mongodb"])
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A fresh, empty database (dropped afterwards) on the embedded store, then on real MongoDB."""
    if request.param == "mongodb":
        uri = os.environ.get("QLTT_TEST_MONGO_URI") or pytest.skip("QLTT_TEST_MONGO_URI is not set")
    else:
        uri = request.getfixturevalue("embedded_uri")
    name = f"qltt_test_{uuid.uuid4().hex[:12]}"
    database = storage.connect(uri, db_name=name)
    try:
        yield database
    finally:
        database.client.drop_database(name)


# ---------------------------------------------------------------------------------------------
# End of storage fixtures.
# ---------------------------------------------------------------------------------------------
