"""User-supplied URLs never reach private, loopback, link-local or reserved addresses."""

from __future__ import annotations

import pytest

from crawler.exceptions import UnsafeURLError
from crawler.urlsafety import check_url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/admin",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.10:8080/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://240.0.0.1/",
        "http://localhost/",
        "file:///etc/passwd",
        "ftp://shop.vn/",
        "http://user:pw@shop.vn/",
        "http:///nohost",
    ],
)
def test_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError):
        check_url(url, resolve=lambda host: ["127.0.0.1"])


def test_name_resolving_to_private_is_refused() -> None:
    with pytest.raises(UnsafeURLError, match=r"10\.0\.0\.1"):
        check_url("https://shop-cua-toi.vn/p/1", resolve=lambda host: ["203.0.113.9", "10.0.0.1"])


def test_public_is_accepted() -> None:
    url = "https://shopee.vn/ao-thun-i.123.456"
    assert check_url(url, resolve=lambda host: ["103.9.86.1"]) == url
