#!/usr/bin/env bash
# README command 2: install what the tests need, then run type check, lint and the whole suite.
# Tests talk to real MariaDB, PostgreSQL and RabbitMQ on 127.0.0.1 and run real haproxy; each
# service is installed and started here when it is missing, and a test fails (never skips) when
# one is still unreachable.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/test-services.sh
npx tsc --noEmit
npx eslint --max-warnings 0 .
# The real-client tests wait on the client's --wait polling (3 s a round): they start first, so
# the rest of the suite runs beside them instead of after them.
mapfile -t files < <(find test -name '*.test.ts' | sort | awk '/openstack-client/ { print; next } { rest[n++] = $0 } END { for (i = 0; i < n; i++) print rest[i] }')
# Budget: the whole suite must finish well inside 15 minutes on 2 cores.
exec timeout --signal=TERM 840 node --import tsx --test --test-concurrency=3 --test-timeout=300000 "${files[@]}"
