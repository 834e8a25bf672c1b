# The Register Jobcoach recertification platform. `make dev` runs it, `make test` tests it.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := libs/recert_common $(wildcard services/*) $(wildcard gateway)
PYPROJECTS := $(wildcard libs/recert_common/pyproject.toml services/*/pyproject.toml gateway/pyproject.toml)
PYTEST_ARGS ?=

.PHONY: install test unit integration lint dev demo bench bench-bus bench-upload bench-gateway bench-dataset \
	bench-story bench-portal bench-load screenshots infra clean web web-typecheck bench-reading backup soak

install: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt $(PYPROJECTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet -r requirements-dev.txt $(foreach p,$(PACKAGES),-e $(p))
	touch $@

infra:
	bash scripts/ensure-infra.sh

# The portal (web/): npm ci when package-lock.json is newer than node_modules, then a build into web/dist
# (which the gateway serves at /) when a source changed since the last one, and the first screen's size
# checked against its budget (200 KB of compressed JavaScript and CSS).
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts \
	web/tsconfig.json web/package.json $(wildcard web/scripts/*)
web: web/dist/index.html

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build && npm run --silent size

# The API types generated from the merged OpenAPI document (built offline from the services' code), then
# tsc: an API change that breaks the portal fails here.
web-typecheck: install web/node_modules/.package-lock.json
	cd web && npm run typecheck

# Three pytest workers, each test file on one of them (its module-scoped system of services stays whole). On
# two cores, two workers left the CPU idle half the time (the tests wait on processes, the broker and the
# browser); a third one brought a run from 9:40 to 8:00 with the CPU at 70 %. PYTEST_WORKERS=0 runs it in one
# process.
PYTEST_WORKERS ?= 3
XDIST = $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder)

test: install infra web web-typecheck
	$(BIN)/pytest $(XDIST) $(PYTEST_ARGS)

unit: install
	$(BIN)/pytest libs/recert_common/tests $(wildcard services/*/tests) $(wildcard gateway/tests) $(PYTEST_ARGS)

integration: install infra web
	$(BIN)/pytest $(XDIST) tests/integration $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

dev: install infra web
	$(BIN)/python scripts/dev.py

bench-bus: install infra
	$(BIN)/python bench/bench_bus.py --events 16000 --out bench-results/bus.json

bench-upload: install infra
	$(BIN)/python bench/bench_upload.py --mb 15 --out bench-results/upload.json

bench-gateway: install infra
	$(BIN)/python bench/bench_gateway.py --out bench-results/gateway.json

bench-dataset: install infra
	$(BIN)/python bench/bench_dataset.py --out bench-results/dataset.json

bench-story: install infra
	$(BIN)/python bench/bench_story.py --out bench-results/story.json

# A PNG of each main screen of the portal in docs/screenshots (the README shows them).
screenshots: install infra web
	$(BIN)/python scripts/screenshots.py --out docs/screenshots

bench-portal: install infra web
	$(BIN)/python bench/bench_portal.py --out bench-results/portal.json

# Evidence read for the jobcoach (issue 14, ADR 0027): accuracy per field and time per document on the
# generated corpus.
bench-reading: install infra
	$(BIN)/python bench/bench_reading.py --out bench-results/reading.json

# The load test (issue 16): LOAD_USERS portal users of every role through the gateway for LOAD_SECONDS, as
# locust runs them (bench/load_users.py); then the same with LOAD_VARIANT's web processes restarted
# (NAME:WORKERSxTHREADS; empty: no second run). Per operation p50/p99 and errors, CPU of each process.
LOAD_USERS ?= 200
LOAD_SECONDS ?= 120
LOAD_VARIANT ?= gateway:2x8
bench-load: install infra
	LOAD_USERS=$(LOAD_USERS) LOAD_SECONDS=$(LOAD_SECONDS) LOAD_VARIANT=$(LOAD_VARIANT) \
		$(BIN)/python bench/bench_load.py --out bench-results/load.json

# Every benchmark, then their goals in one table (bench/goals.py; bench-results/goals.json).
bench: bench-bus bench-upload bench-gateway bench-story bench-dataset bench-portal bench-reading bench-load
	$(BIN)/python bench/goals.py

# A backup of the running `make dev` system into .dev/backups/<time> (docs/operations.md "Backups").
backup: install
	$(BIN)/python scripts/dev.py backup backup .dev/backups/$$(date +%Y%m%d-%H%M%S)

# The soak under faults (issue 15, tests/integration/soak.py): jobcoaches walking the whole story for
# SOAK_MINUTES while processes are killed, the broker cut, PostgreSQL restarted and the mail server refusing;
# then the invariants. The counts go to bench-results/soak.json. `make test` runs 90 seconds of it.
SOAK_MINUTES ?= 10
SOAK_COACHES ?= 8
soak: install infra
	RECERT_SOAK_SECONDS=$$(( $(SOAK_MINUTES) * 60 )) RECERT_SOAK_COACHES=$(SOAK_COACHES) \
		RECERT_SOAK_REPORT=bench-results/soak.json $(BIN)/pytest -s tests/integration/test_soak.py $(PYTEST_ARGS)

demo: install
	$(BIN)/python scripts/demo.py

clean:
	rm -rf $(VENV) bench-results .dev web/node_modules web/dist web/openapi web/src/api/schema.d.ts
