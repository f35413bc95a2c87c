//! # migrate-core
//!
//! Versioned SQL migrations for Rust services: plain SQL per version, embedded in the binary
//! with checksums, applied and reverted by a runner that records every version in a history
//! table.
//!
//! ## The model
//!
//! A *version* is a folder `sql/versions/V{n}` (or `V{n}__{description}`) holding the script that
//! applies it (`up.sql`) and the one that reverts it (`down.sql`). A dialect may override either
//! file: `up.mysql.sql`, `up.postgres.sql`, `up.sqlite.sql` (and the same for down). Versions are
//! numbered contiguously from 1.
//!
//! ```text
//! sql/versions/
//! ├── V1__apps/
//! │   ├── up.sql
//! │   └── down.sql
//! └── V2__features/
//!     ├── up.sql
//!     ├── up.sqlite.sql      (SQLite cannot add a foreign key with ALTER TABLE)
//!     └── down.sql
//! ```
//!
//! `migrate_macros::embed_migrations!("../sql/versions")` reads the tree at compile time through
//! this crate's [`source`] loader and expands to a `'static` [`MigrationSet`]. Every mistake in the
//! tree is a compile error naming the file; the same loader is available at run time as
//! [`source::load_dir`].
//!
//! A script that is empty, blank or only comments is a no-op: its version is recorded like any
//! other without running anything, and [`Plan::warnings`] names it. A down script that must not
//! run says `-- migrate:irreversible` instead.
//!
//! ## Directives
//!
//! Leading comment lines of a script may hold directives:
//!
//! - `-- migrate:no-transaction`: run the script outside a transaction (PostgreSQL statements
//!   such as `CREATE INDEX CONCURRENTLY`);
//! - `-- migrate:irreversible` (down scripts only): the version cannot be reverted, and a revert
//!   that would cross it refuses, naming it.
//!
//! ## Checksums
//!
//! Each script carries a [`Checksum`]: SHA-256 over a canonical form (BOM removed, line ends
//! normalised to LF, trailing blank lines removed), written `sha256:<hex>`. See [`checksum`].
//!
//! ## Statements
//!
//! Scripts are split into statements per [`Dialect`] by [`split::split`], a lexer that never
//! splits inside literals, quoted identifiers, comments, dollar-quoted bodies or stored-program
//! bodies, and reports each statement's line.
//!
//! ## Stale binaries
//!
//! `include_str!` makes an edited script rebuild the crate, but Cargo does not notice a *new*
//! version folder by itself. Add this to the `build.rs` of the crate that embeds the tree:
//!
//! ```no_run
//! // in build.rs's `fn main`:
//! println!("cargo:rerun-if-changed=../sql/versions");
//! ```
//!
//! In debug builds, [`MigrationSet::check_source_dir`] also reports at start-up a version folder
//! on disk that the binary did not embed.
//!
//! ## Schema fingerprints and round trips
//!
//! At the end of each run that applies or reverts, the runner records the
//! [`schema::Fingerprint`] of the live schema in the history row of the version the run ends
//! at ([`Fingerprints::PerRun`], the default; [`Fingerprints::EveryVersion`] records one after
//! every applied version, [`Fingerprints::Off`] none). [`Migrator::check_schema`] (and
//! `validate`, `status`) compare the live schema with the newest applied row's and show what
//! changed by hand. `up`, reverts and `repair` compare too and return what they find in
//! [`Report::drift`]; a difference found before an `up` is kept out of what it records, so it
//! stays reported until [`Migrator::accept_schema`] records it. A revert to a version that has
//! no fingerprint records what it finds there ([`Report::schema_recorded`]).
//! [`verify::Verifier`] applies, reverts and re-applies every version on scratch databases and
//! reports each down script that does not restore the schema exactly. See [`schema`] and
//! [`verify`].
//!
//! ## Database URLs and connecting
//!
//! A URL is parsed once into a [`database_url::DatabaseUrl`], which refuses one that is
//! malformed, names no database or has an ambiguous password, and shows it only with its
//! credentials hidden. Drivers wait at most the connect timeout of `driver::ConnectOptions`
//! (10 seconds by default) for the server to answer.
//!
//! ## Crate layout
//!
//! Pure parts first; the runner and the drivers are the only code that talks to a database.
//!
//! | layer | modules |
//! |---|---|
//! | model | `version`, `migration` ([`Migration`], [`MigrationSet`]), [`checksum`], `dialect` ([`Dialect`]: quoting and per-dialect facts), `error` |
//! | loading | [`source`]: the folder contract, shared by the macro and [`source::load_dir`] |
//! | reading SQL | `lex` (the one tokenizer, a state enum), [`split`] (statements and lines), [`implicit_commit`] (MySQL statements that commit) |
//! | deciding | [`plan`] (what to apply or revert: `(embedded, applied, target) -> Plan`), `journal` (how a statement-by-statement step records each part, and what a stop means), [`status`] |
//! | recording | [`history`] (the row model), `history_sql` (its SQL per dialect) |
//! | schema | [`schema`]: description, diff, recorded changes, scoped describe, drift |
//! | running | [`runner`]: [`Migrator`]'s commands, one file per phase (lock, execute, atomic, journal, fingerprint, drift, record, admin) |
//! | drivers | [`driver`]: the [`driver::Driver`] seam and one file per client |
//! | around it | [`verify`] (round trips on scratch databases), [`database_url`], `cli`, `testing` |
//! | many databases | `fleet`: one database per tenant, migrated a few at a time with canaries, per-database results and `status` across the fleet (any driver feature, or `cli`) |
//!
//! Files depend on each other one way only: a parent module declares, re-exports and uses its
//! children, and what its children share sits in a leaf of its own (`driver/seam.rs` holds
//! the [`driver::Driver`] trait, `cli/error.rs` the CLI's error), never in the parent. The
//! workspace test `tests/layout.rs` checks it, with the limits of 700 lines a file and 80 a
//! function.
//!
//! ## Features
//!
//! | feature | what |
//! |---|---|
//! | `sqlx-mysql`, `sqlx-postgres`, `sqlx-sqlite`, `mysql_async` | the drivers (see [`driver`]) |
//! | `testing` | `migrate_core::testing`: a fresh database per test |
//! | `tls-rustls` | TLS through rustls for every driver enabled beside it (`sslmode=verify-full`, `ssl-mode=VERIFY_IDENTITY`, …) |
//! | `cli` | `migrate_core::cli`: the operator commands (`status`, `up`, `down`, `plan`, `validate`, …) in one call; includes no driver: enable those of your databases (`sqlx-sqlite` for an SQLite file). The `migrate-cli` package is the same commands as a standalone `migrate` binary |

pub mod checksum;
#[cfg(feature = "cli")]
pub mod cli;
pub mod database_url;
mod dialect;
mod digest;
pub mod driver;
mod error;
#[cfg(any(
    feature = "sqlx-mysql",
    feature = "sqlx-postgres",
    feature = "sqlx-sqlite",
    feature = "mysql_async",
    feature = "cli"
))]
pub mod fleet;
pub mod history;
mod history_sql;
pub mod implicit_commit;
// How a step run statement by statement is journaled: exposed for the benchmark's journal
// diagnostic, not a stable API.
#[doc(hidden)]
pub mod journal;
mod lex;
mod migration;
pub mod plan;
pub mod runner;
pub mod schema;
#[cfg(any(
    feature = "sqlx-mysql",
    feature = "sqlx-postgres",
    feature = "sqlx-sqlite",
    feature = "mysql_async",
    feature = "cli"
))]
mod scratch_name;
pub mod source;
pub mod split;
pub mod status;
#[cfg(feature = "testing")]
pub mod testing;
mod timestamp;
pub mod verify;
mod version;

pub use checksum::Checksum;
pub use dialect::Dialect;
pub use error::{Error, JournalStop, LoadError};
pub use migration::{
    Direction, Directives, Migration, MigrationSet, Reversibility, Script, TransactionMode,
};
pub use plan::{OutOfOrder, Plan, PlanWarning, Resume, Target, UnknownVersions};
pub use runner::{Config, Fingerprints, Migrator, Progress, Report, StepReport};
pub use version::Version;
