# make run: serve the demo festival on http://127.0.0.1:$(PORT). make test: the whole suite.
# make test-quick: SQLite only, without browser and slow tests, in parallel (about a minute).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
PORT ?= 5000
export FLASK_APP := app.py

# The translations: messages.po is written by people and committed, messages.mo is compiled from it.
CATALOGS := $(wildcard ticketing/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run serve-prod test test-quick bench bench-backoffice setup clean-venv translations screenshots

setup: $(STAMP) $(COMPILED)

# The venv is rebuilt when pyproject.toml changes; otherwise this is a no-op.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Front-end packages from package-lock.json, when npm exists: zxing-wasm (the door's camera
# decoder, served by the app) and axe-core (the accessibility test).
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else echo "npm not found: the door page works without its camera decoder, and the accessibility test skips"; fi

# Each language's catalog compiled for the app (not committed: built here, by make setup).
%/LC_MESSAGES/messages.mo: %/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel -q compile -i $< -o $@

# After changing texts in the code: extract them and merge them into every catalog; then
# translate what is new or marked fuzzy (tests/test_translations.py fails until that is done).
translations: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 -k js_ngettext:1,2 \
		--no-location --sort-output --project ticketing -o ticketing/translations/messages.pot .
	$(BIN)/pybabel -q update -i ticketing/translations/messages.pot -d ticketing/translations \
		--no-wrap --ignore-obsolete

run: $(STAMP) $(NODE_STAMP) $(COMPILED)
	$(BIN)/flask db upgrade
	$(BIN)/flask demo
	@echo
	@echo "  The festival is served at http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"
	@echo "  E-mails are sent by a background sender (flask outbox run); with no MAIL_SERVER they are"
	@echo "  printed here and kept in instance/outbox/"
	@echo
	@# The outbox's sender runs beside the server as its own process, as in production; it stops with it.
	PUBLIC_URL=$${PUBLIC_URL:-http://127.0.0.1:$(PORT)} $(BIN)/flask outbox run & sender=$$!; \
	trap 'kill $$sender 2>/dev/null; wait $$sender' EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Production (README, "Production"): the settings come from the environment; migrations, then
# gunicorn with gunicorn.conf.py and the outbox's sender beside it (it stops with it).
serve-prod: $(STAMP) $(NODE_STAMP) $(COMPILED)
	$(BIN)/flask db upgrade
	TICKETING_ENV=production $(BIN)/flask outbox run & sender=$$!; \
	trap 'kill $$sender 2>/dev/null; wait $$sender' EXIT INT TERM; \
	$(BIN)/gunicorn -c gunicorn.conf.py

# The suite in parallel (pytest-xdist; TEST_WORKERS=1 runs it in one process), then the tests
# marked serial alone. One worker more than the machine has cores: a worker per core leaves
# cores idle while tests wait on browsers, servers and subprocesses, and a third worker on 2
# cores cut the parallel part from 559 to 467 s (a fourth: 509 s). PYTEST_ARGS adds options or picks tests,
# e.g. PYTEST_ARGS="tests/test_booking.py -k waiting"; exit code 5 (nothing picked) is not a failure.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
PYTEST := $(BIN)/python -m pytest
PARALLEL := $(if $(filter 1,$(TEST_WORKERS)),-p no:xdist,-n $(TEST_WORKERS) --dist worksteal)
NOTHING_PICKED := status=$$?; [ $$status -eq 0 ] || [ $$status -eq 5 ]
# The serial run collects only the modules that mark tests serial (collecting the whole suite to
# pick them cost 8 s), unless PYTEST_ARGS picks tests itself.
SERIAL_MODULES := $(shell grep -l 'mark\.serial' tests/test_*.py)

# Python's bytecode caches are written during the tests even where PYTHONDONTWRITEBYTECODE is set
# (an empty value turns it off): otherwise every worker rewrote every test module's asserts and
# every server or command a test starts compiled the app again (collection took 15 s instead of 7).
test test-quick: export PYTHONDONTWRITEBYTECODE :=

test: $(STAMP) $(NODE_STAMP) $(COMPILED)
	$(PYTEST) $(PARALLEL) -m "not serial" $(PYTEST_ARGS); $(NOTHING_PICKED)
	$(PYTEST) -p no:xdist -m serial $(or $(PYTEST_ARGS),$(SERIAL_MODULES)); $(NOTHING_PICKED)

test-quick: $(STAMP) $(NODE_STAMP) $(COMPILED)
	$(PYTEST) $(PARALLEL) -m "not postgres and not browser and not slow and not serial" $(PYTEST_ARGS); $(NOTHING_PICKED)

# Every kind of page at 360, 768 and 1,280 px, in English and in Kazakh, into screenshots/.
screenshots: $(STAMP) $(COMPILED)
	$(BIN)/python tools/screenshots.py screenshots

# Every benchmark in one table (sign-up and check-in rush, event and ticket pages; SQLite and
# PostgreSQL; 1 and 4 workers): about 10 minutes.
bench: $(STAMP) $(COMPILED)
	cd bench && ../$(BIN)/python run_all.py

# The back office with 100,000 registrations in one event: lists, dashboards, exports.
bench-backoffice: $(STAMP)
	$(BIN)/python bench/backoffice.py

clean-venv:
	rm -rf $(VENV)
