#!/usr/bin/env bash
# Builds README.md's "Using it in your crate" as written: a new crate next to a checkout named
# `migrate` (a symlink to this one), whose Cargo.toml dependencies, build.rs and src/main.rs are
# the section's three code blocks, in that order, with one migration folder.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
ln -s "$repo" "$work/migrate"
app="$work/app"
mkdir -p "$app/src" "$app/sql/versions/V1__notes"

# The section's fenced blocks, one file each: block-1 (toml), block-2 (build.rs), block-3 (main.rs).
awk -v out="$work/block" '
    /^## Using it in your crate/ { inside = 1; next }
    inside && /^## / { exit }
    inside && /^```/ { if (fence) { fence = 0 } else { fence = 1; n++ }; next }
    inside && fence { print > (out "-" n) }
' "$repo/README.md"
for n in 1 2 3; do
    [ -s "$work/block-$n" ] || { echo "README: block $n of 'Using it in your crate' is missing"; exit 1; }
done

{
    printf '[package]\nname = "readme-app"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[workspace]\n\n'
    cat "$work/block-1"
} > "$app/Cargo.toml"
cp "$work/block-2" "$app/build.rs"
cp "$work/block-3" "$app/src/main.rs"
printf 'CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL);\n' > "$app/sql/versions/V1__notes/up.sql"
printf 'DROP TABLE notes;\n' > "$app/sql/versions/V1__notes/down.sql"

# The workspace's lock file, so the new crate builds with the versions CI tested.
cp "$repo/Cargo.lock" "$app/Cargo.lock"
export CARGO_TARGET_DIR="${README_CRATE_TARGET:-$repo/target/readme-crate}"
cargo build --manifest-path "$app/Cargo.toml"

# It runs: the migration is applied on a fresh PostgreSQL database.
db="migrate_readme_$$"
psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $db"
trap 'psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db" || true; rm -rf "$work"' EXIT
out="$(DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" "$CARGO_TARGET_DIR/debug/readme-app")"
echo "$out"
[ "$out" = "applied 1 migration(s)" ] || { echo "unexpected output from the README crate"; exit 1; }
