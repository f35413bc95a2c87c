//! `migrate`: the operator commands of [`migrate_core::cli`] on a folder of versions read at
//! run time (`--dir`, default `sql/versions`, or `MIGRATE_DIR`), for teams that want the tool
//! without writing Rust. The database is `--database-url` or `DATABASE_URL`; every driver
//! (MySQL/MariaDB, PostgreSQL, SQLite) and TLS are compiled in.
//!
//! ```text
//! cargo install migrate-cli
//! export DATABASE_URL=postgres://app@db/app
//! migrate database create
//! migrate --dir sql/versions status
//! migrate up
//! migrate down --to 1 --yes
//! ```
//!
//! `migrate --help` lists the commands; the exit statuses and JSON shapes are those of
//! [`migrate_core::cli`].

/// The folder read when neither `--dir` nor `MIGRATE_DIR` is given.
const DEFAULT_DIR: &str = "sql/versions";

fn main() -> migrate_core::cli::Exit {
    migrate_core::cli::Cli::from_dir(DEFAULT_DIR)
        .version(env!("CARGO_PKG_VERSION"))
        .run()
}
