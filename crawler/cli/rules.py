"""``qltt rules``: match listings against the rule sets, explain one listing, validate rule files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]

WatchlistOption = Annotated[
    list[Path] | None, typer.Option("--watchlist", exists=True, help="Thêm danh sách theo dõi (CSV).")
]
RulesOption = Annotated[
    list[Path] | None, typer.Option("--rules", exists=True, help="Thêm thư mục/tệp bộ quy tắc YAML.")
]



def _configured(rules_dir: list[Path] | None, watchlist: list[Path] | None) -> tuple[list[Path], list[Path]]:
    """The crawl's own extra rule sets and watchlists (``QLTT_RULES_DIR``, ``QLTT_WATCHLISTS``), then the
    options: what is checked, matched or explained here is what a crawl would flag."""
    from crawler.config import get, split_paths

    return ([*split_paths(get("QLTT_RULES_DIR")), *(rules_dir or ())],
            [*split_paths(get("QLTT_WATCHLISTS")), *(watchlist or ())])


rules_app = typer.Typer(help="Bộ quy tắc phát hiện vi phạm: đối chiếu, giải thích, kiểm tra.", no_args_is_help=True)


@rules_app.command("match")
def match(
    input_path: Annotated[
        Path, typer.Option("--input", exists=True, dir_okay=False, help="Tệp JSON Lines các tin đăng.")
    ],
    output: Annotated[Path, typer.Option("--output", help="Tệp JSON Lines kết quả (một dòng mỗi tin).")],
    watchlist: WatchlistOption = None,
    rules_dir: RulesOption = None,
) -> None:
    """Đối chiếu từng tin đăng với bộ quy tắc và ghi kết quả."""
    import rules

    extra_dirs, watchlists = _configured(rules_dir, watchlist)
    engine = rules.load(extra_dirs=extra_dirs, watchlists=watchlists)
    count = flagged = 0
    with input_path.open(encoding="utf-8") as source, output.open("w", encoding="utf-8") as sink:
        for number, line in enumerate(source, 1):
            if not line.strip():
                continue
            try:
                listing = json.loads(line)
            except json.JSONDecodeError as exc:
                raise typer.BadParameter(f"dòng {number} không phải JSON hợp lệ: {exc}") from exc
            result = {"_id": listing.get("_id"), **engine.assess(listing).to_dict()}
            sink.write(json.dumps(result, ensure_ascii=False) + "\n")
            count += 1
            flagged += result["flag"]
    typer.echo(f"Đã xử lý {count} tin đăng, {flagged} tin có dấu hiệu vi phạm → {output}")


@rules_app.command("explain")
def explain(
    title: Annotated[str, typer.Argument(help="Tiêu đề tin đăng.")],
    description: Annotated[str, typer.Option("--description", help="Mô tả.")] = "",
    price: Annotated[int | None, typer.Option("--price", help="Giá (VND).")] = None,
    seller: Annotated[str, typer.Option("--seller", help="Tên người bán.")] = "",
    watchlist: WatchlistOption = None,
    rules_dir: RulesOption = None,
) -> None:
    """Giải thích bằng tiếng Việt vì sao một tin đăng bị (hoặc không bị) gắn cờ."""
    import rules
    from rules.explain import explain as render

    extra_dirs, watchlists = _configured(rules_dir, watchlist)
    engine = rules.load(extra_dirs=extra_dirs, watchlists=watchlists)
    listing = {"title": title, "description": description, "price": price, "seller": {"name": seller}}
    typer.echo(render(engine.assess(listing)))


@rules_app.command("check")
def check(
    rules_dir: RulesOption = None,
    watchlist: WatchlistOption = None,
) -> None:
    """Kiểm tra mọi bộ quy tắc và danh sách theo dõi (id trùng, mẫu, căn cứ pháp lý)."""
    from rules.check import check_all

    errors = check_all(*_configured(rules_dir, watchlist))
    for error in errors:
        typer.echo(f"LỖI {error}", err=True)
    if errors:
        raise typer.Exit(code=1)
    typer.echo("Bộ quy tắc và danh sách theo dõi hợp lệ.")


@rules_app.command("build")
def build() -> None:
    """Biên dịch bộ máy luật (mypyc) để đối chiếu nhanh hơn; không có trình biên dịch C thì vẫn chạy bằng Python."""
    from rules.native import build as compile_native

    try:
        target = compile_native()
    except (RuntimeError, OSError) as exc:
        typer.echo(f"Không biên dịch được bộ máy luật; vẫn chạy đúng bằng Python, chỉ chậm hơn.\n{exc}", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(f"Đã biên dịch bộ máy luật: {target}")


def register(app: typer.Typer) -> None:
    """Attach ``qltt rules`` to the main app."""
    app.add_typer(rules_app, name="rules")
