#!/usr/bin/env bash
# A three-node MariaDB Galera cluster on loopback, for the Galera tests (migrate-core/tests/galera.rs).
#
#   scripts/galera.sh start    start the nodes that are not running (bootstrapping the cluster
#                              when none is), then wait until the cluster has 3 members
#   scripts/galera.sh stop     shut the nodes down cleanly, the bootstrap node last
#   scripts/galera.sh status   one line per node: running or not, cluster size, state
#   scripts/galera.sh destroy  stop, then remove every data folder
#
# Nodes n1, n2, n3 listen on 127.0.0.1:4306, 4307, 4308 (root, no password, database `test`),
# talk to each other on the group ports 4567, 4577, 4587 (IST on the port above each, rsync
# state transfers on 4444, 4454, 4464), and keep their configuration, data, socket and log
# under $MIGRATE_GALERA_DIR (default /var/tmp/migrate-galera/n1 …). They run as user `mysql`,
# apart from the normal server on 3306, which is left alone. Safe to run again: a node that
# answers is left alone. Needs root (to start mariadbd as `mysql`), mariadb-server (which
# brings galera-4) and rsync; installs them with apt-get when missing.
set -euo pipefail

base=${MIGRATE_GALERA_DIR:-/var/tmp/migrate-galera}
nodes=(1 2 3)
provider=/usr/lib/galera/libgalera_smm.so
cluster_address=gcomm://127.0.0.1:4567,127.0.0.1:4577,127.0.0.1:4587

log() { printf 'galera: %s\n' "$*" >&2; }

port() { echo $((4305 + $1)); }
group_port() { echo $((4557 + 10 * $1)); }
dir() { echo "$base/n$1"; }
sock() { echo "$(dir "$1")/mysqld.sock"; }

# A client on node $1 over its socket (root, authenticated by the socket while bootstrapping).
client() { local n=$1; shift; mariadb --no-defaults -uroot -S "$(sock "$n")" "$@"; }
# A client over TCP, as the tests connect.
tcp() { local n=$1; shift; mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$(port "$n")" -uroot "$@"; }

answers() { tcp "$1" -e "SELECT 1" >/dev/null 2>&1 || client "$1" -e "SELECT 1" >/dev/null 2>&1; }
pid_of() { cat "$(dir "$1")/mysqld.pid" 2>/dev/null || true; }
running() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
status_var() { tcp "$1" -N -e "SHOW STATUS LIKE '$2'" 2>/dev/null | cut -f2; }

install_packages() {
    if [ ! -e "$provider" ] || ! command -v mariadbd >/dev/null || ! command -v rsync >/dev/null; then
        log "installing mariadb-server, galera-4 and rsync"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq mariadb-server mariadb-client galera-4 rsync >/dev/null
    fi
}

write_config() { # node
    local n=$1 d gp
    d=$(dir "$n")
    gp=$(group_port "$n")
    cat >"$d/my.cnf" <<EOF
[mysqld]
user=mysql
datadir=$d/data
socket=$(sock "$n")
pid-file=$d/mysqld.pid
log-error=$d/error.log
port=$(port "$n")
bind-address=127.0.0.1
skip-name-resolve
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
innodb_buffer_pool_size=64M
innodb_log_file_size=32M
innodb_flush_log_at_trx_commit=2
max_connections=300
wsrep_on=ON
wsrep_provider=$provider
wsrep_cluster_name=migrate-galera
wsrep_cluster_address=$cluster_address
wsrep_node_name=n$n
wsrep_node_address=127.0.0.1:$gp
wsrep_provider_options="base_port=$gp;ist.recv_addr=127.0.0.1:$((gp + 1));gcache.size=64M"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:$((4434 + 10 * n))
EOF
}

prepare() { # node: folder, configuration and (node 1 only) a fresh data directory
    local n=$1 d
    d=$(dir "$n")
    mkdir -p "$d/data"
    write_config "$n"
    chown -R mysql:mysql "$d"
    chmod 755 "$base"
    if [ "$n" = 1 ] && [ ! -d "$d/data/mysql" ]; then
        log "n1: initialising $d/data"
        mariadb-install-db --defaults-file="$d/my.cnf" --auth-root-authentication-method=socket \
            --skip-test-db >"$d/install.log" 2>&1 || { cat "$d/install.log" >&2; return 1; }
    fi
}

launch() { # node [extra mariadbd options]
    local n=$1; shift
    log "n$n: starting on 127.0.0.1:$(port "$n") $*"
    rm -f "$(dir "$n")/mysqld.pid"
    setsid mariadbd --defaults-file="$(dir "$n")/my.cnf" "$@" </dev/null >/dev/null 2>&1 &
}

wait_until() { # seconds, description, command...
    local seconds=$1 what=$2; shift 2
    for _ in $(seq 1 "$((seconds * 2))"); do
        if "$@"; then return 0; fi
        sleep 0.5
    done
    log "timed out after $seconds s waiting for $what"
    return 1
}

node_synced() { [ "$(status_var "$1" wsrep_local_state_comment)" = Synced ]; }
cluster_of_three() { [ "$(status_var 1 wsrep_cluster_size)" = 3 ] && node_synced 1 && node_synced 2 && node_synced 3; }

# Root over TCP from 127.0.0.1 with no password, and database `test`; DCL and DDL replicate.
grant_root() {
    client 1 -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
        GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
        CREATE DATABASE IF NOT EXISTS test;"
}

start() {
    [ "$(id -u)" = 0 ] || { log "run as root (the nodes are started as user mysql)"; exit 1; }
    install_packages
    mkdir -p "$base"
    for n in "${nodes[@]}"; do prepare "$n"; done
    local any=0
    for n in "${nodes[@]}"; do if answers "$n"; then any=1; fi; done
    if [ "$any" = 0 ]; then
        # No member is running: n1 starts a new cluster. A clean stop shuts it down last, so
        # it has the newest state; the others catch up from it (IST, or a full rsync copy).
        sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$(dir 1)/data/grastate.dat" 2>/dev/null || true
        launch 1 --wsrep-new-cluster
        wait_until 60 "n1 to bootstrap" answers 1
        wait_until 60 "n1 to be synced" node_synced_socket 1
        grant_root
    fi
    for n in "${nodes[@]}"; do
        if ! answers "$n" && ! running "$n"; then launch "$n"; fi
        # One joiner at a time: each takes its state transfer from a synced member.
        wait_until 120 "n$n to join" answers "$n"
        wait_until 120 "n$n to be synced" node_synced "$n"
    done
    wait_until 60 "a cluster of 3" cluster_of_three
    log "cluster is up: $(status_line 1)"
}

node_synced_socket() { [ "$(client "$1" -N -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f2)" = Synced ]; }

stop_node() {
    local n=$1 pid
    pid=$(pid_of "$n")
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then return 0; fi
    log "n$n: stopping (pid $pid)"
    client "$n" -e "SHUTDOWN" >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    if ! wait_until 60 "n$n to stop" bash -c "! kill -0 $pid 2>/dev/null"; then
        log "n$n: killing pid $pid"
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

stop() {
    # The bootstrap node last, so that it holds the newest state for the next `start`.
    for n in 3 2 1; do stop_node "$n"; done
    log "stopped"
}

status_line() {
    local n=$1
    if answers "$n"; then
        printf 'n%s 127.0.0.1:%s up, cluster size %s, %s\n' "$n" "$(port "$n")" \
            "$(status_var "$n" wsrep_cluster_size)" "$(status_var "$n" wsrep_local_state_comment)"
    else
        printf 'n%s 127.0.0.1:%s down\n' "$n" "$(port "$n")"
    fi
}

status() {
    local up=0
    for n in "${nodes[@]}"; do
        status_line "$n"
        if answers "$n"; then up=$((up + 1)); fi
    done
    [ "$up" = 3 ]
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
destroy) stop; log "removing $base"; rm -rf "$base" ;;
*) echo "usage: $0 start|stop|status|destroy" >&2; exit 2 ;;
esac
