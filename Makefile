# The two commands of the README. Both create .venv when it is missing and (re)install
# opscope with all its extras whenever pyproject.toml changed since the last install.
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.opscope-installed

.PHONY: run test lint

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --upgrade pip
	$(VENV)/bin/python -m pip install -e '.[all]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/opscope --demo

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/python -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
