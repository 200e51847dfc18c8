"""The periodic report as files: XLSX (one sheet per table), Markdown and HTML summaries, the chart PNG."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from crawler.console.format import CATEGORY_LABELS
from crawler.exports.chart import flagged_chart
from crawler.exports.htmlpage import html_page, html_paragraph, html_table
from crawler.exports.markdown import md_escape, md_table
from crawler.exports.report import ReportFigures
from crawler.exports.tables import Table
from crawler.exports.xlsx import write_xlsx

__all__ = ["ReportFiles", "report_tables", "write_report"]


@dataclass(frozen=True)
class ReportFiles:
    xlsx: Path
    markdown: Path
    html: Path
    chart: Path


def report_tables(figures: ReportFigures) -> list[Table]:
    """The summary first, then the breakdowns, as the XLSX sheets and the page sections."""
    return [
        Table("Tổng hợp", ["Chỉ tiêu", "Số lượng"], [
            ["Tin đăng đã quét", figures.scanned],
            ["Tin bị gắn cờ vi phạm", figures.flagged],
            ["Tin đã xác nhận vi phạm", figures.confirmed],
            ["Tin đã chuyển kiểm tra", figures.referred],
            ["Số lần thu thập", figures.runs],
            ["Lần thu thập lỗi", figures.failed_runs],
        ], widths=[32, 12]),
        Table("Theo tháng", ["Tháng", "Tin mới quét", "Tin vi phạm mới", "Xác nhận", "Chuyển kiểm tra"],
              [list(r) for r in figures.by_month]),
        Table("Theo nhóm vi phạm", ["Nhóm vi phạm", "Mã nhóm", "Tin vi phạm"],
              [[CATEGORY_LABELS.get(c, c), c, n] for c, n in figures.by_category]),
        Table("Theo nguồn", ["Nguồn", "Tin đã quét", "Tin vi phạm"], [list(r) for r in figures.by_source]),
        Table("Theo tỉnh", ["Tỉnh/Thành phố", "Tin đã quét", "Tin vi phạm"], [list(r) for r in figures.by_province]),
        Table("Thương hiệu", ["Thương hiệu", "Tin vi phạm", "Số người bán"], [list(r) for r in figures.top_brands]),
        Table("Người bán", ["Mã người bán", "Tên", "Nguồn", "Tỉnh/Thành phố", "Tin vi phạm", "Rủi ro cao nhất"],
              [list(r) for r in figures.top_sellers]),
    ]


def write_report(figures: ReportFigures, out_dir: Path) -> ReportFiles:
    """Write ``bao-cao-<period>.{xlsx,md,html}`` and ``bao-cao-<period>-vi-pham.png`` into ``out_dir``."""
    stem = f"bao-cao-{figures.period.label}"
    tables = report_tables(figures)
    title = f"Báo cáo giám sát TMĐT kỳ {figures.period.label}"
    chart = flagged_chart([m for m, *_ in figures.by_month], [r[2] for r in figures.by_month],
                          out_dir / f"{stem}-vi-pham.png", f"Tin vi phạm mới theo tháng — {figures.period.label}")
    span = _span(figures)
    markdown = "\n".join([f"# {md_escape(title)}", "", span, "", f"![Tin vi phạm theo tháng]({chart.name})", "",
                          *(md_table(t) for t in tables)])
    page = html_page(title, [html_paragraph(span),
                             f'<img src="{chart.name}" alt="Tin vi phạm mới theo tháng">',
                             *(html_table(t) for t in tables)])
    md_path, html_path = out_dir / f"{stem}.md", out_dir / f"{stem}.html"
    md_path.write_text(markdown, encoding="utf-8")
    html_path.write_text(page, encoding="utf-8")
    return ReportFiles(write_xlsx(tables, out_dir / f"{stem}.xlsx"), md_path, html_path, chart)


def _span(figures: ReportFigures) -> str:
    """The period in words, local dates, end inclusive."""
    last = figures.period.end - timedelta(days=1)
    return f"Kỳ báo cáo: từ {figures.period.start:%d/%m/%Y} đến {last:%d/%m/%Y} (giờ Việt Nam)."
