"""Normalise listing text so evasive spellings match plain patterns, keeping offsets into the original.

Sellers write ``G.U.C.C.I``, ``Gucc!``, ``N1ke``, ``R0lex``, ``Chanelll``, ``ko cần đơn`` and emoji to slip past
keyword filters. Every form is folded into one canonical text (lower-case, no diacritics, leetspeak undone,
separators joined, repeated letters collapsed, teencode expanded); each canonical character remembers the
original word it came from, so a finding can show the seller's own words.

Speed: listings share their vocabulary, so text is split on white space (one C call) and each distinct chunk
(``"Gucc!"``, ``"(chính"``) is folded once and remembered; a listing then costs a split, dictionary look-ups
and a join. Only letters spaced out across chunks (``g u c c i``) send a text through the regex whole.
Offsets back into the original are worked out only when a finding needs them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from crawler.clean import strip_accents

__all__ = ["Normalized", "fold", "longest_number", "normalize", "normalize_phrase"]

# A word: spaced single letters ("g u c c i"), single letters spelt out between any symbols ("g🔥u🔥c🔥c🔥i",
# "g/u/c/c/i"), a ratio ("1:1"), or letters/digits joined by separators and leetspeak symbols ("g.u.c.c.i",
# "l-v", "bur.berry", "pr@da", "gucc!") — one regex, so one C-level pass.
_TOKEN = re.compile(
    r"(?<!\w)(?:[^\W\d_] ){2,}[^\W\d_](?!\w)"
    r"|(?<!\w)(?:[^\W\d_][^\w\s]+){2,}[^\W\d_](?!\w)"
    r"|\d+:\d+(?!\d)"
    r"|[^\W_]+(?:[.\-_*·'’&@$!|]+[^\W_]+)*!?"
)
_LETTER = re.compile(r"[^\W\d_]")
_WORD_CHAR = re.compile(r"\w")
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "i"}
_LEET_ALT = {"1": "l", "|": "l"}
# Whatever joins the letters of a word goes; a ratio keeps its colon ("1:1").
_STRIP_JOINERS = re.compile(r"[^\w:]+|_+")
_SPLIT = re.compile(r"[^\W\d_]+|\d+(?::\d+)?")
_REPEAT = re.compile(r"([a-z])\1+")
_DIGIT = re.compile(r"\d")
_RUNS = re.compile(r"\d+|\D+")
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


class _Chunk(NamedTuple):
    """What one white-space-free chunk of text folds to: canonical pieces and where each came from."""

    canon: str  # its pieces joined by spaces ("" when the chunk holds no word, e.g. an emoji)
    size: int  # how many pieces
    bounds: tuple[tuple[int, int], ...]  # per piece, (start, end) of its word inside the chunk
    alternates: tuple[tuple[str, int, int], ...]  # per ambiguous word: "~ alt pieces", word start and end
    alternate_text: str  # the alternates' "~ alt pieces" joined ("" when none)
    spaced: bool  # a single letter: may belong to spaced-out letters ("g u c c i") across chunks
    unusual: bool  # spaced, with alternates or decomposed: one test tells a listing it has none of these
    # in NFC; white space never composes with a neighbour, so a text is in NFC when every chunk is, and the
    # whole text is not checked again for every listing
    composed: bool
    # its pieces joined, as runs: the length of each run of decimal digits, -1 for each run of anything else;
    # () when it holds no digit (see ``longest_number``)
    digits: tuple[int, ...]


# Listings share their vocabulary; bounded because scraped text is hostile. Entries are immutable, so a
# clear while another thread normalises only costs it a recomputation.
_CHUNKS: dict[str, _Chunk] = {}
_CACHE_LIMIT = 100_000


class Normalized:
    """Canonical text padded with spaces (``" gucci belt "``) and the original it came from.

    Pieces never contain a space, so the piece holding a canonical offset is the count of spaces before it.
    The original ``(start, end)`` of a piece is worked out from the chunks only when a finding or a brand asks
    for it: a description without either never pays for it, and one that has them pays for a walk over its
    chunks up to that piece, not for the bounds of every piece.
    """

    def __init__(self, text: str, original: str, chunks: list[str] | None = None, infos: list[_Chunk] | None = None,
                 bounds: list[tuple[int, int]] | None = None) -> None:
        self.text = text
        self.original = original
        self._chunks = chunks or []
        self._infos = infos or []  # how each chunk folds
        self._bounds = bounds  # per piece; given when the text was folded whole (spaced-out letters)
        self._gap = -1  # 1 when one white-space character separates the chunks (found on first use), else 0

    def source(self, start: int, end: int) -> tuple[int, int]:
        """Original ``(start, end)`` of the canonical slice ``text[start:end]``."""
        first = self.token_index(start)
        last = max(first + self.text.count(" ", start, end - 1) - 1, 0)
        first = max(first - 1, 0)
        bounds = self._bounds
        if bounds is not None:
            return bounds[first][0], bounds[last][1]
        return self._pieces(first, last)

    def words(self) -> list[str]:
        """The main reading's pieces, in order. Taken from the chunks, they are the strings the chunk cache
        already holds (hashed once, never freed per listing) rather than a fresh split of the text."""
        if self._bounds is not None:  # folded whole (spaced-out letters): no chunks to take them from
            return self.text.split(" ~ ")[0].split()
        words: list[str] = []
        for info in self._infos:
            if info.size == 1:
                words.append(info.canon)
            elif info.size:
                words += info.canon.split(" ")
        return words

    def token_index(self, position: int) -> int:
        """How many canonical words start at or before ``position`` (for 'near' checks in words)."""
        return self.text.count(" ", 0, min(position, len(self.text) - 1))

    def _pieces(self, first: int, last: int) -> tuple[int, int]:
        """From the start of piece ``first`` to the end of piece ``last``, in one walk over the chunks: the main
        reading's pieces chunk by chunk, then the alternates' ("~" and each alternate piece map to their word).
        Where a chunk starts follows from the lengths when one white-space character separates them (as in
        most listings), else it is searched for, in text order."""
        original = self.original
        chunks = self._chunks
        infos = self._infos
        gap = self._gap
        if gap < 0:
            total = len(chunks) - 1
            for chunk in chunks:
                total += len(chunk)
            gap = self._gap = 1 if total == len(original) else 0
        at = piece = 0
        begin = -1
        for index, info in enumerate(infos):  # enumerate, not zip: a C loop when compiled
            if not gap:
                at = original.find(chunks[index], at)
            size = info.size
            if begin < 0 and first < piece + size:
                begin = at + info.bounds[first - piece][0]
            if last < piece + size:  # last >= first: begin is set
                return begin, at + info.bounds[last - piece][1]
            piece += size
            at += len(chunks[index]) + gap
        at = 0
        for index, info in enumerate(infos):
            if not gap:
                at = original.find(chunks[index], at)
            for alt, start, end in info.alternates:
                piece += alt.count(" ") + 1
                if begin < 0 and first < piece:
                    begin = at + start
                if last < piece:
                    return begin, at + end
            at += len(chunks[index]) + gap
        raise IndexError("piece out of range")


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


def _fold_text(text: str) -> str:
    """Lower-cased, diacritic-folded twin of ``text``, of the same length (so offsets carry over)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(ch.lower()[:1] or ch for ch in text)
    return lowered.translate(_FOLD)


def _words(folded: str) -> tuple[list[str], list[tuple[int, int]], list[tuple[str, int, int]]]:
    """Pieces and their bounds for every word of ``folded``, plus each ambiguous word's alternate reading."""
    pieces: list[str] = []
    bounds: list[tuple[int, int]] = []
    alternates: list[tuple[str, int, int]] = []
    for match in _TOKEN.finditer(folded):
        word = match.group()
        start, end = match.span()
        main = _pieces(word)
        pieces.extend(main)
        bounds.extend([(start, end)] * len(main))
        if ("!" in word or "|" in word or "1" in word) and (alt := _pieces(word, alt=True)) != main:
            alternates.append((" ".join(["~", *alt]), start, end))
    return pieces, bounds, alternates


def _learn(chunk: str) -> _Chunk:
    """Fold one chunk and remember it."""
    pieces, bounds, alternates = _words(_fold_text(chunk))
    spaced = bool(_LETTER.fullmatch(chunk))
    composed = chunk.isascii() or unicodedata.is_normalized("NFC", chunk)
    _CHUNKS[chunk] = info = _Chunk(" ".join(pieces), len(pieces), tuple(bounds), tuple(alternates),
                                   " ".join(alt for alt, _, _ in alternates), spaced,
                                   spaced or bool(alternates) or not composed, composed, _digit_runs(pieces))
    return info


def _digit_runs(pieces: list[str]) -> tuple[int, ...]:
    joined = "".join(pieces)
    if not _DIGIT.search(joined):
        return ()
    return tuple(len(run) if run[0].isdecimal() else -1 for run in _RUNS.findall(joined))


def longest_number(texts: list[Normalized]) -> int:
    """The most decimal digits in a row in the main readings of ``texts`` read one after another, pieces
    joined: ``0912 345 678``, ``0912.345.678`` and ``0912-345-678`` are each one run of ten. Normalising keeps
    every digit a number is written with, so a text where this is under nine holds no number of nine digits
    (a phone, a tax code) however it is written; worked out from the chunk cache, without reading the text."""
    best = run = 0
    for norm in texts:
        if norm._bounds is not None:  # folded whole (spaced-out letters): no chunks; its words say the same
            run, best = _carry(run, best, _digit_runs(norm.words()) or (-1,))
            continue
        for info in norm._infos:
            if info.digits:
                run, best = _carry(run, best, info.digits)
            elif info.size:  # a word without digits ends a run; an emoji, holding no piece, does not
                run = 0
    return best


def _carry(run: int, best: int, digits: tuple[int, ...]) -> tuple[int, int]:
    """The run and the longest so far after ``digits`` (runs as ``_digit_runs`` gives them)."""
    for size in digits:
        run = run + size if size >= 0 else 0
        best = max(best, run)
    return run, best


def _spaced_letters(chunks: list[str], infos: list[_Chunk]) -> bool:
    """Whether single letters may be spaced out across chunks (``g u c c i``, ``(G U C C I)``): a single-letter
    chunk between a chunk ending in a lone letter and one starting with a lone letter."""
    for i in range(1, len(chunks) - 1):
        if infos[i].spaced:
            before, after = chunks[i - 1], chunks[i + 1]
            if (_LETTER.fullmatch(before[-1]) and (len(before) == 1 or not _WORD_CHAR.match(before[-2]))
                    and _LETTER.fullmatch(after[0]) and (len(after) == 1 or not _WORD_CHAR.match(after[1]))):
                return True
    return False


def _whole(original: str) -> Normalized:
    """The whole text through one regex pass: only needed when letters are spaced out across chunks."""
    pieces, bounds, alternates = _words(_fold_text(original))
    for alt, start, end in alternates:
        pieces.append(alt)
        bounds.extend([(start, end)] * (alt.count(" ") + 1))
    return Normalized(f" {' '.join(pieces)} ", original, bounds=bounds)


def normalize(text: str | None) -> Normalized:
    """Canonical form of ``text`` with offsets back into it; ambiguous leetspeak adds a second reading."""
    original = text or ""
    if len(_CHUNKS) >= _CACHE_LIMIT:
        _CHUNKS.clear()
    chunks = original.split()
    known = _CHUNKS
    infos: list[_Chunk] = []
    pieces: list[str] = []
    alternates: list[str] = []
    spaced = False
    for chunk in chunks:  # a plain loop: compiled (rules.native), it is a C loop of dictionary look-ups
        info = known.get(chunk)
        if info is None:
            info = _learn(chunk)
        infos.append(info)
        if info.canon:
            pieces.append(info.canon)
        if info.unusual:
            if not info.composed:  # "hàng" typed as "ha\u0300ng": fold the composed text (whose chunks all are)
                return normalize(unicodedata.normalize("NFC", original))
            if info.alternate_text:
                alternates.append(info.alternate_text)
            spaced = spaced or info.spaced
    if spaced and _spaced_letters(chunks, infos):
        return _whole(original)
    pieces += alternates  # the second readings follow the main one ("... ~ alt pieces")
    return Normalized(f" {' '.join(pieces)} ", original, chunks, infos)


def normalize_phrase(phrase: str) -> str:
    """The canonical form of a rule pattern, without padding (``"Rep 1:1"`` → ``"rep 1:1"``)."""
    return normalize(phrase).text.split(" ~ ")[0].strip()
