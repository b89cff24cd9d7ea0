# checkpoint: the two commands a new user needs are `make run` and `make test`.
# Both create the virtualenv (.venv) and install the pinned dependencies when missing.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
AWS_PORT ?= 4566
STAMP  := $(VENV)/.installed
# npm tools (package.json, package-lock.json): the OpenAPI linter and TypeScript generator the tests
# run, and Swagger UI's bundle that GET /docs serves (chalicelib/reference/ links to its files, and
# `chalice package` ships them). No install scripts run.
NODE_STAMP := node_modules/.installed
# checkov (the posture scanner of tests/deployment and `make package`) pins an old boto3 and
# packaging<24, which conflict with the product's pins: it gets its own virtualenv.
CHECKOV_VENV  := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# The browser tests drive Debian's chromium: Playwright's own browser download cannot work here.
CHROMIUM := /usr/bin/chromium

.PHONY: venv node checkov run invoke test unit integration browser screenshots bench token package clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }  # a broken venv or a dangling link
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip<26.3"  # chalice 1.34 needs pip<26.3
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

node: $(NODE_STAMP)

$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || { rm -rf $(CHECKOV_VENV); $(PYTHON) -m venv $(CHECKOV_VENV); }
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $(CHECKOV_STAMP)

checkov: $(CHECKOV_STAMP)

$(CHROMIUM):
	$$([ "$$(id -u)" = 0 ] || echo sudo) sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium'


## Serve the API on 127.0.0.1:$(PORT) over an embedded AWS (moto) with sample data loaded.
run: $(STAMP) $(NODE_STAMP)
	PORT=$(PORT) AWS_PORT=$(AWS_PORT) $(PY) -m chalicelib.local.serve

## Invoke a function of the stack `make run` serves: make invoke FUNCTION=retention_sweep [EVENT='{...}']
invoke: $(STAMP)
	@AWS_PORT=$(AWS_PORT) $(PY) -m chalicelib.local.invoke $(FUNCTION) $(if $(EVENT),'$(EVENT)')

## Run the whole test suite (unit + integration on moto + the console in headless Chromium).
test: $(STAMP) $(NODE_STAMP) $(CHECKOV_STAMP) $(CHROMIUM)
	$(PY) -m pytest -q -n 2 tests

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

integration: $(STAMP) $(NODE_STAMP)
	$(PY) -m pytest -q tests/integration

browser: $(STAMP) $(NODE_STAMP) $(CHROMIUM)
	$(PY) -m pytest -q tests/browser

## The browser tests, saving the README's screenshots of the console in docs/screenshots/.
screenshots: $(STAMP) $(NODE_STAMP) $(CHROMIUM)
	CONSOLE_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q tests/browser

## A bearer token for the local stage: make token ROLE=channel|compliance|auditor [SUBJECT=name]
token: $(STAMP)
	@$(PY) -m chalicelib.local.token

## CloudFormation (SAM) template + Lambda package in build/package, checked by cfn-lint and checkov.
package: $(STAMP) $(NODE_STAMP) $(CHECKOV_STAMP)
	mkdir -p build
	$(PY) -m chalicelib.local.template > build/merge.json
	rm -rf build/package
	CHECKPOINT_API_AUTH=cognito AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-eu-west-1} $(VENV)/bin/chalice package --stage prod --merge-template build/merge.json build/package
	$(VENV)/bin/cfn-lint build/package/sam.json
	$(CHECKOV_VENV)/bin/checkov --skip-download --quiet --compact --framework cloudformation -f build/package/sam.json

## Latency/throughput of sign-ups through the embedded stack.
bench: $(STAMP)
	$(PY) bench/onboarding_latency.py

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules .pytest_cache build
