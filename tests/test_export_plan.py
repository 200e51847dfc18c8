"""The inspection plan: ranking, cross-platform traders, filters, and safe XLSX / CSV / JSON files."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from openpyxl import load_workbook
from pymongo.database import Database
from typer.testing import CliRunner

from crawler.cli import export as export_cli
from crawler.exports.cells import neutralise
from crawler.exports.plan import PlanFilter, build_plan, priority, severity_weight
from crawler.exports.plan_layout import COLUMNS, plan_tables
from crawler.exports.tables import Table
from crawler.exports.writers import write_csv
from crawler.exports.xlsx import write_xlsx

FORMULA = '=HYPERLINK("http://x","y")'
EVIL_NAME = "<script>alert(1)</script>"
SHA = "ab" * 32


def at(text: str) -> datetime:
    """A UTC time from ``YYYY-MM-DDTHH:MM``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _finding(category: str, severity: Any, score: int) -> dict[str, Any]:
    return {"rule_id": f"{category}.rule", "rule_set": category, "category": category, "severity": severity,
            "score": score, "legal_basis": "Nghị định 98/2020/NĐ-CP", "description": "",
            "spans": [{"field": "title", "text": "hàng fake", "normalized": "hang fake", "start": 0, "end": 9}]}


def _listing(lid: str, seller: str, source: str, risk: int, severity: Any, category: str, first: str,
             last: str = "2026-06-20T03:00", *, flag: bool = True, **extra: Any) -> dict[str, Any]:
    return {"_id": lid, "source": source, "kind": "product", "url": f"https://{source}.vn/p/{lid}",
            "title": f"Sản phẩm {lid}", "price": 350_000, "currency": "VND", "seller_id": seller, "flag": flag,
            "categories": [category] if flag else [], "risk": risk, "sold": 0,
            "findings": [_finding(category, severity, risk)] if flag else [],
            "first_seen": at(first), "last_seen": at(last), **extra}


SELLERS = [
    {"_id": "tiki:shop-a", "source": "tiki", "name": "Nước hoa Giá Sỉ HCM", "url": "https://tiki.vn/cua-hang/shop-a",
     "location": "TP. Hồ Chí Minh", "phones": ["+84901234567"], "identity_keys": ["phone:+84901234567"],
     "watchlist_hits": ["wl-001"]},
    {"_id": "shopee:shop-a2", "source": "shopee", "name": "Perfume Outlet", "url": "https://shopee.vn/shop-a2",
     "location": "Hồ Chí Minh", "emails": ["outlet@example.com"],
     "identity_keys": ["phone:+84901234567", "email:outlet@example.com"]},
    {"_id": "tiki:shop-b", "source": "tiki", "name": "Thuốc lá điện tử Hà Nội", "url": "https://tiki.vn/cua-hang/shop-b",
     "location": "Hà Nội", "tax_codes": ["0101234567"], "identity_keys": ["tax:0101234567"]},
    {"_id": "lazada:shop-c", "source": "lazada", "name": FORMULA, "url": "https://www.lazada.vn/shop/shop-c",
     "location": "Đà Nẵng", "identity_keys": ["phone:+84911111111"]},
    {"_id": "web:shop-d.vn", "source": "web", "name": "shop-d.vn", "url": "https://shop-d.vn/",
     "location": "Hà Nội", "identity_keys": ["domain:shop-d.vn"]},
    {"_id": "tiki:shop-e", "source": "tiki", "name": EVIL_NAME, "url": "https://tiki.vn/cua-hang/shop-e",
     "location": "Cần Thơ", "official": True, "identity_keys": []},
]

LISTINGS = [
    _listing("l-a1", "tiki:shop-a", "tiki", 90, "critical", "counterfeit", "2026-01-10T02:00", sold=500,
             brand_canonical="Chanel", location=None, evidence=[{"kind": "warc", "sha256": SHA,
                                                                  "payload_sha256": "cd" * 32}]),
    _listing("l-a2", "tiki:shop-a", "tiki", 70, "high", "counterfeit", "2026-02-05T02:00", sold=100,
             brand_canonical="Chanel", location="TP. Hồ Chí Minh"),
    # 2026-02-28 18:00 UTC is 1 March 01:00 in Hà Nội / Hồ Chí Minh: a March listing.
    _listing("l-a3", "shopee:shop-a2", "shopee", 60, 2, "counterfeit", "2026-02-28T18:00", sold=20,
             brand_canonical="Dior", location="Hồ Chí Minh"),
    _listing("l-b1", "tiki:shop-b", "tiki", 85, "high", "banned", "2026-02-15T02:00", sold=50, location="Hà Nội"),
    _listing("l-b2", "tiki:shop-b", "tiki", 40, "medium", "banned", "2026-03-02T02:00", "2026-03-10T02:00",
             sold=5, location="Hà Nội",
             review={"status": "confirmed", "by": "kiemsoat1", "at": at("2026-04-10T02:00"), "note": ""}),
    _listing("l-c1", "lazada:shop-c", "lazada", 65, "high", "counterfeit", "2026-05-20T02:00", sold=10,
             brand_canonical="Chanel", location="Đà Nẵng", title=FORMULA),
    _listing("l-d1", "web:shop-d.vn", "web", 50, "medium", "counterfeit", "2026-04-03T02:00",
             brand_canonical="Gucci", location="Hà Nội"),
    _listing("l-e1", "tiki:shop-e", "tiki", 20, "low", "origin", "2026-03-20T02:00", "2026-04-01T02:00",
             location="Cần Thơ"),
    _listing("l-ok1", "tiki:shop-a", "tiki", 0, None, "", "2026-01-03T02:00", flag=False, location="TP. Hồ Chí Minh"),
    _listing("l-ok2", "tiki:shop-b", "tiki", 0, None, "", "2025-12-01T02:00", "2025-12-20T02:00", flag=False),
    # 30 June 17:30 UTC is 1 July 00:30 local: outside 2026-H1.
    _listing("l-ok3", "tiki:shop-b", "tiki", 0, None, "", "2026-06-30T17:30", "2026-07-02T02:00", flag=False),
    _listing("l-ok4", "lazada:shop-c", "lazada", 0, None, "", "2025-11-01T02:00", "2026-01-05T02:00", flag=False,
             location=None),
]

RUNS = [
    {"_id": "r1", "spider": "tiki", "trigger": "schedule", "status": "finished", "started_at": at("2026-02-01T19:00"),
     "finished_at": at("2026-02-01T19:30"), "counts": {"items": 40}},
    {"_id": "r2", "spider": "website", "trigger": "adhoc", "status": "failed", "started_at": at("2026-05-01T19:00"),
     "finished_at": at("2026-05-01T19:01"), "counts": {}},
    {"_id": "r0", "spider": "tiki", "trigger": "schedule", "status": "finished", "started_at": at("2025-12-01T19:00"),
     "finished_at": at("2025-12-01T19:30"), "counts": {}},
]


DECISIONS = [  # (listing, by, from, to, at, note) as the review console records them
    ("l-a1", "kiemsoat1", "new", "confirmed", "2026-02-01T03:00", ""),
    ("l-b1", "kiemsoat2", "new", "referred", "2026-03-05T03:00", "chuyển đội 3"),
    ("l-d1", "kiemsoat1", "new", "dismissed", "2026-03-10T03:00", "hàng chính hãng có hóa đơn"),
    ("l-c1", "kiemsoat2", "new", "confirmed", "2026-07-02T03:00", ""),
]


def seed(db: Database) -> None:
    """Six sellers (two of them one trader), twelve listings, review decisions with their audit trail.

    The decisions are written as documents (listing ``review`` + ``reviews`` record) rather than through
    ``ReviewRepo.decide``, so these tests only depend on the stored shapes.
    """
    db["sellers"].insert_many([dict(s) for s in SELLERS])
    db["listings"].insert_many([dict(d) for d in LISTINGS])
    db["runs"].insert_many([dict(r) for r in RUNS])
    for n, (lid, by, before, after, when, note) in enumerate(DECISIONS):
        review = {"status": after, "by": by, "at": at(when), "note": note}
        db["listings"].update_one({"_id": lid}, {"$set": {"review": review}})
        db["reviews"].insert_one({"_id": f"rv{n}", "listing_id": lid, "decision": after, "from": before, "to": after,
                                  "by": by, "at": at(when), "note": note})


# Trader ids: the A group (tiki:shop-a + shopee:shop-a2, one phone) is named by its account with most listings.
EXPECTED_ORDER = ["tiki:shop-a", "tiki:shop-b", "lazada:shop-c", "tiki:shop-e"]


def _ids(db: Database, **kwargs: Any) -> list[str]:
    return [row.trader_id for row in build_plan(db, PlanFilter(**kwargs))]


def test_plan_ranks_traders_and_groups_linked_accounts(db: Database) -> None:
    seed(db)
    rows = build_plan(db)
    assert [r.trader_id for r in rows] == EXPECTED_ORDER
    a = rows[0]
    assert a.name == "Nước hoa Giá Sỉ HCM"  # the account with most listings in the plan
    assert a.accounts == ["shopee:shop-a2", "tiki:shop-a"]
    assert a.platforms == ["shopee", "tiki"]
    assert a.province == "TP. Hồ Chí Minh"
    assert a.identity_keys == ["email:outlet@example.com", "phone:+84901234567"]
    assert (a.listing_count, a.reviewed_count, a.max_risk, a.sold) == (3, 1, 90, 620)
    assert a.severity_points == 4 * 2 + 3 + 2  # confirmed critical counts double
    assert a.watchlist_hits == ["wl-001"]
    assert a.evidence == [SHA]
    assert a.example_urls[0] == "https://tiki.vn/p/l-a1"
    assert a.priority == priority(90, 73.3, 13, 620, 1)
    assert [r.priority for r in rows] == sorted((r.priority for r in rows), reverse=True)


def test_severity_weights_accept_names_and_numbers() -> None:
    assert [severity_weight(s) for s in ("low", "Medium", "HIGH", "critical", None, "?")] == [1, 2, 3, 4, 1, 1]
    assert [severity_weight(n) for n in (1, 2, 3, 4, 10, 30, 60, 95, 100)] == [1, 2, 3, 4, 1, 2, 3, 4, 4]


def test_plan_filters(db: Database) -> None:
    seed(db)
    assert _ids(db, province="Hà Nội") == ["tiki:shop-b"]  # shop-d's only listing was dismissed
    assert _ids(db, province="ha noi") == ["tiki:shop-b"]
    assert _ids(db, province="Hồ Chí Minh") == ["tiki:shop-a"]
    assert _ids(db, category="banned") == ["tiki:shop-b"]
    assert _ids(db, min_risk=80) == ["tiki:shop-a", "tiki:shop-b"]
    # Confirmed only: shop-b keeps its weak l-b2 (risk 40), shop-c its confirmed l-c1 (risk 65).
    assert _ids(db, statuses=("confirmed",)) == ["tiki:shop-a", "lazada:shop-c", "tiki:shop-b"]
    assert _ids(db, statuses=("referred",)) == ["tiki:shop-b"]
    assert _ids(db, statuses=("dismissed",)) == ["web:shop-d.vn"]
    assert _ids(db, since=date(2026, 5, 1)) == ["tiki:shop-a", "tiki:shop-b", "lazada:shop-c"]
    assert [r.listing_count for r in build_plan(db, PlanFilter(since=date(2026, 5, 1)))][1] == 1
    with pytest.raises(ValueError):
        PlanFilter(statuses=("closed",))


def test_plan_xlsx(db: Database, tmp_path: Path) -> None:
    seed(db)
    path = write_xlsx(plan_tables(build_plan(db)), tmp_path / "plan.xlsx")
    book = load_workbook(path)
    assert book.sheetnames[0] == "Tổng hợp"
    assert set(book.sheetnames[1:]) == {"TP. Hồ Chí Minh", "Hà Nội", "Đà Nẵng", "Cần Thơ"}
    summary = book["Tổng hợp"]
    headers = [c.value for c in summary[1]]
    assert headers == [h for h, _, _ in COLUMNS]
    id_col = headers.index("Mã đối tượng") + 1
    assert [summary.cell(row=r, column=id_col).value for r in range(2, 6)] == EXPECTED_ORDER
    assert summary.max_row == 5
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
    url_cell = summary.cell(row=2, column=headers.index("Tin đăng mẫu (URL)") + 1)
    assert url_cell.hyperlink is not None and url_cell.hyperlink.target == "https://tiki.vn/p/l-a1"
    assert summary.column_dimensions["C"].width == 32
    hanoi = book["Hà Nội"]
    assert [hanoi.cell(row=2, column=1).value, hanoi.cell(row=2, column=id_col).value] == [2, "tiki:shop-b"]
    # The formula title and seller name are text, never formulas.
    c_row = 2 + EXPECTED_ORDER.index("lazada:shop-c")
    for header in ("Tiêu đề tin mẫu", "Đối tượng (người bán)"):
        cell = summary.cell(row=c_row, column=headers.index(header) + 1)
        assert cell.value == "'" + FORMULA
        assert cell.data_type == "s"


def test_plan_csv_has_bom_and_neutralised_cells(db: Database, tmp_path: Path) -> None:
    seed(db)
    path = write_csv(plan_tables(build_plan(db))[0], tmp_path / "plan.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    headers = rows[0]
    assert headers[2] == "Đối tượng (người bán)"
    assert [r[headers.index("Mã đối tượng")] for r in rows[1:]] == EXPECTED_ORDER
    c_row = rows[1 + EXPECTED_ORDER.index("lazada:shop-c")]
    assert c_row[headers.index("Tiêu đề tin mẫu")] == "'" + FORMULA
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+84901234567", "'+84901234567"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tx", "'\tx"), ("\rx", "'\rx"), ("Hàng giả", "Hàng giả"), (-5, -5), (None, None)],
)
def test_neutralise(value: Any, expected: Any) -> None:
    assert neutralise(value) == expected


def test_cli_plan_formats_and_filters(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(db)
    monkeypatch.setattr(export_cli, "database", lambda: db)
    app = typer.Typer()
    export_cli.register(app)
    runner = CliRunner()
    for fmt in ("xlsx", "csv", "json"):
        result = runner.invoke(app, ["export", "plan", "--format", fmt, "--output", str(tmp_path / f"p.{fmt}")])
        assert result.exit_code == 0, result.output
        assert "4 đối tượng" in result.output
    records = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert [(r["rank"], r["trader_id"]) for r in records] == list(enumerate(EXPECTED_ORDER, start=1))
    assert records[2]["example_titles"] == [FORMULA]  # JSON keeps values as they are
    result = runner.invoke(app, ["export", "plan", "--format", "json", "--status", "confirmed,referred",
                                 "--min-risk", "80", "--output", str(tmp_path / "f.json")])
    assert result.exit_code == 0, result.output
    assert [r["trader_id"] for r in json.loads((tmp_path / "f.json").read_text())] == EXPECTED_ORDER[:2]
    for bad in (["--status", "closed"], ["--format", "pdf"], ["--since", "01/05/2026"]):
        result = runner.invoke(app, ["export", "plan", *bad, "--output", str(tmp_path / "x")])
        assert result.exit_code == 2
        assert "Lỗi" in result.output


def test_linked_accounts_are_followed_transitively(db: Database) -> None:
    seed(db)
    # Linked to shopee:shop-a2 by e-mail only (not to tiki:shop-a), and no listing of its own in the plan.
    db["sellers"].insert_one({"_id": "sendo:shop-x", "source": "sendo", "name": "Shop X", "location": "Bình Dương",
                              "identity_keys": ["email:outlet@example.com", "phone:+84922222222"]})
    row = build_plan(db)[0]
    assert row.accounts == ["sendo:shop-x", "shopee:shop-a2", "tiki:shop-a"]
    assert row.trader_id == "tiki:shop-a"
    assert row.platforms == ["sendo", "shopee", "tiki"]
    assert row.province == "TP. Hồ Chí Minh"  # still the most frequent
    assert _ids(db, province="Bình Dương") == ["tiki:shop-a"]


def test_xlsx_drops_control_characters_without_uncovering_a_formula(tmp_path: Path) -> None:
    table = Table("Thử", ["Tiêu đề", "Số"], [["\x01=1+1", -3], ["a\x00b", 2.5]])
    sheet = load_workbook(write_xlsx([table], tmp_path / "t.xlsx"))["Thử"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [["'=1+1", -3], ["ab", 2.5]]
    assert sheet["A2"].data_type == "s" and sheet["B2"].data_type == "n"
