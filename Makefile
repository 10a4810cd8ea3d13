# Two commands are the whole set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DATE ?= 2026-11-23

.PHONY: demo test perf validate clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/benchmark validate
	$(BIN)/benchmark evaluate examples/declarations --date $(DEMO_DATE) --format json,md --lang en -o out/demo

test: $(STAMP)
	$(BIN)/python -m pytest

perf: $(STAMP)
	$(BIN)/python -m pytest tests/perf -s -q -p no:cacheprovider --override-ini addopts=

clean:
	rm -rf $(VENV) out build dist *.egg-info
