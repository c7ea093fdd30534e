# alertkit: `make demo` sets up and runs the main job; `make test` sets up and runs every test.
PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
ALERTMANAGER := /usr/bin/prometheus-alertmanager

NBVAL    := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg

.PHONY: demo test lint bench browser alertmanager notebooks clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "alertkit needs Python >= 3.11 (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/alertkit demo

lint: $(STAMP)
	$(BIN)/ruff check alertkit tests bench conftest.py
	$(BIN)/ruff format --check alertkit tests bench conftest.py
	$(BIN)/mypy
	$(BIN)/lint-imports

# The real-browser test drives Debian's chromium through Playwright (test tools cannot
# download browsers here). Installed with apt when we are root; otherwise say how.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "note: $(CHROMIUM) not found; the browser test will skip (sudo apt-get install chromium)"; \
	  fi; \
	fi

# The Alertmanager channel's tests run Debian's prometheus-alertmanager on 127.0.0.1 (its
# service is not started: the tests start their own). Installed with apt when we are root.
alertmanager:
	@if [ ! -x $(ALERTMANAGER) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus-alertmanager >/dev/null; \
	  else \
	    echo "note: $(ALERTMANAGER) not found; the Alertmanager tests will skip (sudo apt-get install prometheus-alertmanager)"; \
	  fi; \
	fi

# Every test, then the notebooks once more with numpy's highest SIMD targets on this CPU
# switched off (tests/reduced_simd.py): their outputs were recorded on some other CPU, and must
# not depend on which exp/log kernels ran.
test: $(STAMP) lint browser alertmanager
	$(BIN)/python -m pytest $(NBVAL)
	@simd="$$($(BIN)/python tests/reduced_simd.py)" && set -x && \
	NPY_DISABLE_CPU_FEATURES="$$simd" $(BIN)/python -m pytest $(NBVAL) notebooks/

# Re-record the notebooks' outputs after an intended behaviour change (then review the diff).
# Widget views and state are not kept: a notebook opened before it runs shows their text.
notebooks: $(STAMP)
	cd notebooks && ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace *.ipynb
	$(BIN)/python notebooks/strip_widgets.py notebooks/*.ipynb

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache test-artifacts
