# One-command set-up: a virtualenv with the package and its dev tools, plus the Debian packages the
# browser spiders (chromium) and the distributed-crawl tests (redis-server) need, and the rule engine
# compiled (a C compiler and the Python headers; without them it runs as Python, slower).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
APT_PACKAGES := chromium redis-server

.PHONY: setup system native demo test lint bench clean

setup: $(STAMP) system native

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV) || { $(MAKE) apt PKGS=python3-venv && $(PY) -m venv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

system:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v cc >/dev/null 2>&1 || missing="$$missing gcc libc6-dev"; \
	$(PY) -c 'import os, sysconfig; raise SystemExit(not os.path.exists(sysconfig.get_paths()["include"] + "/Python.h"))' \
		|| missing="$$missing python3-dev"; \
	if [ -n "$$missing" ]; then $(MAKE) --no-print-directory apt PKGS="$$missing"; fi

# once per version of the engine's source (rules/native.py); a failure leaves the engine in Python
native: $(STAMP) system
	@$(BIN)/qltt rules build || echo "cảnh báo: bộ máy luật chạy bằng Python (chậm hơn)" >&2

apt:
	@if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(PKGS)

demo: setup
	$(BIN)/qltt demo

test: setup
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/accuracy.py
	$(BIN)/python bench/match.py
	$(BIN)/python bench/store.py
	$(BIN)/python bench/crawl.py

clean:
	rm -rf $(VENV) var tests/artifacts .pytest_cache
