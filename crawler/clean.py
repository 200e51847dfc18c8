"""Cleaners shared by page objects, pipelines and rules: text, VND prices, phones, provinces.

Pure functions with no Scrapy import, so ``rules/`` and ``storage/`` may use them too.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

__all__ = ["extract_phones", "nfc", "parse_vnd", "province", "strip_accents", "to_e164"]

_SPACE = re.compile(r"\s+")


def nfc(text: str | None, *, limit: int = 20_000) -> str | None:
    """Unicode NFC with collapsed white space, bounded in length (scraped text is hostile)."""
    if text is None:
        return None
    text = unicodedata.normalize("NFC", str(text)).replace("\x00", "")
    text = _SPACE.sub(" ", text).strip()
    return text[:limit] or None


def strip_accents(text: str) -> str:
    """Fold Vietnamese diacritics (``đ`` too) for matching; display keeps the original."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


# "1tr2" = 1.200.000, "1tr250" = 1.250.000, "3tr" = 3.000.000, "350k" = 350.000, "2,5 triệu".
_TR = re.compile(r"^(\d+)\s*(?:tr|triệu|trieu|m)\s*(\d{0,3})$")
_MILLION_DECIMAL = re.compile(r"^(\d+)[.,](\d+)\s*(?:tr|triệu|trieu)$")
_K = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(?:k|nghìn|nghin|ngàn|ngan)$")
_DIGITS = re.compile(r"\d+")
_NO_PRICE = ("ib", "inbox", "liên hệ", "lien he", "thỏa thuận", "thoa thuan", "call")


def parse_vnd(value: object) -> int | None:
    """An integer VND amount from what sellers write, or None when no price is stated.

    Accepts numbers and strings such as ``"1.250.000đ"``, ``"1,250,000 ₫"``, ``"350k"``, ``"1tr2"``,
    ``"2,5 triệu"``. ``"ib giá"`` and other "ask me" forms give None.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return round(value) if value > 0 else None
    text = strip_accents(str(value)).lower().strip()
    text = re.sub(r"(vnd|vnđ|dong|đ|d|₫)\s*$", "", text).strip()
    if not text or any(text.startswith(word) for word in _NO_PRICE):
        return None
    if match := _TR.match(text):
        millions, rest = match.groups()
        return int(millions) * 1_000_000 + (int(rest.ljust(3, "0")) * 1000 if rest else 0)
    if match := _MILLION_DECIMAL.match(text):
        whole, frac = match.groups()
        return int(whole) * 1_000_000 + int(frac.ljust(6, "0")[:6])
    if match := _K.match(text):
        return round(float(match.group(1).replace(",", ".")) * 1000)
    if re.fullmatch(r"\d+(?:[.,]\d{1,2})", text):  # "59000.00" from Lazada's JSON
        return round(float(text.replace(",", ".")))
    digits = "".join(_DIGITS.findall(text))
    return int(digits) if digits and int(digits) > 0 else None


def to_e164(raw: str | None, region: str = "VN") -> str | None:
    """A phone number in E.164 (``+84912345678``), or None when it is not a valid number."""
    if not raw:
        return None
    try:
        number = phonenumbers.parse(str(raw), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def extract_phones(text: str | None, region: str = "VN") -> list[str]:
    """Every valid phone number written in free text, in E.164, in order of first appearance."""
    if not text:
        return []
    found: list[str] = []
    for match in phonenumbers.PhoneNumberMatcher(text[:20_000], region, leniency=phonenumbers.Leniency.VALID):
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        if e164 not in found:
            found.append(e164)
    return found


_PROVINCE_ALIASES = {
    "ho chi minh": "TP. Hồ Chí Minh",
    "tp ho chi minh": "TP. Hồ Chí Minh",
    "tp. ho chi minh": "TP. Hồ Chí Minh",
    "tp.hcm": "TP. Hồ Chí Minh",
    "tp hcm": "TP. Hồ Chí Minh",
    "hcm": "TP. Hồ Chí Minh",
    "sai gon": "TP. Hồ Chí Minh",
    "ha noi": "Hà Nội",
    "tp. ha noi": "Hà Nội",
    "da nang": "Đà Nẵng",
    "hai phong": "Hải Phòng",
    "can tho": "Cần Thơ",
}


def province(raw: str | None) -> str | None:
    """A canonical province name for the common spellings marketplaces use; others kept as NFC."""
    text = nfc(raw)
    if text is None:
        return None
    key = strip_accents(text).lower().strip(" .")
    return _PROVINCE_ALIASES.get(key, text)
