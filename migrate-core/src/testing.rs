//! Test support: a fresh database per test, on SQLite always and on MySQL/MariaDB and
//! PostgreSQL when their servers are reachable (feature `testing`).
//!
//! ```no_run
//! # async fn example() -> Result<(), migrate_core::Error> {
//! use migrate_core::testing::{Backend, TestDatabase};
//! let Some(db) = TestDatabase::create(Backend::Postgres).await? else {
//!     return Ok(()); // no server here, and not required: the skip was printed
//! };
//! let url = db.url(); // postgres://postgres@127.0.0.1:5432/migrate_test_…
//! # let _ = url;
//! db.drop_database().await;
//! # Ok(()) }
//! ```
//!
//! Server URLs come from `MIGRATE_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/test`)
//! and `MIGRATE_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! When a server cannot be reached the test is skipped with a loud message written to the
//! process's standard error directly (the test harness captures `eprintln!`) — unless
//! `MIGRATE_REQUIRE_SERVERS` or `CI` is set, in which case it fails.
//!
//! Databases are named `migrate_test_<pid>_<unix seconds>_<n>`; each is dropped when its
//! [`TestDatabase`] is dropped, and the first database a process creates on a server also drops
//! those created more than a day ago (left by killed test runs), templates included. The age is
//! the rule, not whether the process still runs: a process id says nothing about a run on
//! another machine or in another container sharing the server.
//!
//! ## Databases at a version
//!
//! [`TestDatabase::at`] (and so `#[migrate_macros::test]`) does not replay the migrations for
//! every test. The first test of a process that needs version N of a migration set builds a
//! *template* at N once (another process may have built it already: templates are shared
//! through the server, under a server-side lock), and every test then gets a copy:
//!
//! | backend | copy |
//! |---|---|
//! | PostgreSQL | `CREATE DATABASE … TEMPLATE migrate_tpl_…` |
//! | SQLite | a copy of the template file (`migrate_templates` in the temporary folder) |
//! | MySQL/MariaDB | each table recreated from `SHOW CREATE TABLE` and its rows copied, in one batch; a template with views, triggers, routines, events, sequences or system-versioned tables is not copied, and its tests replay the migrations |
//!
//! A template is identified by the migrations up to N (checksums included), N, and the runner's
//! configuration, so an edited migration never reuses an old template. Its completion is
//! checked before use; a half-built one (a killed build) is dropped and built again.
//! [`TestDatabase::origin`] says how a database was made; [`TestDatabase::at_replayed`] replays
//! the migrations regardless.
//!
//! ## Pools of copies made ahead
//!
//! A copy costs about as much as the template is big (PostgreSQL, SQLite) or has tables
//! (MariaDB). So once a process has used a template, a thread of its own keeps a few copies of
//! it ready on the server (`MIGRATE_TEST_POOL`, default 2; 0 turns pools off), and
//! [`TestDatabase::at`] claims one — PostgreSQL `ALTER DATABASE … RENAME`, MariaDB a row
//! deleted from a `MEMORY` table, SQLite a file `rename(2)`; each atomic, so tests in parallel
//! threads and processes never get the same copy — and copies the template itself only when
//! the pool is empty. A claimed copy is the copy the test would have got, under a name of its
//! own (MariaDB: `migrate_pool_…`, the copy's name; there is no database rename), dropped with
//! the test. Ready copies outlive the process (the next run claims them), are never claimed
//! once their template is outdated (they belong to the template, whose name names its digest)
//! and are swept with the templates. [`TestDatabase::from_pool`] says whether a database was
//! claimed; [`pools_settled`] and [`pool_refills`] are for benchmarks.

mod admin;
pub mod attribute;
mod backend;
mod database;
mod maintenance;
mod pool;
mod skip;
mod template;

pub use backend::Backend;
pub use database::{Origin, TestDatabase, PREFIX};
pub use maintenance::{drop_all_templates, drop_stale_databases, pool_refills, pools_settled};
pub use skip::servers_required;
