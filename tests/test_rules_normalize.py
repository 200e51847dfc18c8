"""Normalisation defeats each evasion form while spans keep the seller's own words."""

from __future__ import annotations

import unicodedata

import pytest

from rules.normalize import longest_number, normalize, normalize_phrase
from rules.watchlist import _NUMBER


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Đồng hồ ĐẸP", "dong ho dep"),  # diacritics and case
        ("N1ke", "nike"),  # leetspeak digit
        ("R0lex", "rolex"),
        ("Pr@da", "prada"),  # leetspeak symbol
        ("Ver$ace", "versace"),
        ("G.U.C.C.I", "guci"),  # separators (and repeated letters collapse: gucci -> guci)
        ("L-V", "lv"),
        ("G U C C I", "guci"),  # spaced letters
        ("G🔥U🔥C🔥C🔥I", "guci"),  # letters spelt out between emoji
        ("G/U/C/C/I", "guci"),
        ("Chanelllll", "chanel"),  # repeated letters
        ("ko cần đơn", "khong can don"),  # teencode
        ("ib shop", "inbox shop"),
        ("iPhone15", "iphone 15"),  # letters meet digits
        ("túi 🔥🔥 đẹp", "tui dep"),  # emoji
    ],
)
def test_evasion_forms_fold_to_the_plain_form(raw: str, expected: str) -> None:
    assert normalize(raw).text.split(" ~ ")[0].strip() == expected


def test_trailing_bang_has_an_alternate_reading() -> None:
    text = normalize("Thắt lưng Gucc! nam").text
    assert " ~ guci " in text  # "Gucc!" also read as "Gucci"
    assert text.startswith(" that lung guc nam ")  # main reading unchanged for "Sale!"-style words


def test_one_between_letters_reads_as_i_and_l() -> None:
    text = normalize("Ba1enciaga").text
    assert " baienciaga " in text and " balenciaga " in text


def test_offsets_map_back_to_original_words() -> None:
    norm = normalize("Giày Nike rep 1:1 giá rẻ")
    start = norm.text.index("rep 1:1")
    begin, end = norm.source(start, start + len("rep 1:1"))
    assert norm.original[begin:end] == "rep 1:1"


def test_phrases_normalise_like_text() -> None:
    assert normalize_phrase("Rep 1:1") == "rep 1:1"
    assert normalize_phrase("Siêu Cấp") == "sieu cap"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Túi (G U C C I) da", "tui guci da"),  # spaced letters inside punctuation
        ("Túi 2 G U C C I", "tui 2 guci"),
        ("giao hàng ở Hà Nội", "giao hang o ha noi"),  # a lone letter between words is not spelt out
        ("kích thước 2 x 3 m", "kich thuoc 2 x 3 m"),
        ("màu đen/trắng, size 1/2", "mau den trang size 1 2"),  # a slash between words still separates them
    ],
)
def test_spaced_letters_need_three_lone_letters(raw: str, expected: str) -> None:
    assert normalize(raw).text.strip() == expected


@pytest.mark.parametrize(
    "raw",
    [
        "Giày  Nike\t\tAir\nrep 1:1 ",  # runs of mixed white space
        "Giày\tNike Air\nrep 1:1",  # one white-space character of any kind between words
        " Nike rep 1:1 Nike rep 1:1",  # the same words twice: the second occurrence maps to itself
        "Nikee Nike rep 1:1!",  # a word containing another
    ],
)
def test_offsets_survive_any_spacing_and_repeated_words(raw: str) -> None:
    norm = normalize(raw)
    start = norm.text.rindex("rep 1:1")
    begin, end = norm.source(start, start + len("rep 1:1"))
    assert raw[begin:end] == "rep 1:1" and begin == raw.rindex("rep 1:1")


def test_alternate_reading_maps_to_its_word() -> None:
    norm = normalize("Túi  Ba1enciaga chính hãng")
    start = norm.text.index(" balenciaga ") + 1
    begin, end = norm.source(start, start + len("balenciaga"))
    assert norm.original[begin:end] == "Ba1enciaga"


def test_same_text_normalises_the_same_every_time() -> None:
    first = normalize("Gucc! G.U.C.C.I ko cần đơn 😍")
    again = normalize("Gucc! G.U.C.C.I ko cần đơn 😍")
    assert first.text == again.text
    assert [first.source(i, i + 1) for i in range(1, 8)] == [again.source(i, i + 1) for i in range(1, 8)]


def test_decomposed_text_folds_like_composed_text() -> None:
    composed = "Túi Gucci hàng giả loại 1, ship toàn quốc"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    norm = normalize(decomposed)
    assert norm.text == normalize(composed).text
    assert norm.original == composed  # offsets and spans refer to the composed text
    start = norm.text.index("hang gia")
    begin, end = norm.source(start, start + len("hang gia"))
    assert norm.original[begin:end] == "hàng giả"


@pytest.mark.parametrize("raw", ["Túi  Ba1enciaga chính hãng 😍", "Giày N.I.K.E ko rep1:1", "Túi (G U C C I) da", "",
                                 "🔥🔥"])
def test_words_are_the_main_reading(raw: str) -> None:
    norm = normalize(raw)
    assert norm.words() == norm.text.split(" ~ ")[0].split()


NUMBERS = [
    ("LH 0912 345 678", "", 10), ("", "Zalo: 0912.345.678 nhé", 10), ("gọi 0912-345-678", "", 10),
    ("Giá 1.200.000đ", "size 38-42", 7), ("0912345678:1 rep", "", 10), ("Tel ０９１２３４５６７８", "", 10),
    ("gọi 0912", "345 678 nhé", 10),  # a number that runs from the title into the description
    ("0912 📞 345678", "", 10), ("G U C C I 0912 345 678", "", 10), ("MST 0109873542-001.", "", 13),
    ("Túi Gucci rep 1:1", "Hộp 2 ngăn, 30x20cm", 2), ("", "", 0),
]


@pytest.mark.parametrize(("title", "description", "expected"), NUMBERS)
def test_longest_number_counts_digits_however_they_are_separated(title: str, description: str,
                                                                  expected: int) -> None:
    assert longest_number([normalize(title), normalize(description)]) == expected


@pytest.mark.parametrize(("title", "description", "expected"), NUMBERS)
def test_longest_number_never_hides_a_number_the_watchlist_would_read(title: str, description: str,
                                                                       expected: int) -> None:
    found = _NUMBER.search(f"{title}\n{description}")
    assert found is None or longest_number([normalize(title), normalize(description)]) >= 9
