#!/usr/bin/env bash
# Compares the runner's own cost at two commits, with the same settings:
#
#   bench/compare-runner.sh OLD NEW
#
# Both commits are checked out (`git worktree add --detach`) into a temporary folder, and the
# driver program bench/compare-runner/main.rs is built in release against each one's
# migrate-core (a package of its own, outside the workspace, locked by that commit's
# Cargo.lock). NEW's `migrate-bench write-tree` writes the generated history once; both
# drivers load that same folder at run time. One run builds the migrator, applies every
# version and reverts every version, with fingerprints off and after every version.
#
# Measured:
# - instructions (valgrind's callgrind, Ir) of the measured part on a SQLite file, split by
#   the crate of the function that ran them (migrate_core, sqlx, SQLite, the rest);
# - wall time in interleaved rounds (OLD, NEW, OLD, NEW, ...), each run on a fresh database:
#   the median of the rounds' NEW/OLD ratios, with their range, on SQLite, MariaDB and
#   PostgreSQL.
#
# Settings (environment): VERSIONS (200), SEED (1), ROUNDS (7), CALLGRIND_RUNS (2),
# BACKENDS (sqlite,mysql,postgres), MYSQL_URL, POSTGRES_URL (an admin database on each
# server; a fresh database is created next to it per run), CARGO_TARGET_DIR (where to build;
# default a folder in the temporary one), OUTPUT (a markdown file whose runner-change section
# is replaced, or inserted before the counts section), NOTE (a conclusion printed under the
# tables), KEEP=1 (keep the temporary folder, with the raw numbers in ir.txt and wall.txt and
# callgrind's files). It prints the section either way.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 OLD NEW" >&2
    exit 2
fi

VERSIONS=${VERSIONS:-200}
SEED=${SEED:-1}
ROUNDS=${ROUNDS:-7}
CALLGRIND_RUNS=${CALLGRIND_RUNS:-2}
BACKENDS=${BACKENDS:-sqlite,mysql,postgres}
MYSQL_URL=${MYSQL_URL:-mysql://root@127.0.0.1:3306/mysql}
POSTGRES_URL=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
FINGERPRINTS=(off every)

here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
old=$(git -C "$repo" rev-parse --short=7 "$1^{commit}")
new=$(git -C "$repo" rev-parse --short=7 "$2^{commit}")
work=$(mktemp -d "${TMPDIR:-/tmp}/compare-runner.XXXXXX")
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$work/target}

cleanup() {
    for side in old new; do
        if [[ -d $work/src-$side ]]; then
            git -C "$repo" worktree remove --force "$work/src-$side" || true
        fi
    done
    if [[ ${KEEP:-0} == 1 ]]; then
        echo "kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

log() { echo "== $*" >&2; }

# The sources, the history and the two drivers.
for side in old new; do
    rev=${!side}
    git -C "$repo" worktree add --quiet --detach "$work/src-$side" "$rev"
done
log "writing the history (N = $VERSIONS, seed $SEED) with $new's migrate-bench"
(cd "$work/src-new" && nice cargo run --quiet -p migrate-bench -- \
    write-tree --versions "$VERSIONS" --seed "$SEED" "$work/tree")

for side in old new; do
    log "building the driver against ${!side}'s migrate-core"
    driver=$work/driver-$side
    mkdir -p "$driver/src"
    cp "$here/compare-runner/main.rs" "$driver/src/main.rs"
    cp "$work/src-$side/Cargo.lock" "$driver/Cargo.lock"
    cat >"$driver/Cargo.toml" <<EOF
[package]
name = "compare-runner-driver"
version = "0.0.0"
edition = "2021"
publish = false

# A workspace of its own: not a member of the compared commit's workspace.
[workspace]

[dependencies]
migrate-core = { path = "$work/src-$side/migrate-core", features = ["sqlx-sqlite", "sqlx-mysql", "sqlx-postgres"] }
tokio = { version = "1", features = ["rt"] }

# Line tables only (the code is the same), so that callgrind can tell SQLite's functions.
[profile.release]
debug = "line-tables-only"
EOF
    (cd "$driver" && nice cargo build --release --quiet)
    cp "$CARGO_TARGET_DIR/release/compare-runner-driver" "$work/bin-$side"
done

mkdir -p "$work/db" "$work/callgrind"

# One run of `side` on `backend`; prints its nanoseconds.
run_once() {
    local side=$1 backend=$2 fp=$3 url
    case $backend in
        sqlite) url=$(mktemp -u "$work/db/run.XXXXXX.db") ;;
        mysql) url=$MYSQL_URL ;;
        postgres) url=$POSTGRES_URL ;;
    esac
    "$work/bin-$side" --backend "$backend" --tree "$work/tree/$backend" \
        --fingerprints "$fp" --url "$url" | awk '$1 == "ns" { print $2 }'
    rm -f "$url" "$url-journal" "$url-wal" "$url-shm" 2>/dev/null || true
}

# The median of the numbers on stdin.
median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Self instructions of one callgrind dump by the crate of the function that ran them:
# "total migrate_core sqlx sqlite rest". A function's crate is the first path segment of its
# name; SQLite's C functions are known by their file (sqlite3.c, from the line tables) or
# prefix. The line after `calls=` is the cost of a call (inclusive), not the caller's own.
by_crate() {
    awk '
        function kind(name, file) {
            sub(/^</, "", name)
            if (name ~ /^migrate_core::/) return "m"
            if (name ~ /^sqlx[a-z_]*::/) return "s"
            if (file ~ /sqlite3\.c$/ || (name !~ /::/ && name ~ /^sqlite3/)) return "q"
            return "r"
        }
        # "(id) name" defines a compressed name, "(id)" repeats it.
        function named(table, text,   id) {
            id = text; sub(/ .*/, "", id); sub(/^\([0-9]+\) ?/, "", text)
            if (text != "") table[id] = text
            return table[id]
        }
        /^fl=/ { file = named(files, substr($0, 4)); next }
        /^(fi|fe)=/ { named(files, substr($0, 4)); next }
        /^cf[il]=/ { named(files, substr($0, 5)); next }
        /^fn=/ { k = kind(named(fns, substr($0, 4)), file); next }
        /^cfn=/ { named(fns, substr($0, 5)); next }
        /^calls=/ { call = 1; next }
        /^[0-9+*-]/ { if (!call) self[k] += $2; call = 0; next }
        END {
            printf "%d %d %d %d %d\n", self["m"] + self["s"] + self["q"] + self["r"],
                self["m"], self["s"], self["q"], self["r"]
        }' "$1"
}

# Instructions: CALLGRIND_RUNS runs of each side and setting on SQLite.
declare -A ir
for fp in "${FINGERPRINTS[@]}"; do
    for side in old new; do
        for ((r = 1; r <= CALLGRIND_RUNS; r++)); do
            log "callgrind: $side, fingerprints $fp, run $r"
            out=$work/callgrind/$side-$fp-$r.out
            nice valgrind --tool=callgrind --callgrind-out-file="$out" \
                --zero-before=runner_cmp_start --dump-before=runner_cmp_end \
                "$work/bin-$side" --backend sqlite --tree "$work/tree/sqlite" \
                --fingerprints "$fp" --url "$work/db/callgrind-$side-$fp-$r.db" \
                >/dev/null 2>"$work/callgrind/$side-$fp-$r.log"
            ir[$side-$fp-$r]=$(by_crate "$out.1")
            echo "$side $fp $r ${ir[$side-$fp-$r]}" >>"$work/ir.txt"
        done
    done
done

# Wall time: a warm-up run of each side, then interleaved rounds.
declare -A ns skipped
IFS=, read -r -a backends <<<"$BACKENDS"
for backend in "${backends[@]}"; do
    for fp in "${FINGERPRINTS[@]}"; do
        if [[ -n ${skipped[$backend]:-} ]]; then continue; fi
        log "wall time: $backend, fingerprints $fp"
        if ! { run_once old "$backend" "$fp" && run_once new "$backend" "$fp"; } >/dev/null; then
            skipped[$backend]=1
            log "$backend: a run failed; not measured"
            continue
        fi
        for ((r = 1; r <= ROUNDS; r++)); do
            ns[$backend-$fp-old-$r]=$(run_once old "$backend" "$fp")
            ns[$backend-$fp-new-$r]=$(run_once new "$backend" "$fp")
            echo "$backend $fp $r ${ns[$backend-$fp-old-$r]} ${ns[$backend-$fp-new-$r]}" \
                >>"$work/wall.txt"
        done
    done
done

# The section.
# The version of `crate` that `side`'s Cargo.lock pins.
locked() {
    awk -v name="$2" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' \
        "$work/driver-$1/Cargo.lock"
}
label() { if [[ $1 == off ]]; then echo "\`Off\`"; else echo "\`EveryVersion\`"; fi; }
millions() { awk -v n="$1" 'BEGIN { printf "%.1f M", n / 1e6 }'; }
section() {
    local fp side r
    echo "<!-- runner-change:start -->"
    echo "## The runner before and after its restructure (issue 22)"
    echo
    echo "The main tables above cannot show whether the restructure of the runner changed its cost:"
    echo "the default setting changed since (one schema fingerprint per run). This compares the runner"
    echo "at \`$old\` (OLD) and \`$new\` (NEW) with the same settings: the same driver program"
    echo "(\`bench/compare-runner/main.rs\`) built in release against each commit's migrate-core (and"
    echo "the dependency versions its Cargo.lock pins: sqlx $(locked old sqlx) at OLD, $(locked new sqlx) at"
    echo "NEW; libsqlite3-sys $(locked old libsqlite3-sys) and $(locked new libsqlite3-sys)), by $(rustc --version | cut -d' ' -f1-2); the same"
    echo "generated history (N = $VERSIONS, seed $SEED), written once by NEW's \`migrate-bench"
    echo "write-tree\` and loaded at run time with \`migrate_core::source::load_dir\`. The measured part"
    echo "of a run builds the \`Migrator\`, applies all $VERSIONS versions and reverts all $VERSIONS;"
    echo "connecting, loading and creating the database are outside it. Fingerprints \`Off\` and"
    echo "\`EveryVersion\` (the same names in both commits)."
    echo
    echo "\`\`\`text"
    echo "ROUNDS=$ROUNDS CALLGRIND_RUNS=$CALLGRIND_RUNS BACKENDS=$BACKENDS bench/compare-runner.sh $old $new"
    echo "\`\`\`"
    echo
    echo "Instructions (Ir, $(valgrind --version) callgrind) of the measured part on a SQLite file,"
    echo "median of $CALLGRIND_RUNS runs each; the columns to the right split NEW/OLD by the crate of"
    echo "the function that ran them (inlined code counts where it was inlined):"
    echo
    echo "| fingerprints | OLD Ir | NEW Ir | NEW/OLD | run-to-run spread | migrate_core | sqlx | SQLite | the rest |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for fp in "${FINGERPRINTS[@]}"; do
        local -a o=(0 0 0 0 0) n=(0 0 0 0 0)
        local spread
        for i in 0 1 2 3 4; do
            o[i]=$(for ((r = 1; r <= CALLGRIND_RUNS; r++)); do
                read -r -a row <<<"${ir[old-$fp-$r]}"; echo "${row[i]}"; done | median)
            n[i]=$(for ((r = 1; r <= CALLGRIND_RUNS; r++)); do
                read -r -a row <<<"${ir[new-$fp-$r]}"; echo "${row[i]}"; done | median)
        done
        spread=$(for side in old new; do for ((r = 1; r <= CALLGRIND_RUNS; r++)); do
            read -r -a row <<<"${ir[$side-$fp-$r]}"; echo "$side ${row[0]}"; done; done |
            awk '{ if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2; if ($2 > hi[$1]) hi[$1] = $2 }
                END { w = 0; for (s in lo) { d = (hi[s] - lo[s]) / lo[s]; if (d > w) w = d }
                      printf "%.2f %%", 100 * w }')
        printf '| %s | %s | %s |' "$(label "$fp")" "$(millions "${o[0]}")" "$(millions "${n[0]}")"
        awk -v o="${o[0]}" -v n="${n[0]}" 'BEGIN { printf " %.3f |", n / o }'
        printf ' %s |' "$spread"
        for i in 1 2 3 4; do
            printf ' %s → %s |' "$(millions "${o[i]}")" "$(millions "${n[i]}")"
        done
        echo
    done
    echo
    echo "Wall time of the measured part, $ROUNDS interleaved rounds (OLD, NEW; a fresh database each"
    echo "run, after one warm-up run of each): the medians, the median of the rounds' NEW/OLD ratios"
    echo "with their range, and the ratio of the fastest runs. $(nproc) cores, shared with other work,"
    echo "and servers shared with it too; SQLite on a file in /tmp."
    echo
    echo "| backend | fingerprints | OLD | NEW | NEW/OLD (min–max) | fastest NEW / fastest OLD |"
    echo "|---|---|---:|---:|---:|---:|"
    for backend in "${backends[@]}"; do
        local name
        case $backend in
            sqlite) name=SQLite ;;
            mysql) name=MariaDB ;;
            postgres) name=PostgreSQL ;;
        esac
        if [[ -n ${skipped[$backend]:-} ]]; then
            echo "| $name | | not measured: a run failed | | | |"
            continue
        fi
        for fp in "${FINGERPRINTS[@]}"; do
            local mo mn ratios
            mo=$(for ((r = 1; r <= ROUNDS; r++)); do echo "${ns[$backend-$fp-old-$r]}"; done | median)
            mn=$(for ((r = 1; r <= ROUNDS; r++)); do echo "${ns[$backend-$fp-new-$r]}"; done | median)
            ratios=$(for ((r = 1; r <= ROUNDS; r++)); do
                awk -v o="${ns[$backend-$fp-old-$r]}" -v n="${ns[$backend-$fp-new-$r]}" \
                    'BEGIN { print n / o }'; done)
            printf '| %s | %s | %s | %s |' "$name" "$(label "$fp")" \
                "$(awk -v v="$mo" 'BEGIN { printf "%.0f ms", v / 1e6 }')" \
                "$(awk -v v="$mn" 'BEGIN { printf "%.0f ms", v / 1e6 }')"
            printf ' %s (%s–%s) |' "$(median <<<"$ratios" | awk '{ printf "%.2f", $1 }')" \
                "$(sort -g <<<"$ratios" | head -1 | awk '{ printf "%.2f", $1 }')" \
                "$(sort -g <<<"$ratios" | tail -1 | awk '{ printf "%.2f", $1 }')"
            # Other work on the machine or the server only adds time: the fastest runs show it least.
            for ((r = 1; r <= ROUNDS; r++)); do
                echo "${ns[$backend-$fp-old-$r]} ${ns[$backend-$fp-new-$r]}"
            done | awk 'NR == 1 || $1 < o { o = $1 } NR == 1 || $2 < n { n = $2 }
                END { printf " %.2f |\n", n / o }'
        done
    done
    if [[ -n ${NOTE:-} ]]; then
        echo
        echo "$NOTE"
    fi
    echo "<!-- runner-change:end -->"
}

section >"$work/section.md"
cat "$work/section.md"

# Replaces the section in OUTPUT, or inserts it before the counts section, or appends it.
if [[ -n ${OUTPUT:-} ]]; then
    start='<!-- runner-change:start -->'
    end='<!-- runner-change:end -->'
    if grep -qF "$start" "$OUTPUT"; then
        awk -v start="$start" -v end="$end" -v file="$work/section.md" '
            index($0, start) { while ((getline line < file) > 0) print line; skip = 1; next }
            skip && index($0, end) { skip = 0; next }
            !skip' "$OUTPUT" >"$work/output.md"
    elif grep -qF '<!-- counts:start -->' "$OUTPUT"; then
        awk -v file="$work/section.md" '
            index($0, "<!-- counts:start -->") {
                while ((getline line < file) > 0) print line; print "" }
            { print }' "$OUTPUT" >"$work/output.md"
    else
        { cat "$OUTPUT"; echo; cat "$work/section.md"; } >"$work/output.md"
    fi
    cp "$work/output.md" "$OUTPUT"
    log "wrote $OUTPUT"
fi
