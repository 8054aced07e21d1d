# The two commands that matter: `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Runtime state of `make run` (dev secret key, Celery's filesystem queue, beat's schedule, media);
# settings.py reads the same variable. Point it elsewhere to run a second copy side by side.
RUN_DIR := $(abspath $(or $(HELPDESK_RUN_DIR),.run))
export HELPDESK_RUN_DIR := $(RUN_DIR)

.PHONY: run dotenv test fuzz install messages lock lint format migrate seed bench clean

# Every dependency comes from the hashed lock (pip refuses anything unpinned, unhashed or altered),
# then the project itself without dependencies (pip allows no editable install under
# --require-hashes; the code runs from this folder). `make lock` refreshes the locks.
$(VENV)/.installed: pyproject.toml requirements/dev-lock.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev-lock.txt
	$(PY) -m pip install --quiet --no-deps .
	touch $@

# The translations (issue 14): locale/<language>/LC_MESSAGES/*.po are kept in git, the compiled
# .mo files are not; install compiles whichever .po is newer than its .mo (GNU gettext's msgfmt,
# Debian's gettext package). `make messages` re-extracts every string (translations are kept).
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))
locale/%.mo: locale/%.po
	msgfmt --check-format -o $@ $<

install: $(VENV)/.installed $(MO_FILES)

MESSAGES_IGNORE := --ignore=.venv --ignore=tests --ignore=bench --ignore=build --ignore=staticfiles \
	--ignore=static/vendor
messages: install
	$(PY) manage.py makemessages --all --no-obsolete --add-location=file $(MESSAGES_IGNORE)
	$(PY) manage.py makemessages --all --no-obsolete --add-location=file -d djangojs $(MESSAGES_IGNORE)

$(RUN_DIR)/dev_secret_key:
	mkdir -p $(RUN_DIR)
	$(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

# The development settings `make run` uses, for the README's `python manage.py <command>` too
# (settings.py reads it; the environment wins over it; tests and CI ignore it). Rewritten by
# every `make run`, so it follows PORT. Git- and docker-ignored: it is never a production file.
DOTENV := $(or $(HELPDESK_DOTENV),.env)
SITE_URL ?= http://127.0.0.1:$(PORT)
dotenv: $(RUN_DIR)/dev_secret_key
	@printf '%s\n' "# Written by make run: development only (DEBUG on). Not for production." \
		"DEBUG=1" "SECRET_KEY=$$(cat $(RUN_DIR)/dev_secret_key)" "SITE_URL=$(SITE_URL)" \
		"HELPDESK_RUN_DIR=$(RUN_DIR)" > $(DOTENV)
	@echo "wrote $(DOTENV) (DEBUG=1, SECRET_KEY, SITE_URL=$(SITE_URL))"

# Development: SQLite, the filesystem Celery broker and the in-memory channel layer unless
# DATABASE_URL / REDIS_URL say otherwise. One foreground command; Ctrl-C stops every process.
run: install dotenv
	mkdir -p $(RUN_DIR)/celery/queue $(RUN_DIR)/celery/processed
	DEBUG=1 SECRET_KEY=$$(cat $(RUN_DIR)/dev_secret_key) $(PY) manage.py migrate --noinput
	DEBUG=1 SECRET_KEY=$$(cat $(RUN_DIR)/dev_secret_key) $(PY) manage.py seed_demo
	@echo ""
	@echo "  Help desk: $(SITE_URL)/    platform admin: $(SITE_URL)/admin/"
	@echo "  Logins (password helpdesk-demo): admin@acme.example, agent@acme.example,"
	@echo "  tier2@acme.example, tier3@acme.example, customer@acme.example, premium@acme.example,"
	@echo "  admin@globex.example, agent@globex.example, tier2@globex.example,"
	@echo "  customer@globex.example, root@platform.example; and {admin,agent,tier2,customer,premium}"
	@echo "  @<preset>.example for the five support-policy preset tenants (README: Demo logins)"
	@echo ""
	DEBUG=1 SECRET_KEY=$$(cat $(RUN_DIR)/dev_secret_key) SITE_URL=$(SITE_URL) PORT=$(PORT) \
		exec $(VENV)/bin/honcho -f Procfile.dev start

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# schemathesis over every API operation as a customer, an agent and an admin (tests/hardening).
# CI runs it with few examples per operation, derandomized; this runs many, with a new seed.
FUZZ_EXAMPLES ?= 200
FUZZ_RANDOM ?= 1
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_RANDOM=$(FUZZ_RANDOM) \
		$(PY) -m pytest tests/hardening/test_fuzz_api.py -m fuzz $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/helpdesk_bench*).
# The chat bench also needs REDIS_URL (a database number of its own: it uses N..N+2).
bench: install
	$(PY) bench/sla.py
	$(PY) bench/tickets.py
	$(PY) bench/live.py
	$(PY) bench/redaction.py
	@if [ -n "$$REDIS_URL" ]; then $(PY) bench/chat.py; \
	else echo "bench/chat.py skipped: it needs REDIS_URL (redis://host:6379/N)"; fi

# The hashed locks: requirements/dev-lock.txt (everything, for make install and CI) and
# requirements/lock.txt (the runtime part, for the Docker image), from pyproject.toml. Existing pins
# are kept; LOCK_ARGS=--upgrade moves everything, LOCK_ARGS="--upgrade-package Django" one package.
UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" --quiet
lock: install
	$(UV_COMPILE) --extra dev -o requirements/dev-lock.txt $(LOCK_ARGS)
	$(UV_COMPILE) -c requirements/dev-lock.txt -o requirements/lock.txt

clean:
	rm -rf $(RUN_DIR) db.sqlite3 db.sqlite3-wal db.sqlite3-shm $(DOTENV)
