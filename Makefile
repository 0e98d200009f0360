# tailorfolio: `make demo` and `make test` work on a fresh machine with Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev

.PHONY: demo test test-fast bench bench-tax evaluate evaluate-plans clean venv system-deps serve

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(VENV)/.installed-core: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $(VENV)/.installed-core

venv: $(STAMP)

demo: $(VENV)/.installed-core
	$(VENV)/bin/tailorfolio demo

system-deps:
	sh scripts/ensure-system-deps.sh

test: $(STAMP) system-deps
	$(PY) -m pytest -n 2 -q

test-fast: $(STAMP)
	$(PY) -m pytest -n 2 -q -m "not slow"

serve: $(STAMP)
	$(VENV)/bin/tailorfolio serve

bench: $(STAMP)
	$(PY) benchmarks/bench_optimize.py
	$(PY) benchmarks/bench_kernel_small.py
	$(PY) benchmarks/bench_frontier.py --quick
	$(PY) benchmarks/bench_esg_frontier.py
	$(PY) benchmarks/bench_simulate.py
	$(PY) benchmarks/bench_fleet.py
	$(PY) benchmarks/bench_fleet_hard.py
	$(PY) benchmarks/bench_cli.py
	$(PY) benchmarks/bench_whatif.py
	$(PY) benchmarks/bench_book.py --clients 1000

bench-tax: $(STAMP)
	PYTHONPATH=src $(PY) benchmarks/tax_benefits.py

# Out-of-sample comparison of every strategy against 1/N on bundled real data (~10 min).
evaluate: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) -m tailorfolio evaluate --out docs/evaluation.md

# The value of personalization: the plan vs a 60/40 fund, a target-date fund and the
# risk-level-only plan on the bundled investors and 1,000 synthetic households, 200 paths each,
# on common random numbers (docs/personalization.md; about 1.5 s per household per core,
# so ~25 min on one core, ~13 min with EVALUATE_JOBS=2).
# EVALUATE_JOBS=2 uses both cores of a quiet machine.
EVALUATE_JOBS ?= 1
evaluate-plans: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) -m tailorfolio.personalization --households 1000 --paths 200 \
		--jobs $(EVALUATE_JOBS) --out docs/personalization.md
	OMP_NUM_THREADS=1 $(PY) -m tailorfolio.personalization --households 1000 --paths 200 \
		--jobs $(EVALUATE_JOBS) --forecast-error --out docs/personalization-forecast-error.md

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
