#!/usr/bin/env bash
# kcat that can log in to the local Kafka 4 broker with SASL/SCRAM.
#
#   deploy/local/kcat.sh -F .local/kafka-9092/credentials/agency-pkh.properties -C -t referrals.PKH
#
# Kafka 4 checks the SCRAM nonce as RFC 5802 says; librdkafka before 2.6.1 sends it twice and is
# refused with "invalid credentials" (confluentinc/librdkafka#4895, edenhill/kcat#462). Debian 12's
# kcat links librdkafka 2.0.2: this runs it with the newer librdkafka that the workspace's
# confluent-kafka wheel carries. A kcat whose librdkafka is new enough runs as it is.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

command -v kcat >/dev/null || { echo "kcat.sh: kcat not found (run deploy/local/install-system.sh)" >&2; exit 1; }
version="$(kcat -V 2>/dev/null | sed -n 's/.*librdkafka \([0-9][0-9.]*\).*/\1/p' | head -n1)"
if [[ -n "$version" && "$(printf '%s\n2.6.1\n' "$version" | sort -V | head -n1)" == 2.6.1 ]]; then
  exec kcat "$@"
fi
venv="${UV_PROJECT_ENVIRONMENT:-$repo/.venv}"
lib="$(ls "$venv"/lib/python3*/site-packages/confluent_kafka.libs/librdkafka-*.so.1 2>/dev/null | head -n1)"
[[ -n "$lib" ]] || { echo "kcat.sh: kcat's librdkafka $version cannot SCRAM with Kafka 4, and no newer one in $venv (run deploy/local/install-python.sh)" >&2; exit 1; }
# The wheel's library under the name kcat asks for, in a directory of its own.
dir="${XDG_CACHE_HOME:-$HOME/.cache}/rujukan/kcat-librdkafka"
mkdir -p "$dir"
ln -sfn "$lib" "$dir/librdkafka.so.1"
LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec kcat "$@"
