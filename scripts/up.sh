#!/usr/bin/env bash
# README command 1: install what the service needs, then run it all-in-one with the embedded
# defaults (SQLite under ./var, in-process queue, noauth, API on 127.0.0.1:9876).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec node bin/octavia.js up "$@"
