//! The operator commands, for any application, in one call (feature `cli`).
//!
//! ```no_run
//! # static MIGRATIONS: migrate_core::MigrationSet = migrate_core::MigrationSet::__embedded(&[], &[], None);
//! // static MIGRATIONS: MigrationSet = migrate_macros::embed_migrations!("sql/versions");
//!
//! fn main() -> migrate_core::cli::Exit {
//!     migrate_core::cli::Cli::new(&MIGRATIONS)
//!         .default_database_url("sqlite://app.db")
//!         .versions_dir("sql/versions")
//!         .run()
//! }
//! ```
//!
//! [`Cli::run`] reads the process's arguments, runs one command on its own Tokio runtime and
//! returns the [`Exit`] status. An application that already runs Tokio, or parses its own
//! arguments first, uses [`Cli::run_async_from`].
//!
//! [`Cli::from_dir`] gives the same commands over a versions folder read when the command runs,
//! instead of a set embedded at compile time: the standalone `migrate` binary of the
//! `migrate-cli` package is `Cli::from_dir("sql/versions")`.
//!
//! The feature includes no driver: enable those of the databases the application reaches
//! (`sqlx-sqlite` for an SQLite default such as the one above). A URL whose driver is not
//! compiled in is refused when the command connects, naming the feature.
//!
//! ## Commands
//!
//! | command | what it does |
//! |---|---|
//! | `status [--json]` | every version: description, state, applied at, applied by, duration, checksum (`ok`, `changed`, `down changed`, `not embedded`), the pending versions, and whether the live schema matches the one recorded (drift, with what differs), and who holds the migration lock (see [`crate::driver::LockHolder`]) |
//! | `up [--to N] [--json]` | applies every pending version, or those up to N |
//! | `down --to N [--yes] [--json]` | reverts every version after N (`--to 0`: all of them); asks on a terminal unless `--yes`, refuses without `--yes` elsewhere, and refuses irreversible versions, naming them |
//! | `redo [--yes]` | reverts the newest version and applies it again (asks like `down`) |
//! | `plan [--to N] [--down] [--json]` | every statement `up` (or `down --to N`) would run, in order, with file and line; on MySQL/MariaDB statements that commit implicitly are marked. Changes nothing |
//! | `validate [--json]` | checks the history against the binary and the live schema against the fingerprint recorded for the last applied version, changing nothing; exit 3 on any mismatch, 4 on drift alone |
//! | `verify [--scratch-url URL] [--json]` | on scratch databases created next to the database (or on the server of `--scratch-url`) and dropped afterwards, applies, reverts and re-applies every version, and reports each down script that does not restore the schema, or up script that is not repeatable after it, with the diff; exit 3 if any. The database itself is never touched |
//! | `resume [--skip \| --rerun]` | finishes a `failed` migration from its failed statement, after fixing its cause (`--skip`: from the next one, for a statement that took effect; `--rerun`: from it, for a statement in flight when the run stopped that did not; a row with such a statement needs one of the two) |
//! | `repair` | marks a `failed` migration as not applied, after undoing its statements by hand; reports as drift what the schema still has of it (exit 4) |
//! | `baseline --version N` | records versions 1 to N as applied without running them, on an existing database with no history |
//! | `accept-schema` | records the live schema as the one after the last applied version (its fingerprint and change), after a change reported as drift was judged right (written to the log table). Until then, drift found before an `up` is kept out of what the applied versions record, so it stays reported |
//! | `accept-checksum --version N` | records the embedded checksums of an applied version's up and down scripts after a deliberate edit (written to the log table) |
//! | `fleet up\|status SOURCE [--parallel P] [--canaries N] [--keep-going] [--json]` | the same on many databases at once, one per tenant, listed by `--url` (repeated), `--urls-file FILE` or `--catalog-url URL --catalog-query SQL`: canaries first, a few at a time, a table (or JSON) of every database's outcome and a summary (see [`crate::fleet`]); the application's database URL is not used |
//! | `new NAME` | creates the next `V{n}__NAME` folder with empty `up.sql` and `down.sql` in the versions folder |
//! | `database create` | creates the database the URL names if it does not exist (SQLite: an empty file) |
//! | `database drop [--yes]` | drops the database the URL names, if it exists (SQLite: deletes the file and its journals); asks like `down` |
//!
//! Options that every command takes:
//!
//! - `--dir DIR`: the versions folder. `new` creates versions there, and every other command
//!   runs the migrations read from it at run time instead of the application's own (for
//!   example `verify --dir sql/versions` before a build). Without it `new` uses
//!   [`Cli::versions_dir`]. For [`Cli::from_dir`], `MIGRATE_DIR` stands in for it, and the
//!   folder given there is the default.
//! - `--table NAME`: the history table (the log table is `NAME_log`), instead of the one of
//!   [`Cli::config`] (default `schema_history`).
//! - `--unknown-versions refuse|ignore` (or `MIGRATE_UNKNOWN_VERSIONS`): what to do with
//!   versions in the history that these migrations do not have, applied by a newer release
//!   (see [`crate::UnknownVersions`]). `ignore` lets an older release run next to a newer
//!   database: `up` and `validate` warn and touch nothing at or after them; reverting them
//!   is still refused (exit 3).
//! - `--version`, when the application gave one ([`Cli::version`]).
//!
//! The database is `--database-url`, else `DATABASE_URL`, else the application's default
//! ([`Cli::default_database_url`]). Its password never appears in output or errors (see
//! [`crate::database_url`]). `--connect-timeout SECONDS` (or `MIGRATE_CONNECT_TIMEOUT`, default
//! 10) bounds the wait for the server to accept the connection. Logs go through `tracing` to
//! standard error, filtered by `RUST_LOG` (default `warn`, without the runner's failure event,
//! which the CLI prints as `error: …` itself;
//! `RUST_LOG=migrate_core=debug` shows every statement). On a terminal, a run of several
//! migrations shows a progress bar; otherwise each migration prints one line when it finishes
//! (on standard error with `--json`).
//!
//! Every time printed (`applied at` in `status`, `applied_at` in its JSON, the log lines) is
//! RFC 3339 in UTC with milliseconds, `2026-12-05T23:20:01.123Z`, whatever the server's type.
//!
//! ## Exit status
//!
//! | code | [`Exit`] | meaning |
//! |---|---|---|
//! | 0 | `Success` | the command did its work; `validate` found nothing wrong |
//! | 1 | `Failure` | the command failed: connection, SQL error, lock timeout, I/O, a declined confirmation |
//! | 2 | `Usage` | bad arguments, no database URL or an invalid one (no scheme, malformed, no database name, a password with an unencoded `/`, `?` or `#`), an invalid `NAME` or `--table`, a versions folder (`--dir`) that does not exist or breaks the directory contract (the error names the file), `database create` or `drop` of an in-memory SQLite database, or a revert or drop without `--yes` off a terminal |
//! | 3 | `Mismatch` | the history disagrees with this binary (changed checksum of an up or down script, version unknown to the binary, `failed` row, out-of-order version, stale binary): `validate` found it, or a command refused because of it; for `verify`, a version failed its round trip |
//! | 4 | `Drift` | the live schema differs from the one recorded for the last applied version, and nothing else is wrong: `validate` found only that, or `up`, `down`, `redo`, `resume` or `repair` did their work and found it (before applying, after reverting, or left behind by the repaired version; printed after the standing, or in the `drift` field of `up --json` and `down --json`). It stays reported until undone by hand or recorded by `accept-schema` |
//!
//! `status` exits 0 whenever it could read the history, whatever the history says; `validate`
//! is the check. Errors print on standard error as `error: …`, followed by one `caused by: …` line per
//! underlying error; the first line ends with what to do.
//!
//! ## Machine output
//!
//! With `--json`, `status`, `plan`, `validate`, `verify`, `up` and `down` print exactly one JSON
//! document on standard output (exit 0; 3 or 4 for `validate` with problems, 3 for `verify`, 4 for
//! `up` and `down` that found drift). When a command fails (exit 1 or 2, or 3 when `up` or `down`
//! refuses) standard output is empty and the error is on standard error. Field order is as shown; fields may be added later.
//!
//! `status --json`:
//!
//! ```json
//! {
//!   "database": "mysql://app:***@db:3306/app",
//!   "dialect": "mysql",
//!   "history_table": "schema_history",
//!   "current": 2,
//!   "latest": 3,
//!   "pending": [3],
//!   "versions": [
//!     {
//!       "version": 1,
//!       "description": "apps",
//!       "state": "applied",
//!       "checksum": "ok",
//!       "script": "V1__apps/up.mysql.sql",
//!       "applied_at": "2025-01-31T12:00:00.123Z",
//!       "applied_by": "deploy@web-1",
//!       "duration_ms": 41,
//!       "statements_done": 3,
//!       "statements_total": 3,
//!       "error": null
//!     }
//!   ],
//!   "schema": {
//!     "state": "drift",
//!     "version": 2,
//!     "recorded": "sha256:…",
//!     "live": "sha256:…",
//!     "diff": {
//!       "added": [ { "kind": "column", "name": "apps.hotfix", "definition": "#8 INTEGER NULL" } ],
//!       "removed": [],
//!       "changed": []
//!     }
//!   },
//!   "lock": {
//!     "state": "held",
//!     "holder": {
//!       "description": "runner 5f0c… on Galera node `n1` (host db1:3306, …)",
//!       "session": "5f0c…", "user": null, "client": "db1:3306", "node": "n1",
//!       "connection": "12", "application": null, "process": 4242,
//!       "since": "2025-01-31 12:00:00.123456", "lease_renewed_ms_ago": 800,
//!       "lease_expires_in_ms": 9200, "activity": null
//!     },
//!     "error": null
//!   }
//! }
//! ```
//!
//! `dialect` is `mysql`, `postgres` or `sqlite`. `current` is the newest version recorded in
//! the history (applied or failed), `null` on an empty database; `latest` the newest version
//! the binary embeds. `state` is `applied`, `failed` or `pending`; `checksum` is `ok`,
//! `changed`, `down_changed` (the up script is unchanged, the down script was edited),
//! `not_embedded` (the database is newer than the binary) or `null` (not applied).
//! For a pending version every field after `checksum` is `null`. `error` is the failed
//! statement's error on a `failed` row (`null` there means the process stopped while the
//! statement was in flight). `schema.state` is `matches`, `drift`, `not_recorded` (the last
//! applied version has no fingerprint: below a baseline's top), `interrupted` (a `failed` row)
//! or `nothing_applied`; `diff` is present on `drift` when the history's recorded changes
//! rebuild the recorded schema, each object with its `kind` (`table`, `column`, `index`,
//! `constraint`, `view`, `trigger`, `routine`, `sequence`, `type`), `name` and `definition`
//! (`before` and `after` for a changed one). `lock.state` is `free`, `held` (with its
//! `holder`: the fields the server can tell, the others `null`), `not_tracked` or `unknown`
//! (it could not be read: `error` says why; `status` still exits 0).
//!
//! `plan --json`:
//!
//! ```json
//! {
//!   "database": "sqlite://app.db",
//!   "dialect": "sqlite",
//!   "direction": "up",
//!   "steps": [
//!     {
//!       "version": 2,
//!       "description": "features",
//!       "direction": "up",
//!       "script": "V2__features/up.sql",
//!       "transaction": "atomic",
//!       "statements": [
//!         { "number": 1, "line": 2, "sql": "ALTER TABLE apps ADD COLUMN …", "implicit_commit": null }
//!       ]
//!     }
//!   ],
//!   "warnings": [
//!     {
//!       "version": 3,
//!       "kind": "no_op_script",
//!       "direction": "up",
//!       "script": "V3__placeholder/up.sql",
//!       "message": "version 3: `V3__placeholder/up.sql` holds no statement; …"
//!     }
//!   ]
//! }
//! ```
//!
//! `transaction` is `atomic` (the statements and the history row commit together) or
//! `journaled` (statement by statement, progress recorded in the history row: MySQL/MariaDB,
//! and `-- migrate:no-transaction` scripts on PostgreSQL). `number` is the statement's
//! 1-based position in its script and `line` its first line. `implicit_commit` is `true` or
//! `false` on MySQL/MariaDB (see [`crate::implicit_commit`]) and `null` on other dialects.
//! `warnings` lists the plan's [`PlanWarning`](crate::PlanWarning)s, in step order; the one
//! `kind` so far is `no_op_script` (an empty or comment-only script: the version is recorded
//! without running anything). The text output shows each as a `-- warning:` line.
//!
//! `validate --json`:
//!
//! ```json
//! {
//!   "database": "sqlite://app.db",
//!   "dialect": "sqlite",
//!   "ok": false,
//!   "problems": [
//!     { "version": 2, "kind": "checksum_changed", "message": "version 2 was applied with checksum sha256:… but `V2__features/up.sql` now has sha256:…; restore the file, or run `accept-checksum --version 2` if the change is intended and harmless" }
//!   ],
//!   "pending": [3]
//! }
//! ```
//!
//! `kind` is one of `checksum_changed`, `down_checksum_changed`, `not_embedded`, `failed`, `out_of_order`,
//! `missing_script`, `stale_binary`, `pending_below_unknown`, `schema_drift` or `other`; `version` is `null` where no single version is
//! at fault; `message` says what to do. Pending versions are listed but are not problems.
//!
//! `up --json` and `down --json`, after the run (a `down` that is not confirmed prints nothing):
//!
//! ```json
//! {
//!   "database": "postgres://app:***@db:5432/app",
//!   "dialect": "postgres",
//!   "history_table": "schema_history",
//!   "direction": "up",
//!   "steps": [
//!     { "version": 2, "description": "features", "script": "V2__features/up.sql", "statements": 4, "duration_ms": 12 },
//!     { "version": 3, "description": "notes", "script": "V3__notes/up.sql", "statements": 1, "duration_ms": 3 }
//!   ],
//!   "drift": null,
//!   "schema_recorded": null,
//!   "current": 3,
//!   "latest": 3,
//!   "pending": []
//! }
//! ```
//!
//! `direction` is `up` or `down`; `steps` are the versions applied (or reverted) in the order
//! they ran, each with the script that ran, how many of its statements ran and how long it
//! took; empty when there was nothing to do. `drift` is `null`, or what was found as in
//! `status` (exit 4): `{ "version": 2, "recorded": "sha256:…", "live": "sha256:…", "diff":
//! { "added": […], "removed": […], "changed": […] } }`, `diff` `null` when only the
//! fingerprints can be compared. `schema_recorded` is the version a `down` ended at when it
//! had no recorded schema (it was applied in the middle of a run) and the schema found there
//! was recorded as its own, else `null`. `current`, `latest` and `pending` are where the
//! database stands afterwards, as in `status --json`.
//!
//! `verify --json`:
//!
//! ```json
//! {
//!   "server": "postgres://postgres@127.0.0.1:5432/app",
//!   "dialect": "postgres",
//!   "ok": false,
//!   "duration_ms": 412,
//!   "versions": [
//!     { "version": 1, "description": "apps", "round_trip": "checked", "ok": true, "duration_ms": 51, "problems": [] },
//!     {
//!       "version": 2, "description": "note", "round_trip": "checked", "ok": false, "duration_ms": 88,
//!       "problems": [
//!         { "kind": "down_does_not_restore", "step": null, "error": null, "diff": { "added": [ { "kind": "column", "name": "apps.note", "definition": "…" } ], "removed": [], "changed": [] } },
//!         { "kind": "failed", "step": "up after down", "error": "applying version 2 failed …", "diff": null }
//!       ]
//!     }
//!   ],
//!   "not_checked": []
//! }
//! ```
//!
//! `round_trip` is `checked` or `irreversible` (only the up script ran). `kind` is
//! `down_does_not_restore` (diff from before the up to after the down), `up_not_repeatable`
//! (diff from the first up to the second) or `failed` (with the `step`: `up`, `down` or
//! `up after down`). `not_checked` lists the versions after one whose up script failed on a
//! fresh database.

mod args;
mod commands;
mod database;
mod error;
mod exit;
mod new_version;
mod output;
mod progress;
mod prompt;
mod setup;

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches};

use self::error::CliError;
use self::setup::Migrations;

pub use self::exit::Exit;
pub use self::setup::Cli;

impl Cli<'_> {
    /// Parses the process's arguments and runs the command on a Tokio runtime of its own.
    ///
    /// Call it from a synchronous `main`; inside a Tokio runtime use [`Cli::run_async_from`].
    pub fn run(&self) -> Exit {
        self.run_from(std::env::args_os())
    }

    /// Like [`Cli::run`] with the given arguments; the first is the program name.
    ///
    /// A command on one database runs on a single-thread runtime (it waits on one connection;
    /// worker threads would only cost start-up time). `fleet` gets a multi-thread runtime, so
    /// that its databases' work spreads over the cores.
    pub fn run_from<I, T>(&self, args: I) -> Exit
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let args = match self.parse_or_exit(args) {
            Ok(args) => args,
            Err(exit) => return exit,
        };
        let runtime = match args.command {
            args::Command::Fleet(_) => tokio::runtime::Builder::new_multi_thread(),
            _ => tokio::runtime::Builder::new_current_thread(),
        }
        .enable_all()
        .build();
        match runtime {
            Ok(runtime) => runtime.block_on(self.run_parsed(args)),
            Err(e) => {
                eprintln!("error: cannot start the Tokio runtime: {e}");
                Exit::Failure
            }
        }
    }

    /// Parses `args` (the first is the program name) and runs the command on the current
    /// Tokio runtime. Installs a `tracing` subscriber filtered by `RUST_LOG` unless the
    /// application already has one. A `fleet` command spreads its databases over the
    /// runtime's worker threads: on a single-thread runtime they share that one thread.
    pub async fn run_async_from<I, T>(&self, args: I) -> Exit
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        match self.parse_or_exit(args) {
            Ok(args) => self.run_parsed(args).await,
            Err(exit) => exit,
        }
    }

    /// The parsed arguments, or, after printing clap's message (an error, `--help`,
    /// `--version`), how to exit.
    fn parse_or_exit<I, T>(&self, args: I) -> Result<args::Args, Exit>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        self.parse(args).map_err(|e| {
            let _ = e.print();
            if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Success // --help, --version
            }
        })
    }

    /// Runs parsed arguments on the current runtime.
    async fn run_parsed(&self, args: args::Args) -> Exit {
        init_logging();
        match commands::run(self, args).await {
            Ok(exit) => exit,
            // The reader went away (`| head`): nobody is left to tell.
            Err(CliError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Failure,
            Err(e) => {
                print_error(&e);
                e.exit()
            }
        }
    }

    /// The command line as this `Cli` reads it: with `--version` if one was given, and for
    /// [`Cli::from_dir`] with `MIGRATE_DIR` behind `--dir`.
    fn parse<I, T>(&self, args: I) -> Result<args::Args, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let mut command = args::Args::command();
        if let Some(version) = self.version {
            command = command.version(version).disable_version_flag(false);
        }
        if let (Migrations::Folder, Some(dir)) = (self.migrations, &self.versions_dir) {
            let help = format!(
                "The versions folder every command reads, and where `new` creates versions [default: {}]",
                dir.display()
            );
            command = command.mut_arg("dir", |arg| arg.env(DIR_ENV).help(help));
        }
        let matches = command.try_get_matches_from(args)?;
        args::Args::from_arg_matches(&matches)
    }
}

/// The variable that names the versions folder for [`Cli::from_dir`].
const DIR_ENV: &str = "MIGRATE_DIR";

/// `error: …` and one `caused by: …` line per source.
fn print_error(error: &CliError) {
    let mut text = format!("error: {error}");
    let mut source = std::error::Error::source(error);
    // `#[error(transparent)]` forwards `source()` to the inner error's source, so the chain
    // never repeats a message.
    while let Some(cause) = source {
        text.push_str(&format!("\n  caused by: {cause}"));
        source = cause.source();
    }
    eprintln!("{text}");
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        // The runner's failure event is left out: the CLI prints the error itself.
        .unwrap_or_else(|_| {
            let quiet_failure = format!("warn,{}=off", crate::runner::FAILURE_TARGET);
            tracing_subscriber::EnvFilter::new(quiet_failure)
        });
    // An application that installed its own subscriber keeps it.
    let _ = tracing_subscriber::fmt()
        .with_timer(LogTime)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Stamps log lines like every other time the CLI prints: RFC 3339, UTC, milliseconds.
struct LogTime;

impl tracing_subscriber::fmt::time::FormatTime for LogTime {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        w.write_str(&crate::timestamp::now())
    }
}
