# riir-airflow developer commands. README.md names two of them: `make demo` and `make test`.
# Everything installs itself into .venv; nothing needs to be installed by hand first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.deps-installed

.PHONY: system-deps install build-dev providers lint test test-rust test-python bench demo compat clean

# System packages the tests need (chromium for browser tests, pgbouncer, dockerd for the container stages). Skipped when already there or not root.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "note: chromium not installed (browser tests need it)"; }
	@command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null) || echo "note: pgbouncer not installed (metastore tests need it)"; }
	@command -v dockerd >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null) || echo "note: dockerd not installed (container tests need it)"; }

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --group dev
	touch $(STAMP)

install: $(STAMP)

# Builds the Rust extension into python/riir_airflow/ and installs the package (editable) with its dependencies.
# Re-runs only when Rust sources or the package metadata change.
CORE_STAMP := $(VENV)/.core-built
RUST_SRC   := Cargo.toml pyproject.toml $(shell find rust -name '*.rs' -o -name Cargo.toml 2>/dev/null)

$(CORE_STAMP): $(STAMP) $(RUST_SRC)
	$(BIN)/maturin develop --release --extras standalone -q
	touch $(CORE_STAMP)

build-dev: $(CORE_STAMP)

# The provider matrix the tests check (tests/providers/matrix.py), installed with riir's own installer: each
# provider and its requirements, never apache-airflow itself. Re-runs when the list changes.
PROVIDERS_STAMP := $(VENV)/.providers-installed
PROVIDER_MATRIX = $(shell $(PYTHON) tests/providers/matrix.py)

$(PROVIDERS_STAMP): $(CORE_STAMP) tests/providers/matrix.py python/riir_airflow/cli/provider_install.py
	$(BIN)/riir-airflow providers install $(PROVIDER_MATRIX)
	touch $(PROVIDERS_STAMP)

providers: $(PROVIDERS_STAMP)

lint: build-dev
	$(BIN)/ruff check python tests benchmarks compat-tests
	$(BIN)/ruff format --check python tests benchmarks compat-tests
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m mypy.stubtest riir_airflow._core
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

test-rust:
	cargo test -p riir_core

# Three test processes on two cores (most tests wait on servers and subprocesses); a file's tests stay together.
test-python: build-dev providers
	$(BIN)/pytest -n 3 --dist loadfile

test: system-deps test-rust test-python

bench: build-dev
	$(BIN)/python benchmarks/run.py

compat: build-dev
	$(BIN)/python compat-tests/run.py

# The main job: an embedded PostgreSQL under .demo/airflow, one DAG app per file in examples/dags (plus the broker),
# a triggered run of example_etl, its result printed, everything stopped again.
demo: build-dev
	AIRFLOW_HOME=$(CURDIR)/.demo/airflow AIRFLOW__DATABASE__SQL_ALCHEMY_CONN= AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False \
	  RIIR_AIRFLOW_COMPAT=1 $(BIN)/riir-airflow standalone --dags examples/dags --demo

clean:
	rm -rf $(VENV) target python/riir_airflow/*.so
