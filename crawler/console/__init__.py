"""The review console (``qltt console``): inspectors read flagged listings and their evidence, and decide."""

from __future__ import annotations

from crawler.console.app import create_app

__all__ = ["create_app"]
