"""The compliance facts a selling website must show under NĐ 52/2013/NĐ-CP as amended by NĐ 85/2021/NĐ-CP.

Art. 29 requires the owner's name, address, phone, email and business registration / tax code on the
site; Art. 27/53 require notifying the Ministry of Industry and Trade (MOIT), proven by a badge that
links to the site's record at ``online.gov.vn/Home/WebDetails/<id>``. A badge image alone proves
nothing (template clones copy the PNG and link it to ``#``), so the badge is "linked" only with that
record link, "unlinked" when just the image shows, "absent" otherwise. Pure parsing, no network.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from crawler.clean import extract_phones, nfc, strip_accents, to_e164

from .base import Page

__all__ = ["REQUIRED", "WebsiteCompliancePage", "compliance_facts", "merge_facts"]

# What the law requires, keyed by the facts field, with the Vietnamese name inspectors read.
REQUIRED = {
    "moit_badge": "Thông báo Bộ Công Thương",
    "owner_name": "Tên chủ sở hữu",
    "address": "Địa chỉ",
    "phone": "Số điện thoại",
    "email": "Email",
    "tax_code": "Mã số thuế / ĐKKD",
}

_MOIT_RECORD = re.compile(r"online\.gov\.vn/(?:Home/)?(?:WebDetails|AppDetails)/\d+", re.I)
# Matched on accent-folded lower-case src/alt/title of images.
_MOIT_IMAGE = re.compile(
    r"logosalenoti|logoccdv|bocongthuong|bo-cong-thuong|bo_cong_thuong|congthuong|cong-thuong"
    r"|da thong bao bo cong thuong|da dang ky bo cong thuong|dang ky bo cong thuong|thong bao bo cong thuong"
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_IMAGE_EXT = re.compile(r"\.(png|jpe?g|gif|webp|svg)$", re.I)
# Labels are matched on accent-folded lower-case lines; digits are read from the same position.
_TAX = re.compile(
    r"(?:mst|ma so thue|ma so doanh nghiep|msdn|gpkd|giay phep kinh doanh|giay cndkdn|cndkdn|dkkd"
    r"|giay chung nhan dang ky (?:doanh nghiep|kinh doanh|ho kinh doanh)|so dang ky kinh doanh)"
    r"[^0-9\n]{0,60}?(\d[\d .-]{7,16}\d)"
)
_OWNER_LABEL = re.compile(
    r"^(?:ten )?(?:chu so huu|chu website|don vi chu quan|chu quan|ten doanh nghiep|ten cong ty"
    r"|ten don vi|ho kinh doanh|nguoi dai dien|owner)\s*[:：-]\s*"
)
_COMPANY = re.compile(r"^(?:cong ty|cty|ho kinh doanh|doanh nghiep tu nhan|hkd)\b")
# Links to the page where a site writes who runs it ("Giới thiệu", "Liên hệ", "Về chúng tôi"), accent-folded.
_INFO_LINK = re.compile(r"\b(?:gioi[ -]thieu|lien[ -]he|ve chung toi|ve-chung-toi|about|contact)\b")
_BADGES = ("linked", "unlinked", "absent")  # best first
_ADDRESS_LABEL = re.compile(r"^(?:dia chi|tru so(?: chinh)?|van phong|dc|d/c|address)\b[^:：]{0,30}[:：]\s*")


class WebsiteCompliancePage(Page):
    """A website page (home, footer, contact) read for the NĐ 52/85 compliance facts."""

    @cached_property
    def soup(self) -> BeautifulSoup:
        soup = BeautifulSoup(self.text, "html.parser")
        for tag in soup(["script", "style", "noscript", "template"]):
            tag.decompose()
        return soup

    @cached_property
    def lines(self) -> list[str]:
        """Visible text, one NFC line per block, blanks dropped."""
        text = self.soup.get_text("\n")
        return [line for line in (nfc(part) for part in text.splitlines()) if line]

    def moit(self) -> tuple[str, str | None]:
        """``("linked" | "unlinked" | "absent", the badge's link)``."""
        for link in self.soup.find_all("a", href=True):
            href = str(link["href"])
            if _MOIT_RECORD.search(href):
                return "linked", urljoin(self.url, href)
        for img in self.soup.find_all("img"):
            label = " ".join(str(img.get(attr) or "") for attr in ("src", "alt", "title", "data-src"))
            if _MOIT_IMAGE.search(strip_accents(label).lower()):
                parent = img.find_parent("a")
                return "unlinked", str(parent["href"]) if isinstance(parent, Tag) and parent.get("href") else None
        return "absent", None

    def email(self) -> str | None:
        for link in self.soup.find_all("a", href=True):
            href = str(link["href"])
            if href.lower().startswith("mailto:"):
                address = href[7:].split("?", 1)[0].strip()
                if _EMAIL.fullmatch(address):
                    return address.lower()
        for line in self.lines:
            for match in _EMAIL.finditer(line):
                if not _IMAGE_EXT.search(match.group(0)):
                    return match.group(0).lower()
        return None

    def phone(self) -> str | None:
        """The first phone shown: a ``tel:`` link, else a number written in the text (E.164)."""
        for link in self.soup.find_all("a", href=True):
            href = str(link["href"])
            if href.lower().startswith("tel:") and (e164 := to_e164(href[4:].strip())):
                return e164
        for line in self.lines:
            if "mst" in line.lower() or "mã số" in line.lower():
                continue  # a 10-digit tax code must not pass for a phone number
            if phones := extract_phones(line):
                return phones[0]
        return None

    def tax_code(self) -> str | None:
        for line in self.lines:
            match = _TAX.search(strip_accents(line).lower())
            if match:
                return re.sub(r"[ .]", "", match.group(1))
        return None

    def owner_name(self) -> str | None:
        """A labelled owner ("Chủ sở hữu: ..."), else the first "Công ty ..." / "Hộ kinh doanh ..." line."""
        for line in self.lines:
            match = _OWNER_LABEL.match(strip_accents(line).lower())
            if match and line[match.end() :].strip():
                return line[match.end() :].strip()[:200]
        for line in self.lines:
            if _COMPANY.match(strip_accents(line).lower()) and len(line) > 12:
                return line[:200]
        return None

    def address(self) -> str | None:
        for index, line in enumerate(self.lines):
            match = _ADDRESS_LABEL.match(strip_accents(line).lower())
            if not match:
                continue
            value = line[match.end() :].strip()
            if not value and index + 1 < len(self.lines):
                value = self.lines[index + 1]
            if value:
                return value[:300]
        return None

    def info_links(self) -> list[str]:
        """Links of the same site to its "Giới thiệu" / "Liên hệ" page, where owners often write their details."""
        host = urlsplit(self.url).hostname
        found: list[str] = []
        for link in self.soup.find_all("a", href=True):
            url = urljoin(self.url, str(link["href"])).split("#", 1)[0]
            label = strip_accents(f"{link.get_text(' ')} {urlsplit(url).path}").lower()
            if urlsplit(url).hostname == host and _INFO_LINK.search(label) and url not in found:
                found.append(url)
        return found

    def facts(self) -> dict[str, Any]:
        """The compliance facts and the Vietnamese names of the required items not found."""
        badge, badge_url = self.moit()
        facts: dict[str, Any] = {
            "moit_badge": badge,
            "moit_url": badge_url,
            "owner_name": self.owner_name(),
            "address": self.address(),
            "phone": self.phone(),
            "email": self.email(),
            "tax_code": self.tax_code(),
        }
        return facts | {"missing": _missing(facts)}


def _missing(facts: dict[str, Any]) -> list[str]:
    present = {**facts, "moit_badge": facts["moit_badge"] == "linked"}
    return [name for key, name in REQUIRED.items() if not present[key]]


def merge_facts(pages: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One site's facts read from several of its pages (home, "Giới thiệu"): each item as the first page
    showing it has it, the best badge any page shows, and what is missing from all of them."""
    best = min(pages, key=lambda facts: _BADGES.index(facts["moit_badge"]))
    merged = {"moit_badge": best["moit_badge"], "moit_url": best["moit_url"]}
    merged |= {key: next((f[key] for f in pages if f.get(key)), None) for key in REQUIRED if key != "moit_badge"}
    return merged | {"missing": _missing(merged)}


def compliance_facts(url: str, html: bytes | str) -> dict[str, Any]:
    """Shortcut for callers holding a body: ``WebsiteCompliancePage(url, html).facts()``."""
    return WebsiteCompliancePage(url, html).facts()
