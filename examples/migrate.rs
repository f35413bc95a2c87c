//! The operator commands for the example application: `cargo run --example migrate -- status`,
//! `up`, `down --to 1`, `plan`, `validate`, `new add_index`, … (`--help` lists them all).
//!
//! With no configuration it uses the SQLite file of `db::DEFAULT_DATABASE_URL`; pass
//! `--database-url` or set `DATABASE_URL` (`mysql://…`, `postgres://…`) for a server.

fn main() -> migrate_core::cli::Exit {
    migrate_core::cli::Cli::new(&db::MIGRATIONS)
        .default_database_url(db::DEFAULT_DATABASE_URL)
        .versions_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../sql/versions"))
        .run()
}
