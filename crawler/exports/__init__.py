"""Exports for planners and managers: the inspection plan and the periodic / quick reports.

Every writer takes ``tables.Table`` values, so the same figures come out as XLSX, CSV, JSON,
Markdown and HTML; every cell passes ``cells.neutralise`` (formula injection) on the way out.
"""
