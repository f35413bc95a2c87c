#!/usr/bin/env bash
# Makes sure MariaDB (127.0.0.1:3306, root, no password) and PostgreSQL (127.0.0.1:5432, user
# postgres, trust) are installed and running, as the development machines and CI expect.
# Safe to run again: a server that answers is left alone.
set -euo pipefail

log() { printf 'start-servers: %s\n' "$*" >&2; }

wait_for() { # name, command...
    local name=$1; shift
    for _ in $(seq 1 60); do
        if "$@" >/dev/null 2>&1; then log "$name is up"; return 0; fi
        sleep 1
    done
    log "$name did not come up within 60 s"; return 1
}

mariadb_up() { mysqladmin --protocol=tcp -h127.0.0.1 -P3306 -uroot ping >/dev/null 2>&1; }
postgres_up() { pg_isready -q -h 127.0.0.1 -p 5432 -U postgres; }

apt_install() {
    log "installing $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "$@" >/dev/null
}

if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
    apt_install mariadb-server mariadb-client
fi
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql postgresql-client
fi

if ! mariadb_up; then
    log "starting MariaDB"
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
    wait_for MariaDB mariadb_up
    # A freshly installed server authenticates root through the unix socket only.
    mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD(''); FLUSH PRIVILEGES;" 2>/dev/null || true
fi
mariadb --protocol=tcp -h127.0.0.1 -uroot -e "CREATE DATABASE IF NOT EXISTS test" >/dev/null

if ! postgres_up; then
    log "starting PostgreSQL"
    version=$(ls /etc/postgresql | sort -V | tail -n1)
    hba=/etc/postgresql/$version/main/pg_hba.conf
    if ! grep -qE '^host\s+all\s+all\s+127.0.0.1/32\s+trust' "$hba"; then
        # Trust on loopback, as the development machines are set up.
        sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$hba"
    fi
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_for PostgreSQL postgres_up
fi
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1" >/dev/null
log "MariaDB and PostgreSQL are ready"
