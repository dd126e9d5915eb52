# The checks CI runs (see CONTRIBUTING.md). Run inside the project's virtual environment.
PYTHON ?= python

.PHONY: check lint types test

check: lint types test

lint:
	$(PYTHON) -m ruff check .

types:
	$(PYTHON) -m mypy

test:
	$(PYTHON) -m pytest
