#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on loopback: start them, and install them from Debian
# packages when they are absent; install Debian's Chromium and ChromeDriver for the console's
# browser tests, and the mold linker. Idempotent: does nothing when all are there.
set -euo pipefail

log() { echo "services: $*" >&2; }

pg_ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_ready() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

apt_updated=0
install_pkgs() {
    if [ "$apt_updated" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_for() { # name, check function
    for _ in $(seq 1 60); do
        if "$2"; then return 0; fi
        sleep 0.5
    done
    log "$1 did not come up"
    return 1
}

# --- PostgreSQL -----------------------------------------------------------------------------
if ! pg_ready; then
    if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
        log "installing PostgreSQL"
        install_pkgs postgresql postgresql-client
    fi
    version="$(ls /etc/postgresql | sort -V | tail -n1)"
    log "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    wait_for PostgreSQL pg_ready
    # Trust local TCP connections for the postgres user, as on this project's machines.
    if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
        hba="/etc/postgresql/$version/main/pg_hba.conf"
        log "allowing trust auth on loopback in $hba"
        sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
        pg_ctlcluster --skip-systemctl-redirect "$version" main reload
    fi
fi

# --- Redis ----------------------------------------------------------------------------------
if ! redis_ready; then
    if ! command -v redis-server >/dev/null 2>&1; then
        log "installing Redis"
        install_pkgs redis-server
    fi
    log "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/pmsflow.log
    wait_for Redis redis_ready
fi

# --- Chromium (the console's browser tests) -------------------------------------------------
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
    log "installing Chromium and ChromeDriver"
    install_pkgs --no-install-recommends chromium chromium-driver
fi

# --- mold (the linker scripts/env.sh picks when present: faster test builds) -----------------
if ! command -v mold >/dev/null 2>&1; then
    log "installing mold"
    install_pkgs mold || log "mold could not be installed; the default linker is used"
fi

log "PostgreSQL, Redis and Chromium are ready"
