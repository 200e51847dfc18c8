"""Local replica of the sources, for the demo and the tests (see ``server.Sandbox``)."""

from crawler.sandbox.server import Sandbox

__all__ = ["Sandbox"]
