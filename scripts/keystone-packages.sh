#!/usr/bin/env bash
# Installs Debian's Keystone (and uWSGI to serve it) for the keystone identity tests, without
# starting or configuring anything: the tests run a private Keystone of their own (test/helpers/keystone.ts).
# Quick no-op when the packages are already installed.
set -euo pipefail
packages=(keystone uwsgi-core uwsgi-plugin-python3 sqlite3)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
# postinst must not create a database, an admin project or an endpoint, nor start a service.
$sudo debconf-set-selections <<'SELECTIONS'
keystone keystone/configure_db boolean false
keystone keystone/create-admin-tenant boolean false
keystone keystone/register-endpoint boolean false
keystone dbconfig-common/dbconfig-install boolean false
SELECTIONS
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\n# Installed by octavia-ts scripts/keystone-packages.sh: packages start no service.\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod 755 /usr/sbin/policy-rc.d
fi
"$(dirname "$0")/system-packages.sh" "${missing[@]}"
