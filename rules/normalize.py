"""Normalise listing text so evasive spellings match plain patterns, keeping offsets into the original.

Sellers write ``G.U.C.C.I``, ``Gucc!``, ``N1ke``, ``R0lex``, ``Chanelll``, ``ko cần đơn`` and emoji to slip past
keyword filters. Every form is folded into one canonical text (lower-case, no diacritics, leetspeak undone,
separators joined, repeated letters collapsed, teencode expanded); each canonical character remembers the
original word it came from, so a finding can show the seller's own words.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

from crawler.clean import strip_accents

__all__ = ["Normalized", "fold", "normalize", "normalize_phrase"]

# A word: spaced single letters ("g u c c i"), a ratio ("1:1"), or letters/digits joined by separators and
# leetspeak symbols ("g.u.c.c.i", "l-v", "bur.berry", "pr@da", "gucc!") — one regex, so one C-level pass.
_TOKEN = re.compile(
    r"(?<!\w)(?:[^\W\d_] ){2,}[^\W\d_](?!\w)"
    r"|\d+:\d+(?!\d)"
    r"|[^\W_]+(?:[.\-_*·'’&@$!|]+[^\W_]+)*!?"
)
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "i"}
_LEET_ALT = {"1": "l", "|": "l"}
_STRIP_JOINERS = re.compile(r"[.\-_*·'’& ]+")
_SPLIT = re.compile(r"[^\W\d_]+|\d+(?::\d+)?")
_REPEAT = re.compile(r"([a-z])\1+")
# Teencode and chat abbreviations, folded; applied only to whole words.
_TEENCODE = {
    "ko": "khong", "k": "khong", "kh": "khong", "hok": "khong", "hong": "khong", "khg": "khong", "hk": "khong",
    "dc": "duoc", "dk": "duoc", "sp": "san pham", "ib": "inbox", "ibx": "inbox", "j": "gi", "ae": "anh em",
    "bh": "bao hanh", "lh": "lien he", "sl": "so luong", "sll": "so luong lon", "hg": "hang", "hag": "hang",
    "ck": "chuyen khoan", "ctv": "cong tac vien", "fb": "facebook", "phake": "fake", "fak": "fake",
    "rep1": "rep 1", "tpcn": "thuc pham chuc nang", "tpbvsk": "thuc pham bao ve suc khoe", "nt": "nhan tin",
    "ship": "ship", "đt": "dien thoai", "dt": "dien thoai", "ntn": "nhu the nao", "sz": "size",
}


def fold(text: str) -> str:
    """Lower-case without diacritics: the cheapest comparable form (names, ids)."""
    return strip_accents(text).lower()


def _fold_table() -> dict[int, str]:
    """One-to-one character folding (``ắ`` → ``a``, ``đ`` → ``d``) so offsets survive ``str.translate``."""
    table: dict[int, str] = {}
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        folded = strip_accents(chr(code)).lower()
        if len(folded) == 1 and folded != chr(code):
            table[code] = folded
    return table


_FOLD = _fold_table()
_PIECES_CACHE: dict[str, list[str]] = {}
_CACHE_LIMIT = 200_000


@dataclass(frozen=True)
class Normalized:
    """Canonical text padded with spaces (``" gucci belt "``); each canonical piece remembers its original word.

    ``positions[i]`` is where piece ``i`` starts in ``text``; ``bounds[i]`` its original ``(start, end)``.
    """

    text: str
    positions: tuple[int, ...]
    bounds: tuple[tuple[int, int], ...]
    original: str

    def source(self, start: int, end: int) -> tuple[int, int]:
        """Original ``(start, end)`` of the canonical slice ``text[start:end]``."""
        first = max(bisect_right(self.positions, start) - 1, 0)
        last = max(bisect_right(self.positions, end - 1) - 1, 0)
        return self.bounds[first][0], self.bounds[last][1]

    def token_index(self, position: int) -> int:
        """How many canonical words start at or before ``position`` (for 'near' checks in words)."""
        return bisect_right(self.positions, position)


def _deleet(word: str, alt: bool) -> str:
    """Undo leetspeak inside a word: a digit or symbol counts only when it sits against letters."""
    out = []
    for i, ch in enumerate(word):
        if ch not in _LEET:
            out.append(ch)
            continue
        before = i > 0 and word[i - 1].isalpha()
        after = i + 1 < len(word) and word[i + 1].isalpha()
        symbol = not ch.isdigit()
        if (before and after) or (symbol and (before or after)):
            if ch == "!" and not after:
                out.append("i" if alt else "")
            else:
                out.append(_LEET_ALT.get(ch, _LEET[ch]) if alt else _LEET[ch])
        elif not symbol:
            out.append(ch)
    return "".join(out)


def _pieces(word: str, alt: bool = False) -> list[str]:
    """Canonical pieces of one folded word (several when letters meet digits or teencode expands)."""
    folded = _STRIP_JOINERS.sub("", _deleet(word, alt))
    parts = [_REPEAT.sub(r"\1", part) for part in _SPLIT.findall(folded)]
    if len(parts) == 1 and parts[0] in _TEENCODE:
        return _TEENCODE[parts[0]].split()
    return parts


def _cached_pieces(word: str) -> list[str]:
    pieces = _PIECES_CACHE.get(word)
    if pieces is None:
        if len(_PIECES_CACHE) >= _CACHE_LIMIT:
            _PIECES_CACHE.clear()
        pieces = _PIECES_CACHE[word] = _pieces(word)
    return pieces


def _prepare(text: str) -> tuple[str, str]:
    """The original (NFC) and its lower-cased, diacritic-folded twin of the same length."""
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(ch.lower()[:1] or ch for ch in text)
    return text, lowered.translate(_FOLD)


def normalize(text: str | None) -> Normalized:
    """Canonical form of ``text`` with offsets back into it; ambiguous leetspeak adds a second reading."""
    original, folded = _prepare(text or "")
    pieces: list[str] = []
    bounds: list[tuple[int, int]] = []
    alternates: list[tuple[list[str], int, int]] = []
    for match in _TOKEN.finditer(folded):
        word = match.group()
        start, end = match.span()
        main = _PIECES_CACHE.get(word) or _cached_pieces(word)
        pieces.extend(main)
        bounds.extend([(start, end)] * len(main))
        if ("!" in word or "|" in word or "1" in word) and (alt := _pieces(word, alt=True)) != main:
            alternates.append((alt, start, end))
    for alt_pieces, start, end in alternates:
        pieces.append("~")
        pieces.extend(alt_pieces)
        bounds.extend([(start, end)] * (len(alt_pieces) + 1))
    positions, at = [], 1
    for piece in pieces:
        positions.append(at)
        at += len(piece) + 1
    return Normalized(f" {' '.join(pieces)} ", tuple(positions), tuple(bounds), original)


def normalize_phrase(phrase: str) -> str:
    """The canonical form of a rule pattern, without padding (``"Rep 1:1"`` → ``"rep 1:1"``)."""
    return normalize(phrase).text.split(" ~ ")[0].strip()
