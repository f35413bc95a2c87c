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

# TLS on PostgreSQL: a test certificate authority (ca.crt, which the TLS tests trust through
# `sslrootcert`, migrate-core/tests/tls.rs) signs the server's certificate for 127.0.0.1 and
# localhost. Made once; kept across runs.
tls_dir=/var/lib/postgresql/migrate-tls
if [ ! -s "$tls_dir/ca.crt" ] || [ ! -s "$tls_dir/server.crt" ]; then
    log "making a test certificate authority and a server certificate in $tls_dir"
    rm -rf "$tls_dir" && mkdir -p "$tls_dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=migrate test CA" \
        -keyout "$tls_dir/ca.key" -out "$tls_dir/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$tls_dir/server.key" -out "$tls_dir/server.csr" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$tls_dir/server.ext"
    openssl x509 -req -in "$tls_dir/server.csr" -CA "$tls_dir/ca.crt" -CAkey "$tls_dir/ca.key" \
        -CAcreateserial -days 3650 -extfile "$tls_dir/server.ext" -out "$tls_dir/server.crt" 2>/dev/null
    chown -R postgres:postgres "$tls_dir"
    chmod 600 "$tls_dir/server.key" "$tls_dir/ca.key"
    chmod 644 "$tls_dir/server.crt" "$tls_dir/ca.crt"
    # A new certificate under the same file names: make the server read it again.
    psql -q -h 127.0.0.1 -U postgres -c "SELECT pg_reload_conf()" >/dev/null
fi
if [ "$(psql -h 127.0.0.1 -U postgres -tAc 'SHOW ssl_cert_file')" != "$tls_dir/server.crt" ]; then
    log "turning on TLS in PostgreSQL with that certificate"
    psql -q -h 127.0.0.1 -U postgres \
        -c "ALTER SYSTEM SET ssl_cert_file = '$tls_dir/server.crt'" \
        -c "ALTER SYSTEM SET ssl_key_file = '$tls_dir/server.key'" \
        -c "ALTER SYSTEM SET ssl = on" \
        -c "SELECT pg_reload_conf()" >/dev/null
    sleep 1
fi
log "MariaDB and PostgreSQL are ready"
