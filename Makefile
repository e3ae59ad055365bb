# Customer Voice: `make run` serves the demo platform, `make test` runs the suite.
# With no DATABASE_URL or REDIS_URL set, both use SQLite and run Celery tasks in process.
# Commands run here have DEBUG on (plain HTTP, a development key) unless DEBUG is set.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install assets migrate demo lint messages clean

run: install assets migrate demo
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT)

test: install assets
	DEBUG=$${DEBUG:-true} $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0 2>/dev/null || true
	$(PY) -m pytest -n $${TEST_PROCESSES:-auto} --maxprocesses=8 --dist worksteal --durations=10 $(PYTEST_ARGS)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		(echo "Python 3.11 or newer is needed (set PYTHON=...)"; exit 1)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

assets: static/build/.built

static/build/.built: package.json package-lock.json static/src/app.scss
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/build/govuk
	npx sass --load-path=node_modules --style=compressed --no-source-map --quiet-deps \
		static/src/app.scss static/build/app.css
	cp -r node_modules/govuk-frontend/dist/govuk/assets static/build/govuk/
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js static/build/govuk/
	cp node_modules/chart.js/dist/chart.umd.min.js static/build/
	touch $@

migrate: install
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --no-input
	DEBUG=$${DEBUG:-true} $(PY) manage.py load_sectors
	DEBUG=$${DEBUG:-true} $(PY) manage.py load_standard

demo: migrate
	DEBUG=$${DEBUG:-true} $(PY) manage.py load_demo

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DEBUG=$${DEBUG:-true} $(VENV)/bin/mypy .

messages: install
	DEBUG=$${DEBUG:-true} $(PY) manage.py makemessages -l cy --ignore=.venv --ignore=node_modules --ignore=staticfiles
	DEBUG=$${DEBUG:-true} $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules

clean:
	rm -rf $(VENV) node_modules static/build staticfiles
