"""``python -m crawler.cli`` is ``qltt``."""

from crawler.cli.main import main

main()
