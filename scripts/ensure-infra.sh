#!/usr/bin/env bash
# Make sure PostgreSQL (127.0.0.1:5432), RabbitMQ (127.0.0.1:5672) and Redis (127.0.0.1:6379, the gateway's
# shared rate-limit counters) answer: start them where they are
# installed but stopped, install them from Debian's packages where they are missing and we are root, and
# otherwise say clearly what to do.
set -euo pipefail

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() {
  local port=$1 name=$2
  for _ in $(seq 1 60); do answers "$port" && return 0; sleep 1; done
  echo "ensure-infra: $name does not answer on 127.0.0.1:$port after 60 s" >&2
  return 1
}

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "ensure-infra: installing $* from Debian's packages"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
  else
    echo "ensure-infra: $* is not installed; install it (apt-get install $*) or point RECERT_TEST_* at a server" >&2
    exit 1
  fi
}

if ! answers 5432; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "ensure-infra: starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for_port 5432 PostgreSQL
fi
# The backup (python -m recert_common.backup, ADR 0034) runs pg_dump and pg_restore; the server's package
# brings them, a machine whose PostgreSQL runs elsewhere needs the client package.
command -v pg_dump >/dev/null && command -v pg_restore >/dev/null || apt_install postgresql-client
# Trust authentication on loopback is what the default URLs expect (user postgres, no password).
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
  echo "ensure-infra: PostgreSQL answers but 'psql -h 127.0.0.1 -U postgres' fails; set RECERT_POSTGRES_URL" >&2
else
  # Two test workers each run a whole system (six services with their pools: about 35 connections at the
  # peak) beside the services' own test databases; PostgreSQL's default of 100 leaves no room for anything
  # else on the machine. Raised once (it needs a restart), on a cluster this machine runs.
  connections=$(psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'SHOW max_connections')
  if [ "$connections" -lt 300 ] && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "ensure-infra: raising PostgreSQL's max_connections from $connections to 300 (restart)"
    psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'ALTER SYSTEM SET max_connections = 300' >/dev/null
    pg_ctlcluster --skip-systemctl-redirect "$version" main restart
    wait_for_port 5432 PostgreSQL
  fi
fi

if ! answers 5672; then
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  echo "ensure-infra: starting RabbitMQ"
  rabbitmq-server -detached || true
  wait_for_port 5672 RabbitMQ
fi
# The management API (port 15672): `make dev` and the tests create the broker's vhost, users and permissions
# through it (python -m recert_common.bus provision).
if ! answers 15672; then
  if command -v rabbitmq-plugins >/dev/null; then
    echo "ensure-infra: enabling RabbitMQ's management plugin"
    rabbitmq-plugins enable rabbitmq_management >/dev/null
    wait_for_port 15672 "RabbitMQ management"
  else
    echo "ensure-infra: RabbitMQ's management API does not answer on 127.0.0.1:15672; enable the" \
         "rabbitmq_management plugin, or set RECERT_BROKER_ADMIN_URL" >&2
  fi
fi

if ! answers 6379; then
  command -v redis-server >/dev/null || apt_install redis-server
  echo "ensure-infra: starting Redis"
  # Counters only: nothing to keep across restarts, so no snapshots and no append-only file.
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no || true
  wait_for_port 6379 Redis
fi
# The portal's browser tests (tests/integration/test_portal.py) drive Debian's Chromium through Playwright
# (executable_path=/usr/bin/chromium): no browser download.
if ! command -v chromium >/dev/null; then
  apt_install chromium
fi
# Evidence read for the jobcoach (issue 14, ADR 0027): pe-registry's worker runs Tesseract with its Dutch,
# English and orientation data; the reading corpus of the tests draws its certificates in DejaVu.
if ! command -v tesseract >/dev/null || [ ! -e /usr/share/tesseract-ocr/5/tessdata/nld.traineddata ] \
    || [ ! -e /usr/share/tesseract-ocr/5/tessdata/eng.traineddata ] \
    || [ ! -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  apt_install tesseract-ocr tesseract-ocr-nld tesseract-ocr-eng fonts-dejavu-core
fi
# The operators' monitoring and deployment files are checked by real tools (issue 15, ADR 0035): promtool
# (Debian's prometheus package; its service is not started) checks and unit-tests deploy/prometheus, and
# Debian's docker-compose reads the compose files (`docker-compose config` needs no Docker engine).
# Where they cannot be installed (not root), their tests skip and say why: nothing else needs them.
if ! command -v promtool >/dev/null || ! command -v docker-compose >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt_install --no-install-recommends prometheus docker-compose
  else
    echo "ensure-infra: promtool or docker-compose is missing (apt-get install --no-install-recommends" \
         "prometheus docker-compose); the tests of deploy/prometheus and of the compose files will skip" >&2
  fi
fi
echo "ensure-infra: PostgreSQL, RabbitMQ (with its management API) and Redis answer; Chromium is installed"
