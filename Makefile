# HPI: `make run` to serve, `make test` to test. Both set the checkout up first
# (scripts/setup.sh: .venv, pip packages, a JS runtime, and for tests a Chromium);
# re-runs skip whatever is already in place.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

PORT ?= 8000
export PORT
PYTEST_ARGS ?=

PY  := .venv/bin/python
ENV := . .tools/env.sh

.PHONY: run test setup setup-dev setup-test lint bench clean

run: setup  ## migrate the database, then serve UI + API on $(PORT)
	$(ENV) && $(PY) -m hpi_app migrate && $(PY) -m hpi_app serve

test: setup-test  ## run the test suite (extra pytest arguments: PYTEST_ARGS=...)
	$(ENV) && $(PY) -m pytest $(PYTEST_ARGS)

lint: setup-dev  ## ruff lint + format check
	$(ENV) && .venv/bin/ruff check . && .venv/bin/ruff format --check .

bench: setup  ## run the benchmarks
	$(ENV) && $(PY) bench/run_all.py

setup:
	@bash scripts/setup.sh

setup-dev:
	@bash scripts/setup.sh --dev

setup-test:
	@bash scripts/setup.sh --test

clean:  ## remove everything setup and runs create
	rm -rf .venv .tools .web .states data
