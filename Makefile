# One command each: `make run` builds everything, `make test` passes the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PLOTS_PAGE := .dvc/plots/page.html
export TF_CPP_MIN_LOG_LEVEL := 2
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help setup data run repro plots test test-fast browser app bench lint clean

help:
	@echo "make run        set up .venv, get twcs.csv, run the DVC pipeline, print the comparison"
	@echo "make test       set up .venv and Chromium, run every test (unit, end-to-end, app, browser)"
	@echo "make repro      dvc repro with the .venv's Python (what the stages run)"
	@echo "make plots      dvc plots show: dvc_plots/index.html, drawn without a network"
	@echo "make app        serve models/selected in the Streamlit app on http://localhost:8501"
	@echo "make bench      run the benchmark scripts (they print figures)"

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# vega, vega-lite and vega-embed from npm (package-lock.json), inlined into the page that
# `dvc plots show` fills (.dvc/config: plots.html_template), so the plots draw offline.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(PLOTS_PAGE): $(NODE_STAMP) .dvc/plots/page.in.html scripts/plots_page.py
	$(PYTHON) scripts/plots_page.py

setup: $(STAMP) $(PLOTS_PAGE)

data: setup
	$(BIN)/python -m twcs_classifier fetch-data

run: data
	$(BIN)/dvc repro
	@cat metrics/compare.md

repro: setup
	$(BIN)/dvc repro

plots: setup
	$(BIN)/dvc plots show

browser:
	bash scripts/install-browser.sh

test: setup browser
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not e2e and not browser"

app: setup
	$(BIN)/streamlit run app.py

bench: setup  # needs a built pipeline (make run) and ../shared/data/twcs_real_sample.csv
	$(BIN)/python benchmarks/make_big_twcs.py --rows 2800000 --out benchmarks/out/twcs_2.8M.csv
	$(BIN)/python benchmarks/bench_extract.py --csv benchmarks/out/twcs_2.8M.csv --repeat 3
	rm -f benchmarks/out/twcs_2.8M.csv
	$(BIN)/python benchmarks/bench_serving_latency.py models/gru models/logreg
	$(BIN)/python benchmarks/explanation_faithfulness.py
	$(BIN)/python benchmarks/bench_cli_cold.py
	$(BIN)/python benchmarks/bench_app_cold.py
	$(BIN)/python benchmarks/bench_training.py
	$(BIN)/python benchmarks/bench_dvc.py
	$(BIN)/python benchmarks/make_big_twcs.py --rows 2800000 --unique-texts --out benchmarks/out/twcs_2.8M_unique.csv
	$(BIN)/python benchmarks/bench_pipeline.py --data benchmarks/out/twcs_2.8M_unique.csv
	rm -f benchmarks/out/twcs_2.8M_unique.csv
	$(BIN)/python benchmarks/learning_curve.py

lint: setup
	$(BIN)/ruff check src stages tests app.py app_pages benchmarks
	$(BIN)/ruff format --check src stages tests app.py app_pages benchmarks

clean:
	rm -rf $(VENV) node_modules $(PLOTS_PAGE) .pytest_cache test-artifacts benchmarks/out dvc_plots
