# renkou: `make run` sets up and starts everything; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# uv installs the locked wheels (hashes checked, as pip does) in a fraction of pip's time:
# about 35 s instead of 2 minutes for the test dependencies. uv itself is locked too.
UV := $(VENV)/bin/uv pip install --quiet --python $(PY)
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: run init test lint typecheck unit bench lock messages clean

$(STAMP): requirements/base.txt requirements/uv.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes -r requirements/uv.txt
	$(UV) --require-hashes -r requirements/base.txt
	$(UV) --no-deps -e .
	touch $@

# --no-deps: the lock pins every dependency already, and recordlinkage's own pandas < 3
# bound is lifted there (requirements/overrides.txt), which pip would otherwise refuse.
$(DEVSTAMP): $(STAMP) requirements/dev.txt
	$(UV) --require-hashes --no-deps -r requirements/dev.txt
	touch $@

init: $(STAMP)
	$(VENV)/bin/renkou init

run: init
	$(VENV)/bin/renkou serve

lint: $(DEVSTAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy renkou/core/idnumber.py renkou/core/crypto.py renkou/core/regions.py renkou/registry/folding.py renkou/linkage
	$(VENV)/bin/mypy --strict renkou/demography renkou/core/cells.py
	$(VENV)/bin/mypy --strict renkou/analytics/periods.py renkou/analytics/counts.py renkou/analytics/engines.py renkou/analytics/indicators.py renkou/targets/scoring.py

test: $(DEVSTAMP) lint
	RENKOU_DATA_DIR=$${RENKOU_DATA_DIR:-$(CURDIR)/data/test} $(VENV)/bin/renkou makemigrations --check --dry-run
	$(VENV)/bin/python -m tests.run

bench: $(DEVSTAMP)
	$(PY) -m bench

lock: $(STAMP)
	$(VENV)/bin/uv pip compile --quiet --python-version 3.11 --generate-hashes requirements/uv.in -o requirements/uv.txt
	$(VENV)/bin/uv pip compile --quiet --python-version 3.11 --generate-hashes requirements/base.in -o requirements/base.txt
	$(VENV)/bin/uv pip compile --quiet --python-version 3.11 --generate-hashes --override requirements/overrides.txt requirements/dev.in -o requirements/dev.txt

messages: $(STAMP)
	cd renkou && ../$(VENV)/bin/renkou makemessages -l zh_Hans -l en --no-obsolete && ../$(VENV)/bin/renkou compilemessages

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
