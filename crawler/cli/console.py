"""``qltt console`` (the review console) and ``qltt users`` (its accounts)."""

from __future__ import annotations

import sys

import typer

from crawler import config
from crawler.cli.common import database, local_time, table

__all__ = ["register"]

users_app = typer.Typer(help="Tài khoản bàn kiểm duyệt (viewer, inspector, admin).", no_args_is_help=True)


def console(
    host: str | None = typer.Option(None, "--host", help="Địa chỉ lắng nghe (mặc định QLTT_CONSOLE_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", min=1, max=65535, help="Cổng (mặc định QLTT_CONSOLE_PORT, 8080)."),
) -> None:
    """Chạy bàn kiểm duyệt (giao diện web cho kiểm soát viên)."""
    import uvicorn

    from crawler.console import create_app
    from storage.evidence import BlobStore, root_from_config

    db = database()
    if db["users"].count_documents({}, limit=1) == 0:
        typer.echo("Chưa có tài khoản nào: tạo bằng `qltt users add TÊN --role inspector`.", err=True)
    app = create_app(db, blobs=BlobStore(root_from_config()),
                     secure_cookies=bool(config.get("QLTT_CONSOLE_SECURE_COOKIES")),
                     session_hours=float(config.get("QLTT_CONSOLE_SESSION_HOURS")))
    host = host or str(config.get("QLTT_CONSOLE_HOST"))
    port = port or int(config.get("QLTT_CONSOLE_PORT"))
    typer.echo(f"Bàn kiểm duyệt: http://{host}:{port}/")
    uvicorn.run(app, host=host, port=port, log_level=str(config.get("QLTT_LOG_LEVEL")).lower(),
                server_header=False, proxy_headers=False)


@users_app.command("add")
def users_add(
    username: str = typer.Argument(..., help="Tên đăng nhập (a-z, 0-9, . _ -)."),
    role: str = typer.Option(..., "--role", help="viewer (chỉ xem), inspector hoặc admin (được ra quyết định)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Đọc mật khẩu từ dòng đầu của stdin."),
) -> None:
    """Tạo tài khoản; mật khẩu được hỏi (không hiện) hoặc đọc từ stdin."""
    from storage.users import UserRepo

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt="Nhập lại mật khẩu")
    try:
        user = UserRepo(database()).add(username, password, role)
    except ValueError as exc:
        typer.echo(f"Lỗi: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Đã tạo tài khoản {user['_id']} ({user['role']}).")


@users_app.command("list")
def users_list() -> None:
    """Liệt kê tài khoản."""
    from storage.users import UserRepo

    rows = [(u["_id"], u.get("role"), "có" if u.get("active", True) else "khóa", local_time(u.get("created_at")))
            for u in UserRepo(database()).all()]
    typer.echo(table(["Tài khoản", "Vai trò", "Hoạt động", "Tạo lúc"], rows))


def register(app: typer.Typer) -> None:
    app.command("console")(console)
    app.add_typer(users_app, name="users")
