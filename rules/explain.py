"""Vietnamese, human-readable explanation of an assessment, for inspectors at the command line."""

from __future__ import annotations

from rules.model import Assessment, Finding
from rules.watchlist import ROUTE_LABELS

__all__ = ["CATEGORY_NAMES", "explain", "field_label"]

CATEGORY_NAMES = {
    "counterfeit": "Hàng giả / giả mạo nhãn hiệu",
    "banned": "Hàng cấm kinh doanh",
    "conditional": "Hàng kinh doanh có điều kiện (thiếu điều kiện)",
    "origin": "Hàng không rõ nguồn gốc, xuất xứ",
    "false_ad": "Quảng cáo sai sự thật",
    "price_anomaly": "Giá bất thường so với hàng chính hãng",
    "watchlist": "Người bán trong danh sách theo dõi",
    "website_compliance": "Website chưa tuân thủ quy định TMĐT",
}
_SEVERITY = {"low": "thấp", "medium": "trung bình", "high": "cao", "critical": "rất cao"}
_FIELDS = {"title": "tiêu đề", "description": "mô tả", "seller": "tên người bán", "brand": "thương hiệu",
           "category": "danh mục"}


def field_label(field: str) -> str:
    """What a span's field is called in front of an inspector (``seller.phone`` → ``số điện thoại``)."""
    return _FIELDS.get(field) or ROUTE_LABELS.get(field.removeprefix("seller."), field)


def _finding(index: int, finding: Finding) -> list[str]:
    lines = [
        f"{index}. {CATEGORY_NAMES.get(finding.category, finding.category)} — mức độ "
        f"{_SEVERITY.get(finding.severity, finding.severity)} (điểm {finding.score}) [{finding.rule_id}]",
        f"   Lý do: {finding.description}",
        f"   Căn cứ: {finding.legal_basis}",
    ]
    for span in finding.spans:
        where = field_label(span.field)
        lines.append(f"   Dấu hiệu: «{span.text}» ({where}, vị trí {span.start}-{span.end}, dạng chuẩn hóa "
                     f"\"{span.normalized}\")")
    return lines


def explain(assessment: Assessment) -> str:
    """A multi-line explanation: verdict, risk, brand, then each finding with its evidence."""
    if not assessment.flag:
        verdict = "KHÔNG PHÁT HIỆN DẤU HIỆU VI PHẠM"
    else:
        verdict = "CÓ DẤU HIỆU VI PHẠM — cần cán bộ QLTT xem xét"
    lines = [f"Kết luận: {verdict}", f"Mức rủi ro: {assessment.risk}/100",
             f"Nhãn hiệu nhận diện: {assessment.brand or 'không xác định'}"]
    if assessment.categories:
        names = ", ".join(CATEGORY_NAMES.get(c, c) for c in assessment.categories)
        lines.append(f"Nhóm vi phạm: {names}")
        lines.append("Chi tiết:")
    for index, finding in enumerate(assessment.findings, 1):
        lines += _finding(index, finding)
    return "\n".join(lines)
