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
	$(BIN)/benchmark evaluate examples/declarations --programme leader --date $(DEMO_DATE) --lang zh -o out/demo/leader
	$(BIN)/benchmark evaluate examples/declarations --programme shenzhen --date $(DEMO_DATE) --lang en -o out/demo/shenzhen
	@echo "Reports: out/demo/leader/*.zh.md (Chinese) and out/demo/shenzhen/*.en.md (English), with JSON beside them."

test: $(STAMP)
	$(BIN)/python -m pytest

perf: $(STAMP)
	$(BIN)/python -m pytest tests/perf -s -q -p no:cacheprovider --override-ini addopts=

clean:
	rm -rf $(VENV) out build dist *.egg-info
