"""``qltt rules`` commands and rule-file validation errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.cli.main import _register, app
from rules.check import check_all
from rules.loader import load_sets
from rules.schema import RuleError

_register()
runner = CliRunner()

GOOD = """set: extra
legal_basis: "NĐ 98/2020/NĐ-CP"
rules:
  - id: extra.one
    category: banned
    description: "Thử"
    phrases: [hàng thử nghiệm]
"""


def test_explain_is_vietnamese_and_names_evidence() -> None:
    result = runner.invoke(app, ["rules", "explain", "Túi L.V Neverfull siêu cấp", "--price", "500000"])
    assert result.exit_code == 0, result.output
    assert "CÓ DẤU HIỆU VI PHẠM" in result.output
    assert "Louis Vuitton" in result.output and "«siêu cấp»" in result.output and "Căn cứ:" in result.output


def test_explain_clean_listing() -> None:
    result = runner.invoke(app, ["rules", "explain", "Bánh mì que Hải Phòng", "--price", "50000"])
    assert result.exit_code == 0 and "KHÔNG PHÁT HIỆN" in result.output


def test_match_writes_one_line_per_listing(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in [
        {"_id": "a", "title": "Pod Elf Bar 5000 hơi"}, {"_id": "b", "title": "Khăn len đan tay"}]), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["rules", "match", "--input", str(source), "--output", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(x["_id"], x["flag"]) for x in lines] == [("a", True), ("b", False)]
    assert lines[0]["categories"] == ["banned"]


def test_check_passes_on_shipped_sets() -> None:
    result = runner.invoke(app, ["rules", "check"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (GOOD.replace("category: banned", "category: nonsense"), "field 'category'"),
        (GOOD.replace('legal_basis: "NĐ 98/2020/NĐ-CP"\n', ""), "field 'legal_basis'"),
        (GOOD.replace("phrases: [hàng thử nghiệm]", "phrases: [1:1]"), "field 'phrases'"),
        (GOOD.replace("    description: \"Thử\"\n", ""), "field 'description'"),
        (GOOD + "  - id: extra.one\n    category: banned\n    description: x\n    phrases: [y]\n", "duplicate id"),
        ("rules: [\n  - id: x\n", "invalid YAML"),
        ("brands:\n  - {name: Thử, official: {shopee: Thử Official}}\n", "field 'official'"),  # not a list
        ("brands:\n  - {name: Thử, lines: {XO: nhiều}}\n", "field 'lines'"),  # a floor must be a VND amount
    ],
)
def test_broken_yaml_errors_name_file_line_and_field(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_sets([tmp_path])
    message = str(caught.value)
    assert str(path) in message and fragment in message
    assert caught.value.line is not None
    result = runner.invoke(app, ["rules", "check", "--rules", str(tmp_path)])
    assert result.exit_code == 1 and fragment in result.output


def test_check_reports_bad_watchlist(tmp_path: Path) -> None:
    path = tmp_path / "wl.csv"
    path.write_text("list_id,entry_id\nA,B\n", encoding="utf-8")
    errors = check_all(watchlists=[path])
    assert errors and "header" in str(errors[0])
    path.write_text("list_id,entry_id,source,shop_id,name,phone,tax_code,domain,reason,basis\n"
                    "L,E1,shopee,1,Tên,12345,,,r,b\n", encoding="utf-8")
    errors = check_all(watchlists=[path])
    assert errors and ":2" in str(errors[0]) and "phone" in str(errors[0])


def test_commands_read_the_crawl_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``check``, ``explain`` and ``match`` load the extra rule sets a crawl loads (QLTT_RULES_DIR)."""
    (tmp_path / "extra.yaml").write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv("QLTT_RULES_DIR", str(tmp_path))
    result = runner.invoke(app, ["rules", "explain", "Bán hàng thử nghiệm"])
    assert result.exit_code == 0 and "CÓ DẤU HIỆU VI PHẠM" in result.output, result.output
    (tmp_path / "extra.yaml").write_text(GOOD.replace("category: banned", "category: nonsense"), encoding="utf-8")
    result = runner.invoke(app, ["rules", "check"])
    assert result.exit_code == 1 and "extra.yaml" in result.output


def test_build_reports_where_and_falls_back_clearly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import rules.native

    monkeypatch.setattr(rules.native, "build", lambda: tmp_path / "abc")
    result = runner.invoke(app, ["rules", "build"])
    assert result.exit_code == 0 and str(tmp_path / "abc") in result.output

    def broken() -> Path:
        raise RuntimeError("mypyc build failed (1):\nerror: gcc not found")

    monkeypatch.setattr(rules.native, "build", broken)
    result = runner.invoke(app, ["rules", "build"])
    assert result.exit_code == 1
    assert "vẫn chạy đúng bằng Python" in result.output and "gcc not found" in result.output
