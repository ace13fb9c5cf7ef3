#!/usr/bin/env bash
# What the service needs on a Debian 12 machine with Node 20: the data plane (haproxy, keepalived,
# ping for PING health monitors), wrk for bench/dataplane,
# the openstack client used in the README's examples, Keystone for the identity tests (installed,
# never started), and the npm dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-packages.sh haproxy keepalived iputils-ping python3-openstackclient python3-octaviaclient wrk
scripts/keystone-packages.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
