#!/usr/bin/env bash
# Makes sure the servers the tests use answer on loopback: MariaDB :3306, PostgreSQL :5432,
# RabbitMQ :5672. A missing one is installed from Debian's packages and started.
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
up() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
wait_for() {
  for _ in $(seq 60); do up "$1" && return 0; sleep 1; done
  echo "$2 did not come up on 127.0.0.1:$1" >&2
  return 1
}
if ! up 3306; then
  "$(dirname "$0")/system-packages.sh" mariadb-server
  $sudo start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_for 3306 MariaDB
fi
if ! up 5432; then
  "$(dirname "$0")/system-packages.sh" postgresql
  $sudo pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  wait_for 5432 PostgreSQL
fi
if ! up 5672; then
  "$(dirname "$0")/system-packages.sh" rabbitmq-server
  $sudo rabbitmq-server -detached
  wait_for 5672 RabbitMQ
fi
