#!/usr/bin/env bash
# Make sure the local services the tests use are up: PostgreSQL (127.0.0.1:5432),
# Redis (127.0.0.1:6379) and NATS with JetStream (127.0.0.1:4222).
# Each one that does not answer is started, then waited for (up to ~30 s).
#
#   bash scripts/services.sh                 all three
#   bash scripts/services.sh redis nats      only these (postgres | redis | nats)
#
# Exits non-zero, naming the service, if one cannot be brought up.
# shellcheck disable=SC2329  # the *_up / *_start functions are called as "${name}_up"
set -euo pipefail

WAIT_SECONDS=${HPI_SERVICES_WAIT:-30}

say() { printf '==> %s\n' "$*"; }

# ---- checks: true when the service answers

postgres_up() { pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1; }
redis_up() { [ "$(timeout 3 redis-cli -h 127.0.0.1 ping 2>/dev/null)" = "PONG" ]; }
nats_up() { timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/4222' >/dev/null 2>&1; }

# ---- starts: the commands this machine's services are started with

postgres_start() {
    # shellcheck disable=SC2046  # one word per installed major version
    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
}
redis_start() {
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
}
nats_start() {
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
        -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
}

ensure() {
    local name=$1 i
    if "${name}_up"; then
        say "$name: up"
        return 0
    fi
    say "$name: down, starting it"
    "${name}_start" || echo "services.sh: starting $name exited with $?" >&2
    for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
        if "${name}_up"; then
            say "$name: up (after $((i / 2)) s)"
            return 0
        fi
        sleep 0.5
    done
    echo "services.sh: error: $name did not come up within ${WAIT_SECONDS} s" >&2
    return 1
}

services=("$@")
[ ${#services[@]} -gt 0 ] || services=(postgres redis nats)

failed=0
for s in "${services[@]}"; do
    case $s in
        postgres | redis | nats) ensure "$s" || failed=1 ;;
        *) echo "services.sh: unknown service: $s (postgres | redis | nats)" >&2; exit 2 ;;
    esac
done
exit $failed
