"""How the console shows values: VND with dot separators, local times, Vietnamese labels."""

from __future__ import annotations

from typing import Any

from crawler.cli.common import local_time

__all__ = ["CATEGORY_LABELS", "DECISION_LABELS", "ROLE_LABELS", "SEVERITY_LABELS", "STATUS_LABELS", "local_time",
           "vnd"]

STATUS_LABELS = {"new": "Chờ xử lý", "confirmed": "Đã xác nhận", "dismissed": "Đã bỏ qua",
                 "referred": "Chuyển kiểm tra"}
DECISION_LABELS = {"confirm": "Xác nhận vi phạm", "dismiss": "Bỏ qua", "refer": "Chuyển kiểm tra"}
SEVERITY_LABELS = {"low": "Thấp", "medium": "Trung bình", "high": "Cao", "critical": "Nghiêm trọng"}
CATEGORY_LABELS = {
    "counterfeit": "Hàng giả",
    "banned": "Hàng cấm",
    "conditional": "Kinh doanh có điều kiện",
    "origin": "Không rõ nguồn gốc",
    "false_ad": "Quảng cáo sai",
    "price_anomaly": "Giá bất thường",
    "watchlist": "Danh sách theo dõi",
    "website_compliance": "Tuân thủ website",
}
ROLE_LABELS = {"viewer": "Xem", "inspector": "Kiểm soát viên", "admin": "Quản trị"}


def vnd(value: Any) -> str:
    """``1250000`` → ``1.250.000 ₫``; anything not a number → empty."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    return f"{round(value):,}".replace(",", ".") + " ₫"
