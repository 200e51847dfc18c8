"""Refuse user-supplied URLs that point inside: private, loopback, link-local, reserved or multicast addresses.

Used for citizens' tips and the console's image proxy: a URL someone pasted must never make qltt fetch
from the machine itself, the office network or a cloud metadata service (169.254.169.254). Every
address the host name resolves to is checked, and callers check again after each redirect.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from crawler.exceptions import UnsafeURLError

__all__ = ["Resolver", "check_url", "is_public_address"]

Resolver = Callable[[str], list[str]]


def _resolve(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise UnsafeURLError(f"không phân giải được tên miền {host!r}: {exc.strerror}") from exc
    return sorted({str(info[4][0]) for info in infos})


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback)


def check_url(url: str, resolve: Resolver = _resolve) -> str:
    """The URL, unchanged, when it is http(s) to a host whose every address is public; else UnsafeURLError.

    The message is Vietnamese because it is shown to the person who submitted the URL.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise UnsafeURLError(f"chỉ chấp nhận liên kết http/https, không phải {parts.scheme or 'rỗng'!r}: {url}")
    host = parts.hostname
    if not host:
        raise UnsafeURLError(f"liên kết không có tên máy chủ: {url}")
    if parts.username or parts.password:
        raise UnsafeURLError(f"liên kết chứa thông tin đăng nhập: {url}")
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        addresses = resolve(host)
    blocked = [a for a in addresses if not is_public_address(a)]
    if blocked or not addresses:
        raise UnsafeURLError(
            f"từ chối: {host} trỏ tới địa chỉ nội bộ/không công khai ({', '.join(blocked) or 'không có'})"
        )
    return url
