"""The console's image proxy against a loopback image server, and the ``qltt users`` / ``console`` commands."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

import storage
from crawler.cli import main as cli
from crawler.console.images import ImageRefused, fetch_image
from storage.users import UserRepo
from tests.test_console import png

PUBLIC = "93.184.215.14"  # what the fake resolver answers; the fake connector dials the loopback server instead
IMAGE = png(8, 8)


class _Images(BaseHTTPRequestHandler):
    routes = {
        "/ok.png": (200, {"Content-Type": "image/png"}, IMAGE),
        "/page": (200, {"Content-Type": "text/html"}, b"<html></html>"),
        "/logo.svg": (200, {"Content-Type": "image/svg+xml"}, b"<svg onload='alert(1)'/>"),
        "/big.png": (200, {"Content-Type": "image/png"}, b"\0" * 5000),
        "/to-ok": (302, {"Location": "/ok.png"}, b""),
        "/to-private": (302, {"Location": "http://10.0.0.7/ok.png"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/gone": (404, {"Content-Type": "text/plain"}, b"no"),
    }

    def do_GET(self) -> None:
        status, headers, body = self.routes[self.path]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def image_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _fetch(port: int, url: str, dialled: list[str] | None = None, max_bytes: int = 1000) -> tuple[str, bytes]:
    def connect(address: tuple[str, int], timeout: float) -> socket.socket:
        if dialled is not None:
            dialled.append(address[0])
        return socket.create_connection(("127.0.0.1", port), timeout)

    return fetch_image(url, resolve=lambda host: [PUBLIC], connect=connect, max_bytes=max_bytes)


def test_fetches_images_from_the_checked_address(image_server: int) -> None:
    dialled: list[str] = []
    assert _fetch(image_server, "http://img.example/ok.png", dialled) == ("image/png", IMAGE)
    assert _fetch(image_server, "http://img.example/to-ok", dialled) == ("image/png", IMAGE)
    assert dialled == [PUBLIC] * 3


@pytest.mark.parametrize("path", ["/page", "/logo.svg", "/big.png", "/to-private", "/loop", "/gone"])
def test_refuses_what_is_not_a_safe_small_raster_image(image_server: int, path: str) -> None:
    with pytest.raises(ImageRefused):
        _fetch(image_server, f"http://img.example{path}")


def test_refuses_hosts_resolving_to_private_addresses() -> None:
    with pytest.raises(ImageRefused):
        fetch_image("http://intranet.example/a.png", resolve=lambda host: ["192.168.1.10"])


def test_users_add_and_list(embedded_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"qltt_test_{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("QLTT_MONGO_URI", embedded_uri)
    monkeypatch.setenv("QLTT_DB_NAME", name)
    cli._register()
    runner = CliRunner()
    try:
        added = runner.invoke(cli.app, ["users", "add", "Lan", "--role", "inspector", "--password-stdin"],
                              input="mat-khau-dai\n")
        assert added.exit_code == 0, added.output
        assert "Đã tạo tài khoản lan (inspector)" in added.output
        again = runner.invoke(cli.app, ["users", "add", "lan", "--role", "viewer", "--password-stdin"],
                              input="mat-khau-dai\n")
        assert again.exit_code == 1 and "đã tồn tại" in again.output
        bad = runner.invoke(cli.app, ["users", "add", "minh", "--role", "boss", "--password-stdin"],
                            input="mat-khau-dai\n")
        assert bad.exit_code == 1
        listed = runner.invoke(cli.app, ["users", "list"])
        assert "lan" in listed.output and "inspector" in listed.output and "minh" not in listed.output
        db = storage.connect(embedded_uri, db_name=name)
        assert UserRepo(db).authenticate("lan", "mat-khau-dai") is not None
        assert "--port" in runner.invoke(cli.app, ["console", "--help"]).output
    finally:
        storage.connect(embedded_uri, db_name=name).client.drop_database(name)
