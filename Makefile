# The single command interface. Every target uses the Python of the active environment.
PYTHON ?= python3
PYTEST_ARGS ?=
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: install install-test serve lint format typecheck imports migrations-check test test-postgres check bench clean

install:            ## install Clarity (embedded mode: SQLite, local files, bundled models)
	$(PYTHON) -m pip install -e .

install-test:       ## install Clarity with every extra the tests and benchmarks need (pinned by constraints.txt)
	$(PYTHON) -m pip install -c constraints.txt -e '.[test]'

serve: install      ## install and start the server with demo data
	clarity serve

lint:               ## ruff lint and format check
	ruff check src tests benchmarks
	ruff format --check src tests benchmarks

format:
	ruff format src tests benchmarks
	ruff check --fix src tests benchmarks

typecheck:          ## mypy strict
	mypy src tests

imports:            ## import-linter contracts (pure cores free of web/DB code)
	lint-imports

migrations-check:   ## alembic upgrade head + alembic check, on SQLite and on PostgreSQL
	rm -f var/ci-migrations.db
	alembic -x url=sqlite:///var/ci-migrations.db upgrade head
	alembic -x url=sqlite:///var/ci-migrations.db check
	psql "$(PG_TEST_URL)" -q -c "DROP SCHEMA IF EXISTS ci_migrations CASCADE; CREATE SCHEMA ci_migrations"
	alembic -x "url=$(PG_TEST_URL)?options=-csearch_path%3Dci_migrations" upgrade head
	alembic -x "url=$(PG_TEST_URL)?options=-csearch_path%3Dci_migrations" check
	psql "$(PG_TEST_URL)" -q -c "SET client_min_messages = warning; DROP SCHEMA ci_migrations CASCADE"

test: install-test  ## install, then run the whole suite on SQLite
	$(PYTHON) -m pytest $(PYTEST_ARGS)

test-postgres: install-test  ## install, then run the suite on PostgreSQL (CLARITY_TEST_DATABASE_URL)
	CLARITY_TEST_DATABASE_URL=$(PG_TEST_URL) $(PYTHON) -m pytest -m "not realdata" $(PYTEST_ARGS)

check: lint typecheck imports migrations-check test test-postgres

bench:              ## speed and accuracy benchmarks (need ../shared/data)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PYTHON) $$b || exit 1; done

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
