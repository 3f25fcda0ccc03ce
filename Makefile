# 数银在线 — the two everyday commands are `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run dev test bench chaos venv migrations clean

$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

## make run: the product as its users see it. Embedded PostgreSQL + Redis when DATABASE_URL / REDIS_URL
## are unset, migrate, demo data, collectstatic, then gunicorn (production settings, DEBUG off), a Celery
## worker and beat. Ctrl-C stops everything.
run: $(STAMP)
	$(PY) bin/stack.py run

## make dev: the same services with Django's autoreloading development server and DEBUG on.
dev: $(STAMP)
	$(PY) bin/stack.py dev

## make test: the whole suite on PostgreSQL (2 xdist workers). PYTEST_ARGS adds pytest options.
test: $(STAMP)
	$(PY) bin/stack.py test $(PYTEST_ARGS)

## make chaos: the long fault and load runs (not part of make test).
chaos: $(STAMP)
	$(PY) bin/stack.py test -m chaos $(PYTEST_ARGS)

## make bench: the benchmark of shared/spec/bench.md (BENCH_SCALE=full|small), results in bench/results/.
bench: $(STAMP)
	$(PY) bin/stack.py bench

migrations: $(STAMP)
	$(PY) bin/stack.py manage makemigrations

clean:
	rm -rf var/test-private var/test-exports artifacts
