# Two commands are the whole set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DATE ?= 2026-11-23

.PHONY: demo test perf validate clean sysdeps

# Debian packages the report tests use for real: Chromium (HTML check, PDF printing), poppler-utils
# (pdftoppm/pdftotext) and a CJK font. Installed once, when missing, as root or with sudo (without
# a password prompt). A user with neither gets one line saying what is skipped, and the rest works:
# every format but pdf, and every test but the browser and PDF ones (they skip, saying why).
# SYSDEPS=skip never installs; CHROMIUM/PDFTOTEXT name the tools looked for.
SYSDEPS_STAMP := $(VENV)/.sysdeps
SYSDEPS ?= install
CHROMIUM ?= chromium
PDFTOTEXT ?= pdftotext
PACKAGES := chromium poppler-utils fonts-noto-cjk fontconfig
HAVE_SYSDEPS = command -v $(CHROMIUM) >/dev/null && command -v $(PDFTOTEXT) >/dev/null && \
	command -v fc-list >/dev/null && fc-list :lang=zh | grep -q .
SKIPPED := PDF output (--format pdf) and the browser/PDF tests in tests/test_reports.py and \
	tests/test_report_files.py are skipped

$(SYSDEPS_STAMP):
	@if $(HAVE_SYSDEPS); then mkdir -p $(VENV) && touch $@; \
	elif [ "$(SYSDEPS)" = skip ]; then \
	  echo "system packages ($(PACKAGES)) not installed (SYSDEPS=skip): $(SKIPPED)."; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $(PACKAGES) && mkdir -p $(VENV) && touch $@; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then \
	  sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install \
	    -y -qq --no-install-recommends $(PACKAGES) && mkdir -p $(VENV) && touch $@; \
	else \
	  echo "system packages ($(PACKAGES)) missing and not installable without root or sudo:" \
	    "$(SKIPPED); to add them: sudo make sysdeps."; \
	fi

sysdeps: $(SYSDEPS_STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask]'
	touch $(STAMP)

demo: $(STAMP) $(SYSDEPS_STAMP)
	$(BIN)/benchmark validate
	$(BIN)/benchmark evaluate examples/declarations --programme leader --date $(DEMO_DATE) --lang zh --format json,md,html,xlsx -o out/demo/leader
	$(BIN)/benchmark evaluate examples/declarations --programme shenzhen --date $(DEMO_DATE) --lang en --format json,md,html,xlsx -o out/demo/shenzhen
	$(BIN)/benchmark compare --set three-phase-induction-motor --param rated_power=1.5kW --date $(DEMO_DATE) --lang zh --format html,xlsx,md,json -o out/demo/study
	$(BIN)/benchmark assess-organisation examples/organisations --date $(DEMO_DATE) --lang zh --format json,md,html,xlsx -o out/demo/organisations
	$(BIN)/benchmark rank examples/populations/room-air-conditioners.csv --set room-air-conditioner --date $(DEMO_DATE) --lang zh --format json,csv,parquet,xlsx,md,html -o out/demo/ranking
	@echo "Reports: out/demo/leader/*.zh.{html,md,xlsx} (Chinese), out/demo/shenzhen/*.en.{html,md,xlsx} (English), JSON beside them; comparison study in out/demo/study/; peer ranking in out/demo/ranking/ (ranking.zh.html). PDF: add pdf to --format (needs Chromium: make sysdeps)."

test: $(STAMP) $(SYSDEPS_STAMP)
	$(BIN)/ruff check benchmark tests
	$(BIN)/mypy
	$(BIN)/python -m pytest

PERF_STAMP := $(VENV)/.installed-perf
$(PERF_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,dask,perf]'
	touch $(PERF_STAMP)

perf: $(PERF_STAMP)
	$(BIN)/python -m pytest tests/perf -s -q -p no:cacheprovider --override-ini addopts=

clean:
	rm -rf $(VENV) out build dist *.egg-info
