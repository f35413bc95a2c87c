//! The behavioural suite every driver passes: the same tests, against real servers (SQLite
//! in-process), each on its own fresh database, in parallel.
//!
//! A backend's test file implements [`Connect`] and calls [`driver_suite!`].

#![allow(dead_code, unreachable_pub)]

mod drift;
pub use drift::*;

use std::future::Future;
use std::time::Duration;

use migrate_core::driver::{Batch, BatchPart, Driver, LockOutcome, LockState};
use migrate_core::history::{AppliedMigration, HistoryTable, State};
use migrate_core::schema::{ObjectKind, SchemaCheck};
use migrate_core::testing::{Backend, TestDatabase};
use migrate_core::{
    source, Config, Dialect, Direction, Error, Fingerprints, JournalStop, MigrationSet, Migrator,
    OutOfOrder, Resume, Target, Version,
};

mod error_codes;
mod session;
pub use error_codes::*;
// Used only by `driver_suite!(X; mysql)`: unused in the other backends' test crates.
#[allow(unused_imports)]
pub use session::*;
mod lost;
pub use lost::*;
mod apply;
pub use apply::*;
mod checks;
pub use checks::*;
mod failures;
pub use failures::*;
mod fingerprints;
pub use fingerprints::*;
pub mod forward;
pub use forward::*;
mod journal;
// Used only by `driver_suite!(X; mysql)`: unused in the other backends' test crates.
#[allow(unused_imports)]
pub use journal::*;
mod lock;
pub use lock::*;
mod startup;
pub use startup::*;
mod unknown_versions;
pub use unknown_versions::*;

/// Opens a driver on a database URL.
pub trait Connect: Sync {
    /// The driver.
    type D: Driver;
    /// The backend the driver talks to.
    const BACKEND: Backend;
    /// A new connection to `url`.
    fn connect(&self, url: &str) -> impl Future<Output = Self::D> + Send;
}

/// A fresh database and a way to connect to it.
pub struct Ctx<C: Connect> {
    pub db: TestDatabase,
    pub connector: C,
}

impl<C: Connect> Ctx<C> {
    pub async fn new(connector: C) -> Option<Ctx<C>> {
        let db = TestDatabase::create(C::BACKEND)
            .await
            .expect("test database");
        db.map(|db| Ctx { db, connector })
    }

    pub async fn driver(&self) -> C::D {
        self.connector.connect(self.db.url()).await
    }
}

/// Generates one `#[tokio::test]` per suite test for a connector.
///
/// `driver_suite!(X)` generates the tests every backend runs. `driver_suite!(X; journaled)`
/// adds the tests of a failed row that stays behind (journaled steps: MySQL/MariaDB, and
/// PostgreSQL `no-transaction` scripts); `driver_suite!(X; mysql)` adds those and the tests of
/// MySQL/MariaDB journaling. A test is generated only where it runs, so none passes by
/// returning early.
#[macro_export]
macro_rules! driver_suite {
    (@tests $connector:expr; $($test:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                if let Some(ctx) = suite::Ctx::new($connector).await {
                    suite::$test(&ctx).await;
                    ctx.db.drop_database().await;
                }
            }
        )*
    };
    ($connector:expr) => {
        driver_suite!(@tests $connector;
            applies_to_latest_and_records_every_column,
            applies_to_a_target_then_the_rest,
            reverts_to_a_target_and_to_empty,
            redo_reverts_and_reapplies_the_newest,
            baseline_adopts_an_existing_schema,
            dialect_variant_is_chosen_for_the_backend,
            missing_dialect_script_fails_before_anything_runs,
            changed_checksum_is_refused_until_accepted,
            database_newer_than_binary_is_refused,
            out_of_order_version_is_refused_unless_allowed,
            irreversible_version_refuses_revert,
            failing_statement_is_rolled_back_or_journaled,
            failing_statement_is_named_with_fingerprints_off,
            syntax_error_names_its_statement,
            failing_down_statement_is_named,
            failed_row_is_repaired_after_manual_cleanup,
            lock_timeout_names_the_holder,
            status_names_the_runner_holding_the_lock,
            lock_is_released_after_a_failed_migration,
            lock_is_released_when_the_future_is_dropped,
            retry_after_a_timeout_on_the_same_driver_frees_the_lock,
            lost_connection_says_the_outcome_is_unknown_and_resume_asks_for_a_choice,
            no_op_start_up_is_one_round_trip,
            no_op_shortcut_hands_anything_irregular_to_the_locked_path,
            batch_stops_at_and_names_the_failing_statement,
            history_table_name_is_configurable,
            validate_reports_without_changing_anything,
            no_transaction_script_runs_outside_a_transaction,
            history_of_more_than_nine_versions_keeps_numeric_order,
            fingerprint_is_recorded_and_manual_changes_are_reported_as_drift,
            baseline_records_the_schema_it_adopts,
            fingerprints_off_records_none_and_reports_not_recorded,
            data_only_version_is_not_described_again,
            scoped_descriptions_record_what_whole_ones_would,
            long_object_names_are_recorded_in_full,
            server_error_keeps_its_number_and_sqlstate,
            edited_down_script_is_refused_until_accepted,
            baseline_then_revert_reports_no_false_drift,
            drift_before_up_stays_reported_until_accepted,
            per_run_records_the_last_version_of_each_run,
            revert_to_a_version_without_a_fingerprint_records_what_it_finds,
            every_version_still_records_every_version,
            failed_run_records_the_schema_after_its_last_applied_version,
            accept_schema_works_with_sparse_fingerprints,
            empty_and_comment_only_scripts_apply_and_revert_as_no_ops,
            empty_scripts_revert_to_empty,
            older_binary_refuses_a_newer_database_unless_told_to_ignore,
            older_binary_ignoring_unknown_versions_refuses_to_revert_through_them,
            older_binary_ignoring_unknown_versions_still_refuses_what_is_unsafe,
        );
    };
    ($connector:expr; journaled) => {
        driver_suite!($connector);
        driver_suite!(@tests $connector;
            failed_row_resumes_after_the_cause_is_fixed,
            resume_does_not_report_its_own_changes_as_drift,
            repair_reports_what_was_not_undone,
        );
    };
    ($connector:expr; mysql) => {
        driver_suite!($connector; journaled);
        driver_suite!(@tests $connector;
            mysql_journal_writes_travel_with_the_statements,
            mysql_a_call_travels_alone_and_a_failure_after_it_is_placed,
            mysql_a_long_script_travels_in_bounded_batches,
            mysql_failure_keeps_the_journal_writes_its_transaction_held,
            mysql_refused_record_of_dml_rolls_the_statement_back,
            mysql_refused_closing_write_leaves_every_statement_done,
            mysql_refused_log_row_rolls_the_last_statement_back,
            mysql_refused_record_of_ddl_stops_before_the_next_statement,
            mysql_refused_record_that_cannot_be_updated_leaves_the_row_behind,
            mysql_refused_journal_row_starts_nothing,
            mysql_refused_removal_of_a_reverted_row_leaves_it_failed,
            mysql_closing_write_rides_with_a_last_ddl_statement,
            mysql_migrations_run_under_the_servers_session_defaults,
        );
    };
}

mod empty_scripts;
pub use empty_scripts::*;

/// A migration tree written to a temporary folder and loaded at run time.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new(files: &[(&str, &str)]) -> Tree {
        let dir = tempfile::tempdir().expect("temp dir");
        let tree = Tree { dir };
        for (path, text) in files {
            tree.write(path, text);
        }
        tree
    }

    pub fn write(&self, path: &str, text: &str) {
        let path = self.dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    pub fn set(&self) -> MigrationSet {
        source::load_dir(self.dir.path(), &Dialect::ALL).expect("fixture tree loads")
    }
}

/// Three portable versions: users (with a literal holding `;` and a quote), posts, tags.
pub const BASIC: &[(&str, &str)] = &[
    (
        "V1__users/up.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL);\n\
         INSERT INTO users (id, name) VALUES (1, 'it''s; a test');\n",
    ),
    ("V1__users/down.sql", "DROP TABLE users;\n"),
    (
        "V2__posts/up.sql",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL);\n\
         CREATE INDEX posts_user_idx ON posts (user_id);\n",
    ),
    ("V2__posts/down.sql", "DROP TABLE posts;\n"),
    (
        "V3__tags/up.sql",
        "CREATE TABLE tags (name VARCHAR(50) NOT NULL);\n\
         ALTER TABLE users ADD COLUMN email VARCHAR(200) NULL;\n",
    ),
    (
        "V3__tags/down.sql",
        "ALTER TABLE users DROP COLUMN email;\nDROP TABLE tags;\n",
    ),
];

pub fn v(n: u32) -> Version {
    Version::new(n).expect("positive")
}

pub fn migrator(set: &MigrationSet) -> Migrator<'_> {
    Migrator::with_config(set, config())
}

pub fn config() -> Config {
    Config::default()
        .actor("suite@test")
        .lock_timeout(Duration::from_secs(30))
}

/// The user tables of the database, sorted (history tables included).
///
/// Leaves out a Galera node's lock table (`<history>_lock`): the lock is a row there, and the
/// table, made by the first lock, outlives a command the planner refused.
pub async fn tables<D: Driver>(d: &mut D) -> Vec<String> {
    let sql = match d.dialect() {
        Dialect::MySql => "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1",
        Dialect::Postgres => "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
        Dialect::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1",
    };
    let mut names: Vec<String> = d
        .query(sql)
        .await
        .expect("list tables")
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .filter(|name| !name.ends_with("_history_lock"))
        .collect();
    names.sort();
    names
}

/// The user tables without the history tables.
pub async fn user_tables<D: Driver>(d: &mut D) -> Vec<String> {
    tables(d)
        .await
        .into_iter()
        .filter(|t| !t.starts_with("schema_history"))
        .collect()
}

pub async fn scalar<D: Driver>(d: &mut D, sql: &str) -> Option<String> {
    d.query(sql)
        .await
        .expect(sql)
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
}

/// `SELECT COUNT(*) FROM table`, read as text.
pub async fn count<D: Driver>(d: &mut D, table: &str) -> String {
    let cast = match d.dialect() {
        Dialect::MySql => "CAST(COUNT(*) AS CHAR)",
        Dialect::Postgres => "COUNT(*)::text",
        Dialect::Sqlite => "CAST(COUNT(*) AS TEXT)",
    };
    scalar(d, &format!("SELECT {cast} FROM {table}"))
        .await
        .expect("count")
}

pub fn versions(rows: &[AppliedMigration]) -> Vec<u32> {
    rows.iter().map(|r| r.version.get()).collect()
}

pub async fn log_actions<D: Driver>(m: &Migrator<'_>, d: &mut D) -> Vec<String> {
    m.log(d)
        .await
        .expect("log")
        .into_iter()
        .map(|r| {
            format!(
                "{}:{}:{}",
                r.action,
                r.version.map_or(0, |v| v.get()),
                r.outcome
            )
        })
        .collect()
}
