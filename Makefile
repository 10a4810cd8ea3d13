# Two commands are the whole set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DATE ?= 2026-11-23

.PHONY: demo test perf validate clean sysdeps

# Debian packages the report tests use for real: Chromium (HTML check, PDF printing), poppler-utils
# (pdftoppm/pdftotext) and a CJK font. Installed once, when missing; needs root or sudo.
SYSDEPS_STAMP := $(VENV)/.sysdeps
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(SYSDEPS_STAMP):
	@if command -v chromium >/dev/null && command -v pdftoppm >/dev/null && fc-list :lang=zh | grep -q .; then :; else \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    chromium poppler-utils fonts-noto-cjk fontconfig; fi
	mkdir -p $(VENV) && touch $@

sysdeps: $(SYSDEPS_STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP) $(SYSDEPS_STAMP)
	$(BIN)/benchmark validate
	$(BIN)/benchmark evaluate examples/declarations --programme leader --date $(DEMO_DATE) --lang zh --format json,md,html,xlsx -o out/demo/leader
	$(BIN)/benchmark evaluate examples/declarations --programme shenzhen --date $(DEMO_DATE) --lang en --format json,md,html,xlsx -o out/demo/shenzhen
	$(BIN)/benchmark compare --set three-phase-induction-motor --param rated_power=1.5kW --date $(DEMO_DATE) --lang zh --format html,xlsx,md,json -o out/demo/study
	$(BIN)/benchmark assess-organisation examples/organisations --date $(DEMO_DATE) --lang zh --format json,md,html,xlsx -o out/demo/organisations
	$(BIN)/benchmark rank examples/populations/room-air-conditioners.csv --set room-air-conditioner --date $(DEMO_DATE) --lang zh --format json,csv,xlsx,md -o out/demo/ranking
	@echo "Reports: out/demo/leader/*.zh.{html,md,xlsx} (Chinese), out/demo/shenzhen/*.en.{html,md,xlsx} (English), JSON beside them; comparison study in out/demo/study/; peer ranking in out/demo/ranking/. PDF: add pdf to --format."

test: $(STAMP) $(SYSDEPS_STAMP)
	$(BIN)/python -m pytest

perf: $(STAMP)
	$(BIN)/python -m pytest tests/perf -s -q -p no:cacheprovider --override-ini addopts=

clean:
	rm -rf $(VENV) out build dist *.egg-info
