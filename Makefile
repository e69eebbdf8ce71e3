# Digipay: two commands for a newcomer — `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE := digipay.config.settings
# Tests, type checks and the demo may use the published development SECRET_KEY; a production
# process (DEBUG=0, no SECRET_KEY) refuses to start with it.
export DIGIPAY_ALLOW_DEV_SECRET := 1

.PHONY: run test lint typecheck contracts migrations-check pytest messages clean banksim

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 dibutuhkan ($(PYTHON) tidak ditemukan)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

messages: $(STAMP)
	$(BIN)/python scripts/compile_messages.py

DEMO_BANKS := src/digipay/demo/banks.json
# The demo's e-mails (one per notification: the demo orders make ~150) go to files under
# var/mail/ rather than burying the demo logins in the terminal.
DEMO_MAIL := EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend EMAIL_FILE_PATH=var/mail
BANKSIM_DB := var/banksim.sqlite3

# Waits (at most ~10 s) until the bank simulator accepts connections.
WAIT_BANKSIM := $(BIN)/python -c 'import socket, time; \
up = lambda: socket.socket().connect_ex(("127.0.0.1", 8100)) == 0 or time.sleep(0.2); \
raise SystemExit(0 if any(up() for _ in range(50)) else 1)'

## make run: the demo app on SQLite at http://127.0.0.1:8000 (demo logins printed first),
## with the bank simulator at http://127.0.0.1:8100 notifying the app, the MPN (tax billing)
## simulator at http://127.0.0.1:8200, the SPAN (SPM → SP2D, crediting through banksim)
## simulator at http://127.0.0.1:8300 and the background worker (scheduled jobs; the demo
## e-mails are written to var/mail/), all stopped with the app.
## The simulators start first: the demo data checks the vendors' bank accounts with banksim.
run: $(STAMP) messages
	DEBUG=1 $(BIN)/digipay migrate --no-input -v 0
	@mkdir -p var
	@$(BIN)/digipay banksim --host 127.0.0.1 --port 8100 --database $(BANKSIM_DB) --log-level warning \
	  --notify-url http://127.0.0.1:8000/snap/v1.0/notifications & echo $$! > var/banksim.pid; \
	$(BIN)/digipay mpnsim --host 127.0.0.1 --port 8200 --database var/mpnsim.sqlite3 \
	  --log-level warning & echo $$! > var/mpnsim.pid; \
	$(BIN)/digipay spansim --host 127.0.0.1 --port 8300 --database var/spansim.sqlite3 \
	  --bank-url http://127.0.0.1:8100 --log-level warning & echo $$! > var/spansim.pid; \
	trap 'kill $$(cat var/banksim.pid 2>/dev/null) $$(cat var/mpnsim.pid 2>/dev/null) $$(cat var/spansim.pid 2>/dev/null) $$(cat var/worker.pid 2>/dev/null) 2>/dev/null; rm -f var/banksim.pid var/mpnsim.pid var/spansim.pid var/worker.pid' EXIT INT TERM; \
	$(WAIT_BANKSIM) || echo "Simulator bank belum menjawab di port 8100: rekening vendor demo belum dicek."; \
	$(subst 8100,8200,$(WAIT_BANKSIM)) || echo "Simulator MPN belum menjawab di port 8200: kode billing pajak belum bisa dibuat."; \
	$(subst 8100,8300,$(WAIT_BANKSIM)) || echo "Simulator SPAN belum menjawab di port 8300: SPM GUP/TUP belum bisa dikirim."; \
	DEBUG=1 $(DEMO_MAIL) DIGIPAY_BANKS_CONFIG=$(DEMO_BANKS) $(BIN)/digipay demo-data && \
	echo "E-mail demo ditulis ke var/mail/ (satu berkas per proses)." && \
	{ DEBUG=1 $(DEMO_MAIL) DIGIPAY_BANKS_CONFIG=$(DEMO_BANKS) $(BIN)/digipay worker & echo $$! > var/worker.pid; } && \
	DEBUG=1 $(DEMO_MAIL) DIGIPAY_BANKS_CONFIG=$(DEMO_BANKS) $(BIN)/digipay runserver 127.0.0.1:8000

## make banksim: only the bank simulator (docs/banksim.md).
banksim: $(STAMP)
	$(BIN)/digipay banksim --host 127.0.0.1 --port 8100

## make test: every check the CI runs.
test: lint typecheck contracts migrations-check pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

typecheck: $(STAMP)
	$(BIN)/mypy src/digipay

contracts: $(STAMP)
	$(BIN)/lint-imports

migrations-check: $(STAMP)
	DEBUG=1 DATABASE_URL= $(BIN)/digipay makemigrations --check --dry-run

# The suite runs on SQLite always, and again on PostgreSQL when DATABASE_URL points to one.
# TEST_POSTGRES=required (set by .ci/run) turns a missing PostgreSQL into a failure.
pytest: $(STAMP) messages
	@if [ "$$TEST_POSTGRES" = "required" ] && [ -z "$$DATABASE_URL" ]; then \
	  echo "TEST_POSTGRES=required but DATABASE_URL is empty"; exit 1; fi
	@echo "== pytest on SQLite =="
	DATABASE_URL= $(BIN)/pytest -p no:cacheprovider
	@if [ -n "$$DATABASE_URL" ]; then \
	  echo "== pytest on PostgreSQL =="; \
	  DIGIPAY_EXPECT_POSTGRES=1 $(BIN)/pytest -p no:cacheprovider -m "not browser"; \
	fi

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache

## make bench-catalog: catalog search at 1M products / 50k vendors, API vs pgbench on PostgreSQL
## (not part of `make test`; needs PostgreSQL on 127.0.0.1 and pgbench; docs/benchmarks.md).
## Smaller: make bench-catalog BENCH_ARGS="--products 20000 --vendors 1000 --duration 5"
.PHONY: bench-catalog
BENCH_ARGS ?= --products 1000000 --vendors 50000 --clients 8 --duration 30
bench-catalog: $(STAMP)
	$(BIN)/python tests/bench/bench_catalog.py $(BENCH_ARGS)
