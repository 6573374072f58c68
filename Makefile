# Two commands matter: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast seed bench bench-pubsub bench-crawl bench-analysis lint clean

# A machine without python3-venv (Debian's python3 alone) gets it from bootstrap.sh, which
# installs it as root or says how; `make` itself missing: `sh bootstrap.sh` first.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -c "import ensurepip, venv" 2>/dev/null || sh bootstrap.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[standalone,postgresql,test]'
	touch $(STAMP)

var:
	mkdir -p var

run: $(STAMP) | var
	$(PY) manage.py serve

test: $(STAMP) | var
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP) | var
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

seed: $(STAMP) | var
	$(PY) manage.py seed_demo

bench: $(STAMP) | var
	$(PY) bench/run.py $(BENCH_ARGS)

bench-pubsub: $(STAMP) | var
	$(PY) bench/pubsub_bench.py $(BENCH_ARGS)

bench-crawl: $(STAMP) | var
	$(PY) bench/crawl.py $(BENCH_ARGS)

bench-analysis: $(STAMP) | var
	$(PY) bench/analysis.py $(BENCH_ARGS)

lint: $(STAMP)
	$(PY) -m pip install --quiet ruff
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var
