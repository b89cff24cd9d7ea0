# checkpoint: the two commands a new user needs are `make run` and `make test`.
# Both create the virtualenv (.venv) and install the pinned dependencies when missing.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: run test unit integration bench package lint clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

## Serve the API on 127.0.0.1:$(PORT) over an embedded AWS (moto) with sample data loaded.
run: $(STAMP)
	PORT=$(PORT) $(PY) -m chalicelib.local.serve

## Run the whole test suite (unit + integration on moto).
test: $(STAMP)
	$(PY) -m pytest -q -n 2 tests

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

integration: $(STAMP)
	$(PY) -m pytest -q tests/integration

## Latency/throughput of sign-ups through the embedded stack.
bench: $(STAMP)
	$(PY) bench/onboarding_latency.py

clean:
	rm -rf $(VENV) .pytest_cache
