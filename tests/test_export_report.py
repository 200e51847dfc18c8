"""The periodic and quick reports: figures counted by hand from the seeded database, files that open."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from openpyxl import load_workbook
from PIL import Image
from pymongo.database import Database
from typer.testing import CliRunner

from crawler.cli import export as export_cli
from crawler.exports.period import parse_period
from crawler.exports.quick import write_quick
from crawler.exports.report import report_figures
from crawler.exports.report_render import write_report
from tests.test_export_plan import EVIL_NAME, FORMULA, SHA, seed

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_period_bounds_are_local() -> None:
    h1 = parse_period("2026-h1")
    assert (h1.label, h1.start.isoformat(), h1.end.isoformat()) == (
        "2026-H1", "2026-01-01T00:00:00+07:00", "2026-07-01T00:00:00+07:00")
    assert parse_period("2026").months()[-1] == "2026-12"
    assert parse_period("2026-11").months() == ["2026-11"]
    assert parse_period("2026-12").end.isoformat() == "2027-01-01T00:00:00+07:00"
    for bad in ("2026-13", "26-H1", "2026-H3", "H1"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_figures_for_2026_h1(db: Database) -> None:
    seed(db)
    f = report_figures(db, parse_period("2026-H1"))
    # Seen in H1: all but l-ok2 (gone in 2025) and l-ok3 (first seen 1 July 00:30 local).
    assert (f.scanned, f.flagged) == (10, 8)
    # l-a1 confirmed in Feb (audit trail), l-b2 in Apr (review field only); l-c1's July decision is H2.
    assert (f.confirmed, f.referred) == (2, 1)
    assert (f.runs, f.failed_runs) == (2, 1)
    assert f.by_month == [
        ("2026-01", 2, 1, 0, 0),  # l-a1, l-ok1 new; l-a1 flagged
        ("2026-02", 2, 2, 1, 0),  # l-a2, l-b1; l-a1 confirmed
        ("2026-03", 3, 3, 0, 1),  # l-a3 (28 Feb 18:00 UTC = 1 Mar local), l-b2, l-e1; l-b1 referred
        ("2026-04", 1, 1, 1, 0),  # l-d1; l-b2 confirmed
        ("2026-05", 1, 1, 0, 0),  # l-c1
        ("2026-06", 0, 0, 0, 0),
    ]
    assert f.by_category == [("counterfeit", 5), ("banned", 2), ("origin", 1)]
    assert f.by_source == [("tiki", 6, 5), ("lazada", 2, 1), ("shopee", 1, 1), ("web", 1, 1)]
    # l-a1 and l-ok4 have no location: their sellers' provinces count.
    # Most flagged first, then most scanned.
    assert f.by_province == [("TP. Hồ Chí Minh", 4, 3), ("Hà Nội", 3, 3), ("Đà Nẵng", 2, 1), ("Cần Thơ", 1, 1)]
    assert f.top_brands == [("Chanel", 3, 2), ("Dior", 1, 1), ("Gucci", 1, 1)]
    assert [(s[0], s[4], s[5]) for s in f.top_sellers] == [
        ("tiki:shop-a", 2, 90), ("tiki:shop-b", 2, 85), ("lazada:shop-c", 1, 65), ("shopee:shop-a2", 1, 60),
        ("web:shop-d.vn", 1, 50), ("tiki:shop-e", 1, 20)]


def test_figures_for_a_month_and_h2(db: Database) -> None:
    seed(db)
    march = report_figures(db, parse_period("2026-03"))
    # Alive in March: l-a1, l-a2, l-a3, l-b1, l-b2, l-e1 (flagged) and l-ok1; l-c1, l-d1 come later, l-ok4 left in Jan.
    assert (march.scanned, march.flagged, march.confirmed, march.referred) == (7, 6, 0, 1)
    h2 = report_figures(db, parse_period("2026-H2"))
    # l-ok3 is first seen in July; l-c1 confirmed on 2 July.
    assert (h2.scanned, h2.flagged, h2.confirmed, h2.referred) == (1, 0, 1, 0)


def test_report_files(db: Database, tmp_path: Path) -> None:
    seed(db)
    files = write_report(report_figures(db, parse_period("2026-H1")), tmp_path)
    png = files.chart.read_bytes()
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(files.chart) as image:
        image.verify()
        assert image.format == "PNG"
    book = load_workbook(files.xlsx)
    assert book.sheetnames[0] == "Tổng hợp"
    summary = {row[0]: row[1] for row in book["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
    assert summary["Tin đăng đã quét"] == 10
    assert summary["Tin bị gắn cờ vi phạm"] == 8
    assert summary["Tin đã xác nhận vi phạm"] == 2
    assert summary["Tin đã chuyển kiểm tra"] == 1
    assert all(sheet.freeze_panes == "A2" for sheet in book.worksheets)
    sellers = list(book["Người bán"].iter_rows(min_row=2, values_only=True))
    assert sellers[2][1] == "'" + FORMULA  # scraped seller name as text
    markdown = files.markdown.read_text(encoding="utf-8")
    page = files.html.read_text(encoding="utf-8")
    assert files.chart.name in markdown and f'src="{files.chart.name}"' in page
    assert "| Tin đăng đã quét | 10 |" in markdown
    assert "01/01/2026" in markdown and "30/06/2026" in markdown
    assert EVIL_NAME not in page and "&lt;script&gt;" in page
    assert EVIL_NAME not in markdown


def test_quick_report(db: Database, tmp_path: Path) -> None:
    seed(db)
    files = write_quick(db, "l-a1", tmp_path)
    markdown = files.markdown.read_text(encoding="utf-8")
    page = files.html.read_text(encoding="utf-8")
    for text in ("counterfeit.rule", SHA, "Nước hoa Giá Sỉ HCM", "shopee:shop-a2", "Đã xác nhận", "kiemsoat1",
                 "01/02/2026 10:00"):
        assert text in markdown and text in page
    assert '<a href="https://tiki.vn/p/l-a1"' in page
    with pytest.raises(LookupError):
        write_quick(db, "no-such-listing", tmp_path)


def test_cli_report(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(db)
    monkeypatch.setattr(export_cli, "database", lambda: db)
    app = typer.Typer()
    export_cli.register(app)
    runner = CliRunner()
    result = runner.invoke(app, ["export", "report", "--period", "2026-H1", "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "10 tin đã quét, 8 vi phạm, 2 xác nhận, 1 chuyển kiểm tra" in result.output
    assert {p.suffix for p in tmp_path.iterdir()} == {".xlsx", ".md", ".html", ".png"}
    result = runner.invoke(app, ["export", "report", "--quick", "l-c1", "--output-dir", str(tmp_path / "q")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "q" / "bao-cao-nhanh-l-c1.md").is_file()
    for bad in (["--period", "2026-H3"], [], ["--quick", "missing"]):
        result = runner.invoke(app, ["export", "report", *bad, "--output-dir", str(tmp_path / "x")])
        assert result.exit_code == 2
        assert "Lỗi" in result.output
