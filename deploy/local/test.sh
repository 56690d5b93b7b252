#!/usr/bin/env bash
# make test: install what is needed, start Kafka and PostgreSQL on test ports (own state dir),
# run every test against them, stop them again. Kafka runs as `make up`'s does, with SASL/SCRAM
# and ACLs (KAFKA_AUTH=scram); the suite's clients are its admin super user (the fixtures make
# topics and groups of every name), and the services it starts inherit that; what each
# service's and agency's own principal may do is tested in libs/cli/tests/test_kafka_access.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export RUJUKAN_STATE_DIR="${RUJUKAN_STATE_DIR:-$(cd "$here/../.." && pwd)/.local/test}"
export KAFKA_PORT="${RUJUKAN_TEST_KAFKA_PORT:-19092}"
export KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + 1))
export PG_PORT="${RUJUKAN_TEST_PG_PORT:-15439}"
export KAFKA_AUTH=scram
source "$here/env.sh"
cd "$REPO_ROOT"

bash "$here/install-system.sh"
bash "$here/install-python.sh"
bash tools/asyncapi/install.sh  # Node: the AsyncAPI parser and the schema compatibility check
bash tools/axe/install.sh  # Node: axe-core, which the workbench's browser tests inject
uv run ruff check --quiet .
uv run ruff format --check --quiet .
uv run mypy --no-error-summary libs/*/src contracts/src services/*/src
(cd bench && uv run mypy --no-error-summary ./*.py)  # the benchmarks import each other by name
cleanup() {
  bash "$here/kafka.sh" stop || true
  bash "$here/postgres.sh" stop || true
}
trap cleanup EXIT
cleanup  # a clean broker and database every run: no state leaks between runs
# These servers are this script's: a bare pytest run that started earlier ones (under other
# pids) must not take them for its own (rujukan_platform.testing)
rm -f "$RUJUKAN_STATE_DIR/started-by-tests"
rm -rf "$RUJUKAN_STATE_DIR/kafka-$KAFKA_PORT" "$RUJUKAN_STATE_DIR/postgres-$PG_PORT"
bash "$here/postgres.sh" start
bash "$here/kafka.sh" start
set -a   # RUJUKAN_KAFKA_SECURITY_PROTOCOL, _SASL_MECHANISM, _SASL_USERNAME, _SASL_PASSWORD
source <(bash "$here/kafka.sh" env)
set +a

export RUJUKAN_TEST_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
export RUJUKAN_TEST_PG_URL="postgresql+asyncpg://rujukan:rujukan@127.0.0.1:$PG_PORT"
uv run python -m rujukan_contracts.generate --check
uv run pytest -n 2 --dist loadgroup "$@"
