//! The behavioural suite every driver passes: the same tests, against real servers (SQLite
//! in-process), each on its own fresh database, in parallel.
//!
//! A backend's test file implements [`Connect`] and calls [`driver_suite!`].

#![allow(dead_code, unreachable_pub)]

mod drift;
pub use drift::*;

use std::future::Future;
use std::time::Duration;

use migrate_core::driver::{Batch, BatchError, BatchPart, Driver, DriverError, LockOutcome, Row};
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
pub use session::*;
mod lost;
pub use lost::*;

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
#[macro_export]
macro_rules! driver_suite {
    ($connector:expr; $($test:ident),* $(,)?) => {
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
        driver_suite!($connector;
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
            failed_row_resumes_after_the_cause_is_fixed,
            failed_row_is_repaired_after_manual_cleanup,
            lock_timeout_names_the_holder,
            lock_is_released_after_a_failed_migration,
            lock_is_released_when_the_future_is_dropped,
            retry_after_a_timeout_on_the_same_driver_frees_the_lock,
            lost_connection_says_the_outcome_is_unknown_and_resume_asks_for_a_choice,
            no_op_start_up_is_one_round_trip,
            no_op_shortcut_hands_anything_irregular_to_the_locked_path,
            batch_stops_at_and_names_the_failing_statement,
            mysql_journal_writes_travel_with_the_statements,
            mysql_a_call_travels_alone_and_a_failure_after_it_is_placed,
            mysql_a_long_script_travels_in_bounded_batches,
            mysql_failure_keeps_the_journal_writes_its_transaction_held,
            mysql_refused_journal_write_leaves_a_truthful_row,
            mysql_closing_write_rides_with_a_last_ddl_statement,
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
            mysql_migrations_run_under_the_servers_session_defaults,
            server_error_keeps_its_number_and_sqlstate,
            edited_down_script_is_refused_until_accepted,
            resume_does_not_report_its_own_changes_as_drift,
            baseline_then_revert_reports_no_false_drift,
            drift_before_up_stays_reported_until_accepted,
            repair_reports_what_was_not_undone,
            empty_and_comment_only_scripts_apply_and_revert_as_no_ops,
            empty_scripts_revert_to_empty,
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

// ---------------------------------------------------------------------------------------------

pub async fn applies_to_latest_and_records_every_column<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    let report = m.up(&mut d, Target::Latest).await.expect("up");
    let applied: Vec<u32> = report.steps.iter().map(|s| s.version.get()).collect();
    assert_eq!(applied, [1, 2, 3]);
    assert!(report.steps.iter().all(|s| s.direction == Direction::Up));
    assert_eq!(report.steps[0].statements, 2);
    assert_eq!(user_tables(&mut d).await, ["posts", "tags", "users"]);
    assert_eq!(
        scalar(&mut d, "SELECT name FROM users WHERE id = 1")
            .await
            .as_deref(),
        Some("it's; a test")
    );

    let history = m.history(&mut d).await.expect("history");
    assert_eq!(versions(&history), [1, 2, 3]);
    let dialect = d.dialect();
    for (row, migration) in history.iter().zip(set.migrations()) {
        let up = migration.script(Direction::Up, dialect).expect("up");
        let down = migration.script(Direction::Down, dialect).expect("down");
        assert_eq!(row.description, migration.description());
        assert_eq!(row.script, up.path());
        assert_eq!(row.checksum, up.checksum());
        assert_eq!(row.down_checksum, Some(down.checksum()));
        assert_eq!(row.state, State::Applied);
        assert_eq!(row.direction, Direction::Up);
        assert_eq!(row.statements_done, 2);
        assert_eq!(row.statements_total, 2);
        assert_eq!(row.error, None);
        assert_eq!(row.applied_by, "suite@test");
        assert!(
            row.applied_at.starts_with("20"),
            "applied_at: {}",
            row.applied_at
        );
    }
    assert_eq!(history[0].description, "users");

    let log = m.log(&mut d).await.expect("log");
    assert_eq!(log.len(), 3);
    for (entry, n) in log.iter().zip(1..) {
        assert_eq!(entry.version, Some(v(n)));
        assert_eq!(
            (entry.action.as_str(), entry.outcome.as_str()),
            ("up", "ok")
        );
        assert_eq!(entry.actor, "suite@test");
        assert!(entry.logged_at.starts_with("20"));
    }
    assert!(log.windows(2).all(|w| w[0].id < w[1].id));

    // Again: nothing to do.
    assert!(m
        .up(&mut d, Target::Latest)
        .await
        .expect("no-op")
        .steps
        .is_empty());
}

pub async fn applies_to_a_target_then_the_rest<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Version(v(2))).await.expect("up to 2");
    assert_eq!(versions(&m.history(&mut d).await.expect("history")), [1, 2]);
    assert_eq!(user_tables(&mut d).await, ["posts", "users"]);
    let report = m.up(&mut d, Target::Latest).await.expect("up");
    assert_eq!(report.steps.len(), 1);
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2, 3]
    );
    let unknown = m
        .up(&mut d, Target::Version(v(9)))
        .await
        .expect_err("unknown target");
    assert!(matches!(unknown, Error::UnknownTarget { .. }), "{unknown}");
}

pub async fn reverts_to_a_target_and_to_empty<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    let report = m
        .down(&mut d, Target::Version(v(1)))
        .await
        .expect("down to 1");
    let reverted: Vec<u32> = report.steps.iter().map(|s| s.version.get()).collect();
    assert_eq!(reverted, [3, 2]);
    assert!(report.steps.iter().all(|s| s.direction == Direction::Down));
    assert_eq!(versions(&m.history(&mut d).await.expect("history")), [1]);
    assert_eq!(user_tables(&mut d).await, ["users"]);
    // V3's column is gone, V1's data is intact.
    assert!(d.query("SELECT email FROM users").await.is_err());
    assert_eq!(
        scalar(&mut d, "SELECT name FROM users").await.as_deref(),
        Some("it's; a test")
    );

    m.down(&mut d, Target::Empty).await.expect("down to empty");
    assert!(m.history(&mut d).await.expect("history").is_empty());
    assert!(user_tables(&mut d).await.is_empty());
    assert_eq!(
        log_actions(&m, &mut d).await,
        [
            "up:1:ok",
            "up:2:ok",
            "up:3:ok",
            "down:3:ok",
            "down:2:ok",
            "down:1:ok"
        ]
    );
    // And up again from nothing.
    m.up(&mut d, Target::Latest).await.expect("up again");
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2, 3]
    );
}

pub async fn redo_reverts_and_reapplies_the_newest<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Version(v(2))).await.expect("up");
    let report = m.redo(&mut d).await.expect("redo");
    let steps: Vec<(u32, Direction)> = report
        .steps
        .iter()
        .map(|s| (s.version.get(), s.direction))
        .collect();
    assert_eq!(steps, [(2, Direction::Down), (2, Direction::Up)]);
    assert_eq!(versions(&m.history(&mut d).await.expect("history")), [1, 2]);
    assert_eq!(user_tables(&mut d).await, ["posts", "users"]);
    assert_eq!(
        log_actions(&m, &mut d).await,
        ["up:1:ok", "up:2:ok", "down:2:ok", "up:2:ok"]
    );
}

/// Runs the up scripts of versions 1 to `last` statement by statement, without the runner: a
/// database built before migrate.
pub async fn apply_by_hand<D: Driver>(set: &MigrationSet, d: &mut D, last: u32) {
    for n in 1..=last {
        let script = set
            .get(v(n))
            .and_then(|mg| mg.script(Direction::Up, d.dialect()))
            .expect("script");
        for statement in migrate_core::split::split(script.sql(), d.dialect()).expect("split") {
            d.execute(statement.sql).await.expect("by hand");
        }
    }
}

pub async fn baseline_adopts_an_existing_schema<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    // A database built before migrate: versions 1 and 2 by hand.
    apply_by_hand(&set, &mut d, 2).await;
    m.baseline(&mut d, v(2)).await.expect("baseline");
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(versions(&history), [1, 2]);
    assert!(history
        .iter()
        .all(|r| r.state == State::Applied && r.statements_total == 0));
    assert_eq!(log_actions(&m, &mut d).await, ["baseline:2:ok"]);
    let report = m.up(&mut d, Target::Latest).await.expect("up");
    assert_eq!(report.steps.len(), 1);
    assert_eq!(report.steps[0].version, v(3));
    let again = m.baseline(&mut d, v(1)).await.expect_err("second baseline");
    assert!(matches!(again, Error::BaselineNotEmpty { .. }), "{again}");
}

pub async fn dialect_variant_is_chosen_for_the_backend<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(&[
        ("V1/up.sql", "CREATE TABLE choice_for_shared (id INTEGER);"),
        (
            "V1/up.mysql.sql",
            "CREATE TABLE choice_for_mysql (id INTEGER) ENGINE = InnoDB;",
        ),
        (
            "V1/up.postgres.sql",
            "CREATE TABLE choice_for_postgres (id BIGINT GENERATED BY DEFAULT AS IDENTITY);",
        ),
        (
            "V1/up.sqlite.sql",
            "CREATE TABLE choice_for_sqlite (id INTEGER PRIMARY KEY AUTOINCREMENT);",
        ),
        ("V1/down.sql", "DROP TABLE choice_for_shared;"),
        ("V1/down.mysql.sql", "DROP TABLE choice_for_mysql;"),
        ("V1/down.postgres.sql", "DROP TABLE choice_for_postgres;"),
        ("V1/down.sqlite.sql", "DROP TABLE choice_for_sqlite;"),
    ]);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    let tag = d.dialect().tag();
    assert_eq!(user_tables(&mut d).await, [format!("choice_for_{tag}")]);
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(history[0].script, format!("V1/up.{tag}.sql"));
    m.down(&mut d, Target::Empty).await.expect("down");
    assert!(user_tables(&mut d).await.is_empty());
}

pub async fn missing_dialect_script_fails_before_anything_runs<C: Connect>(ctx: &Ctx<C>) {
    let mut d = ctx.driver().await;
    let dialect = d.dialect();
    let other = Dialect::ALL
        .into_iter()
        .find(|o| *o != dialect)
        .expect("another dialect");
    let tree = Tree::new(&[
        ("V1/up.sql", "CREATE TABLE first (id INTEGER);"),
        ("V1/down.sql", "DROP TABLE first;"),
        (
            &format!("V2/up.{}.sql", other.tag()),
            "CREATE TABLE second (id INTEGER);",
        ),
        ("V2/down.sql", "DROP TABLE second;"),
    ]);
    let set = tree.set();
    let m = migrator(&set);
    let err = m.up(&mut d, Target::Latest).await.expect_err("no script");
    match &err {
        Error::MissingDialectScript {
            version,
            direction,
            dialect: d2,
        } => {
            assert_eq!((*version, *direction, *d2), (v(2), Direction::Up, dialect));
        }
        other => panic!("unexpected: {other}"),
    }
    assert!(
        err.to_string()
            .contains(&format!("up.{}.sql", dialect.tag())),
        "{err}"
    );
    // Not even V1 ran, and no history table was created.
    assert!(tables(&mut d).await.is_empty());
}

pub async fn changed_checksum_is_refused_until_accepted<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let before = tree.set();
    let mut d = ctx.driver().await;
    migrator(&before)
        .up(&mut d, Target::Version(v(2)))
        .await
        .expect("up");
    tree.write("V1__users/up.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL);\nINSERT INTO users (id, name) VALUES (1, 'changed');\n");
    let after = tree.set();
    let m = migrator(&after);
    let err = m.up(&mut d, Target::Latest).await.expect_err("changed");
    match &err {
        Error::ChecksumMismatch {
            version,
            recorded,
            embedded,
            ..
        } => {
            assert_eq!(*version, v(1));
            assert_ne!(recorded, embedded);
        }
        other => panic!("unexpected: {other}"),
    }
    assert!(
        err.to_string().contains("accept-checksum --version 1"),
        "{err}"
    );
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2],
        "V3 must not run"
    );
    assert!(m.validate(&mut d).await.is_err());
    m.accept_checksum(&mut d, v(1)).await.expect("accept");
    m.validate(&mut d).await.expect("valid after accepting");
    assert!(log_actions(&m, &mut d)
        .await
        .contains(&"accept-checksum:1:ok".to_owned()));
    m.up(&mut d, Target::Latest)
        .await
        .expect("up after accepting");
}

pub async fn database_newer_than_binary_is_refused<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let mut d = ctx.driver().await;
    migrator(&set).up(&mut d, Target::Latest).await.expect("up");
    let older = Tree::new(&BASIC[..4]);
    let old_set = older.set();
    let m = migrator(&old_set);
    for err in [
        m.up(&mut d, Target::Latest).await.expect_err("newer db"),
        m.down(&mut d, Target::Empty).await.expect_err("newer db"),
    ] {
        match &err {
            Error::UnknownVersion {
                version,
                latest_known,
            } => {
                assert_eq!((*version, *latest_known), (v(3), Some(v(2))));
            }
            other => panic!("unexpected: {other}"),
        }
    }
    assert_eq!(user_tables(&mut d).await, ["posts", "tags", "users"]);
}

pub async fn out_of_order_version_is_refused_unless_allowed<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    // Simulate V2 merged late: V3 applied, V2 not.
    d.execute("DROP TABLE posts").await.expect("drop");
    d.execute("DELETE FROM schema_history WHERE version = 2")
        .await
        .expect("delete");
    let err = m
        .up(&mut d, Target::Latest)
        .await
        .expect_err("out of order");
    match &err {
        Error::OutOfOrder {
            version,
            newest_applied,
        } => assert_eq!((*version, *newest_applied), (v(2), v(3))),
        other => panic!("unexpected: {other}"),
    }
    let allowing = Migrator::with_config(&set, config().out_of_order(OutOfOrder::Allow));
    let report = allowing.up(&mut d, Target::Latest).await.expect("allowed");
    assert_eq!(report.steps.len(), 1);
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2, 3]
    );
}

pub async fn irreversible_version_refuses_revert<C: Connect>(ctx: &Ctx<C>) {
    let mut files = BASIC.to_vec();
    files[3] = (
        "V2__posts/down.sql",
        "-- migrate:irreversible\n-- posts cannot be restored\n",
    );
    let tree = Tree::new(&files);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    let err = m
        .down(&mut d, Target::Version(v(1)))
        .await
        .expect_err("irreversible");
    assert!(
        matches!(&err, Error::Irreversible { version, .. } if *version == v(2)),
        "{err}"
    );
    // Refused before anything ran: V3 is still applied.
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2, 3]
    );
    m.down(&mut d, Target::Version(v(2)))
        .await
        .expect("down to 2 is allowed");
    assert_eq!(versions(&m.history(&mut d).await.expect("history")), [1, 2]);
}

/// V2's third statement fails (a table V2's second statement did not create).
const FAILING: &[(&str, &str)] = &[
    ("V1__base/up.sql", "CREATE TABLE base (id INTEGER);"),
    ("V1__base/down.sql", "DROP TABLE base;"),
    (
        "V2__breaks/up.sql",
        "CREATE TABLE first_part (id INTEGER);\n\
         INSERT INTO base (id) VALUES (7);\n\
         INSERT INTO missing_table (id) VALUES (1);\n\
         CREATE TABLE last_part (id INTEGER);\n",
    ),
    (
        "V2__breaks/down.sql",
        "DROP TABLE last_part;\nDROP TABLE first_part;\nDELETE FROM base;\n",
    ),
];

pub async fn failing_statement_is_rolled_back_or_journaled<C: Connect>(ctx: &Ctx<C>) {
    failing_statement_case(ctx, config()).await;
}

/// With fingerprints off, PostgreSQL sends a whole version (BEGIN, statements, history and log
/// rows, COMMIT) as one batch: the failing statement is still named.
pub async fn failing_statement_is_named_with_fingerprints_off<C: Connect>(ctx: &Ctx<C>) {
    failing_statement_case(ctx, config().fingerprints(Fingerprints::Off)).await;
}

/// PostgreSQL parses a whole batch before running any of it: a syntax error in the third
/// statement is found by its position and named, and nothing of the version remains.
pub async fn syntax_error_names_its_statement<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(&[
        ("V1__base/up.sql", "CREATE TABLE base (id INTEGER);\n"),
        ("V1__base/down.sql", "DROP TABLE base;\n"),
        (
            "V2__typo/up.sql",
            "CREATE TABLE first_part (id INTEGER);\n\
             INSERT INTO base (id) VALUES (1);\n\
             -- the typo:\n\
             CREATE TABLE oops (id INTEGER,,);\n",
        ),
        ("V2__typo/down.sql", "DROP TABLE first_part;\n"),
    ]);
    let set = tree.set();
    for fingerprints in [Fingerprints::Off, Fingerprints::EveryVersion] {
        let m = Migrator::with_config(&set, config().fingerprints(fingerprints));
        let mut d = ctx.driver().await;
        let err = m.up(&mut d, Target::Latest).await.expect_err("fails");
        let Error::StatementFailed {
            version,
            statement,
            line,
            ..
        } = &err
        else {
            panic!("unexpected: {err}");
        };
        assert_eq!((*version, *statement, *line), (v(2), 3, 4), "{err}");
        if d.dialect() == Dialect::MySql {
            // Journaled: the first two statements ran; clean up for the second round.
            d.execute("DROP TABLE first_part").await.expect("clean up");
            d.execute("DELETE FROM base").await.expect("clean up");
            m.repair(&mut d).await.expect("repair");
        } else {
            assert_eq!(user_tables(&mut d).await, ["base"]);
            assert_eq!(count(&mut d, "base").await, "0");
        }
    }
}

/// A failing statement of a down script is named, and (PostgreSQL, SQLite) the version stays
/// applied with its schema intact.
pub async fn failing_down_statement_is_named<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(&[
        ("V1__base/up.sql", "CREATE TABLE base (id INTEGER);\n"),
        ("V1__base/down.sql", "DROP TABLE base;\n"),
        (
            "V2__more/up.sql",
            "CREATE TABLE more_things (id INTEGER);\n",
        ),
        (
            "V2__more/down.sql",
            "DROP TABLE more_things;\nDROP TABLE missing_table;\n",
        ),
    ]);
    let set = tree.set();
    let m = Migrator::with_config(&set, config().fingerprints(Fingerprints::Off));
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    let err = m.down(&mut d, Target::Empty).await.expect_err("fails");
    let Error::StatementFailed {
        version,
        direction,
        statement,
        line,
        ..
    } = &err
    else {
        panic!("unexpected: {err}");
    };
    assert_eq!(
        (*version, *direction, *statement, *line),
        (v(2), Direction::Down, 2, 2),
        "{err}"
    );
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(versions(&history), [1, 2]);
    if d.dialect() == Dialect::MySql {
        assert_eq!(history[1].state, State::Failed);
        assert_eq!(user_tables(&mut d).await, ["base"]);
    } else {
        assert_eq!(history[1].state, State::Applied);
        assert_eq!(user_tables(&mut d).await, ["base", "more_things"]);
    }
    assert_eq!(
        log_actions(&m, &mut d).await,
        ["up:1:ok", "up:2:ok", "down:2:failed"]
    );
}

async fn failing_statement_case<C: Connect>(ctx: &Ctx<C>, config: Config) {
    let tree = Tree::new(FAILING);
    let set = tree.set();
    let m = Migrator::with_config(&set, config);
    let mut d = ctx.driver().await;
    let err = m.up(&mut d, Target::Latest).await.expect_err("fails");
    let Error::StatementFailed {
        version,
        statement,
        line,
        atomic,
        script,
        ..
    } = &err
    else {
        panic!("unexpected: {err}");
    };
    assert_eq!(
        (*version, *statement, *line, script.as_str()),
        (v(2), 3, 3, "V2__breaks/up.sql")
    );
    let history = m.history(&mut d).await.expect("history");
    match d.dialect() {
        Dialect::Postgres | Dialect::Sqlite => {
            assert!(atomic);
            // No trace: V1 applied and committed, V2's first statements rolled back.
            assert_eq!(versions(&history), [1]);
            assert_eq!(user_tables(&mut d).await, ["base"]);
            assert_eq!(count(&mut d, "base").await, "0");
        }
        Dialect::MySql => {
            assert!(!atomic);
            assert_eq!(versions(&history), [1, 2]);
            let row = &history[1];
            assert_eq!(row.state, State::Failed);
            assert_eq!((row.statements_done, row.statements_total), (2, 4));
            assert!(
                row.error
                    .as_deref()
                    .is_some_and(|e| e.contains("missing_table")),
                "{row:?}"
            );
            assert_eq!(user_tables(&mut d).await, ["base", "first_part"]);
        }
    }
    assert_eq!(log_actions(&m, &mut d).await, ["up:1:ok", "up:2:failed"]);
}

pub async fn failed_row_resumes_after_the_cause_is_fixed<C: Connect>(ctx: &Ctx<C>) {
    let mut d = ctx.driver().await;
    let Some(tree) = journaled_failure(d.dialect()) else {
        return; // SQLite never leaves a failed row: every migration is atomic.
    };
    let set = tree.set();
    let m = migrator(&set);
    m.up(&mut d, Target::Latest).await.expect_err("fails");
    let refused = m.up(&mut d, Target::Latest).await.expect_err("refused");
    match &refused {
        Error::FailedMigration {
            version,
            statement,
            statements_total,
            error,
            ..
        } => {
            assert_eq!((*version, *statement, *statements_total), (v(2), 3, 4));
            assert!(error.is_some());
        }
        other => panic!("unexpected: {other}"),
    }
    let message = refused.to_string();
    assert!(
        message.contains("resume") && message.contains("repair"),
        "{message}"
    );
    // Fix the cause, then resume from the failed statement.
    d.execute("CREATE TABLE missing_table (id INTEGER)")
        .await
        .expect("fix");
    let report = m.resume(&mut d, Resume::AfterFix).await.expect("resume");
    assert_eq!(report.steps[0].statements, 2);
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(history[1].state, State::Applied);
    assert_eq!(history[1].statements_done, 4);
    assert_eq!(
        user_tables(&mut d).await,
        ["base", "first_part", "last_part", "missing_table"]
    );
    assert_eq!(count(&mut d, "base").await, "1", "statement 2 ran once");
    assert_eq!(
        log_actions(&m, &mut d).await,
        ["up:1:ok", "up:2:failed", "resume:2:ok"]
    );
    m.validate(&mut d).await.expect("valid");
}

pub async fn failed_row_is_repaired_after_manual_cleanup<C: Connect>(ctx: &Ctx<C>) {
    let mut d = ctx.driver().await;
    let Some(tree) = journaled_failure(d.dialect()) else {
        let tree = Tree::new(BASIC);
        let set = tree.set();
        let err = migrator(&set)
            .repair(&mut d)
            .await
            .expect_err("nothing to repair");
        assert!(matches!(err, Error::NothingToRepair), "{err}");
        return;
    };
    let set = tree.set();
    let m = migrator(&set);
    m.up(&mut d, Target::Latest).await.expect_err("fails");
    // Undo statements 1 and 2 by hand, then repair.
    d.execute("DROP TABLE first_part").await.expect("clean up");
    d.execute("DELETE FROM base").await.expect("clean up");
    m.repair(&mut d).await.expect("repair");
    assert_eq!(versions(&m.history(&mut d).await.expect("history")), [1]);
    assert_eq!(
        log_actions(&m, &mut d).await,
        ["up:1:ok", "up:2:failed", "repair:2:ok"]
    );
    d.execute("CREATE TABLE missing_table (id INTEGER)")
        .await
        .expect("fix");
    m.up(&mut d, Target::Latest).await.expect("up after repair");
    assert_eq!(versions(&m.history(&mut d).await.expect("history")), [1, 2]);
}

/// A tree whose V2 fails at statement 3 of 4 and is journaled on this backend: always on
/// MySQL/MariaDB, with `-- migrate:no-transaction` on PostgreSQL, never on SQLite.
fn journaled_failure(dialect: Dialect) -> Option<Tree> {
    let tree = Tree::new(FAILING);
    match dialect {
        Dialect::MySql => Some(tree),
        Dialect::Postgres => {
            tree.write(
                "V2__breaks/up.sql",
                &format!("-- migrate:no-transaction\n{}", FAILING[2].1),
            );
            // The directive shifts every line by one; statement numbers stay.
            Some(tree)
        }
        Dialect::Sqlite => None,
    }
}

pub async fn lock_timeout_names_the_holder<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = Migrator::with_config(&set, config().lock_timeout(Duration::from_millis(1200)));
    let mut holder = ctx.driver().await;
    if holder.dialect() == Dialect::Sqlite {
        // The SQLite lock is a write transaction: create the file's schema first.
        holder
            .execute("CREATE TABLE warm (id INTEGER)")
            .await
            .expect("create");
    }
    assert_eq!(
        holder
            .lock(&m.lock_name(), Duration::from_secs(5))
            .await
            .expect("lock"),
        LockOutcome::Acquired
    );
    let mut waiter = ctx.driver().await;
    let started = std::time::Instant::now();
    let err = m
        .up(&mut waiter, Target::Latest)
        .await
        .expect_err("times out");
    let waited = started.elapsed();
    let Error::LockTimeout { holder: who, .. } = &err else {
        panic!("unexpected: {err}");
    };
    assert!(
        waited >= Duration::from_millis(1000),
        "gave up after {waited:?}"
    );
    assert!(waited < Duration::from_secs(10), "waited {waited:?}");
    match holder.dialect() {
        Dialect::Sqlite => assert_eq!(*who, None),
        _ => assert!(
            who.as_deref()
                .is_some_and(|h| h.contains("connection") || h.contains("pid")),
            "{err}"
        ),
    }
    holder.unlock(&m.lock_name()).await.expect("unlock");
    m.up(&mut waiter, Target::Latest)
        .await
        .expect("up once released");
}

pub async fn lock_is_released_after_a_failed_migration<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(FAILING);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect_err("fails");
    let mut other = ctx.driver().await;
    let outcome = other
        .lock(&m.lock_name(), Duration::from_secs(2))
        .await
        .expect("lock");
    assert_eq!(
        outcome,
        LockOutcome::Acquired,
        "the failed run left the lock held"
    );
    other.unlock(&m.lock_name()).await.expect("unlock");
}

pub async fn lock_is_released_when_the_future_is_dropped<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(&[
        ("V1/up.sql", "CREATE TABLE before_sleep (id INTEGER);"),
        ("V1/down.sql", "DROP TABLE before_sleep;"),
        ("V2/up.mysql.sql", "SELECT SLEEP(3);"),
        ("V2/up.postgres.sql", "SELECT pg_sleep(3);"),
        (
            "V2/up.sqlite.sql",
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000000) SELECT COUNT(*) FROM c;",
        ),
        ("V2/down.sql", "SELECT 1;"),
    ]);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    let cancelled =
        tokio::time::timeout(Duration::from_millis(500), m.up(&mut d, Target::Latest)).await;
    assert!(cancelled.is_err(), "the migration should still be running");
    drop(d);
    let mut other = ctx.driver().await;
    // On SQLite the dropped connection closes only once its statement finishes (several
    // seconds, far more on a loaded machine): wait long enough not to depend on the load.
    let outcome = other
        .lock(&m.lock_name(), Duration::from_secs(120))
        .await
        .expect("lock");
    assert_eq!(outcome, LockOutcome::Acquired);
    other.unlock(&m.lock_name()).await.expect("unlock");
}

/// A caller that wraps `up` in a timeout and keeps the driver: the dropped command leaves the
/// lock held (re-entrant on MySQL/MariaDB and PostgreSQL) and a transaction open; the retry on
/// the same driver must free both, run outside the old transaction, and leave the lock free.
pub async fn retry_after_a_timeout_on_the_same_driver_frees_the_lock<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(&[
        ("V1/up.sql", "CREATE TABLE before_sleep (id INTEGER);"),
        ("V1/down.sql", "DROP TABLE before_sleep;"),
        (
            "V2/up.mysql.sql",
            "SELECT SLEEP(2);\nCREATE TABLE after_sleep (id INTEGER);",
        ),
        (
            "V2/up.postgres.sql",
            "SELECT pg_sleep(2);\nCREATE TABLE after_sleep (id INTEGER);",
        ),
        (
            "V2/up.sqlite.sql",
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000000) SELECT COUNT(*) FROM c;\n\
             CREATE TABLE after_sleep (id INTEGER);",
        ),
        ("V2/down.sql", "DROP TABLE after_sleep;"),
    ]);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    let cancelled =
        tokio::time::timeout(Duration::from_millis(500), m.up(&mut d, Target::Latest)).await;
    assert!(cancelled.is_err(), "the migration should still be running");
    match m.up(&mut d, Target::Latest).await {
        Ok(_) => {}
        // MySQL/MariaDB: the abandoned session was given up mid-batch, like a killed client's;
        // where the server stopped, the row says which statement's outcome is unknown. The
        // operator's check: the statement did its work when its table exists.
        Err(Error::FailedMigration {
            version,
            error: None,
            ..
        }) if d.dialect() == Dialect::MySql && version.get() == 2 => {
            let choice = match tables(&mut d).await.contains(&"after_sleep".to_owned()) {
                true => Resume::Skip,
                false => Resume::Rerun,
            };
            m.resume(&mut d, choice).await.expect("resume");
        }
        Err(e) => panic!("retry: {e}"),
    }
    if d.dialect() == Dialect::Postgres {
        // Outside a transaction block every statement is its own transaction.
        let rows = d
            .query("SELECT (now() = statement_timestamp())::text")
            .await
            .expect("query");
        assert_eq!(
            rows[0][0].as_deref(),
            Some("true"),
            "still inside the old transaction"
        );
    }
    let mut other = ctx.driver().await;
    let outcome = other
        .lock(&m.lock_name(), Duration::from_secs(5))
        .await
        .expect("lock");
    assert_eq!(
        outcome,
        LockOutcome::Acquired,
        "the retry left the lock held"
    );
    other.unlock(&m.lock_name()).await.expect("unlock");
    let applied = m.history(&mut other).await.expect("history");
    let states: Vec<(u32, State)> = applied.iter().map(|r| (r.version.get(), r.state)).collect();
    assert_eq!(states, [(1, State::Applied), (2, State::Applied)]);
    assert!(tables(&mut other).await.contains(&"after_sleep".to_owned()));
    // A retry of a later command on the same driver needs no recovery and changes nothing.
    assert!(m
        .up(&mut d, Target::Latest)
        .await
        .expect("again")
        .steps
        .is_empty());
}

/// Counts calls into a driver; every call is one round trip (the first `query_repeated` of a
/// text on PostgreSQL is two: it prepares the statement).
pub struct Counting<D> {
    pub inner: D,
    pub calls: Vec<String>,
}

impl<D> Counting<D> {
    /// Counts what goes through `inner`, from nothing.
    pub fn new(inner: D) -> Counting<D> {
        Counting {
            inner,
            calls: Vec::new(),
        }
    }
}

impl<D: Driver> Driver for Counting<D> {
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }
    async fn execute(&mut self, sql: &str) -> Result<(), DriverError> {
        self.calls.push(sql.to_owned());
        self.inner.execute(sql).await
    }
    async fn query(&mut self, sql: &str) -> Result<Vec<Row>, DriverError> {
        self.calls.push(sql.to_owned());
        self.inner.query(sql).await
    }
    async fn query_repeated(&mut self, sql: &str) -> Result<Vec<Row>, DriverError> {
        self.calls.push(format!("repeated {sql}"));
        self.inner.query_repeated(sql).await
    }
    async fn query_each<F>(&mut self, sql: &str, visit: F) -> Result<(), DriverError>
    where
        F: FnMut(&[Option<&str>]) + Send,
    {
        self.calls.push(sql.to_owned());
        self.inner.query_each(sql, visit).await
    }
    async fn execute_batch(&mut self, batch: Batch<'_>) -> Result<(), BatchError> {
        self.calls.push(format!("batch {batch:?}"));
        self.inner.execute_batch(batch).await
    }
    async fn lock(&mut self, name: &str, timeout: Duration) -> Result<LockOutcome, DriverError> {
        self.calls.push(format!("lock {name}"));
        self.inner.lock(name, timeout).await
    }
    async fn unlock(&mut self, name: &str) -> Result<(), DriverError> {
        self.calls.push(format!("unlock {name}"));
        self.inner.unlock(name).await
    }
    async fn begin(&mut self) -> Result<(), DriverError> {
        self.calls.push("begin".into());
        self.inner.begin().await
    }
    async fn commit(&mut self) -> Result<(), DriverError> {
        self.calls.push("commit".into());
        self.inner.commit().await
    }
    async fn rollback(&mut self) -> Result<(), DriverError> {
        self.calls.push("rollback".into());
        self.inner.rollback().await
    }
}

/// MySQL/MariaDB journal every statement, but the journal writes go in the same round trip as
/// the statements, and a script's statements in one round trip: a statement that keeps a
/// transaction open commits together with the write that records it (and the writes still
/// owed), the write that records a DDL statement goes just before the next statement, and the
/// closing write (history row and log row) goes with the last statement when nothing has to be
/// described in between. The server times the step, the last statement included.
pub async fn mysql_journal_writes_travel_with_the_statements<C: Connect>(ctx: &Ctx<C>) {
    let mut d = Counting::new(ctx.driver().await);
    if d.dialect() != Dialect::MySql {
        return; // PostgreSQL and SQLite run each version as one transaction, not journaled.
    }
    let tree = Tree::new(&[
        (
            "V1__timed/up.sql",
            "CREATE TABLE timed (id INTEGER);\n\
             INSERT INTO timed (id) VALUES (1);\n\
             CREATE INDEX timed_id ON timed (id);\n\
             ALTER TABLE timed ADD COLUMN note VARCHAR(20) NULL;\n\
             UPDATE timed SET note = 'a;b' WHERE id = 1;\n\
             DO SLEEP(0.3);\n",
        ),
        (
            "V1__timed/down.sql",
            "DELETE FROM timed;\nDROP TABLE timed;\n",
        ),
    ]);
    let set = tree.set();
    let m = Migrator::with_config(&set, config().fingerprints(Fingerprints::Off));
    let batches = |calls: &[String]| calls.iter().filter(|c| c.starts_with("batch")).count();

    m.up(&mut d, Target::Latest).await.expect("up");
    // One round trip for the script and its journal: the journal row first, the DDL
    // statements' records ahead of the statements after them, and the closing write with the
    // last statement.
    assert_eq!(batches(&d.calls), 1, "{:#?}", d.calls);
    assert!(
        !d.calls
            .iter()
            .any(|c| c.contains("statements_done = ") && !c.starts_with("batch")),
        "a journal write went alone: {:#?}",
        d.calls
    );
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(history[0].state, State::Applied);
    assert_eq!(history[0].statements_done, 6);
    assert!(
        history[0].execution_ms >= 300,
        "the server's timing includes the last statement: {} ms",
        history[0].execution_ms
    );
    let log = m.log(&mut d).await.expect("log");
    assert!(log[0].duration_ms >= 300, "{:?}", log[0]);
    assert_eq!(count(&mut d, "timed").await, "1");

    d.calls.clear();
    m.down(&mut d, Target::Empty).await.expect("down");
    // DELETE with its record, then DROP with the row removed and the log row: one batch.
    assert_eq!(batches(&d.calls), 1, "{:#?}", d.calls);
    assert!(m.history(&mut d).await.expect("history").is_empty());
    assert_eq!(log_actions(&m, &mut d).await, ["up:1:ok", "down:1:ok"]);

    // With fingerprints on, the schema is described after the last statement and before the
    // closing write, which then takes its own round trip.
    let m = migrator(&set);
    d.calls.clear();
    m.up(&mut d, Target::Latest).await.expect("up");
    assert_eq!(batches(&d.calls), 2, "{:#?}", d.calls);
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(
        (history[0].state, history[0].statements_done),
        (State::Applied, 6)
    );
    assert!(history[0].fingerprint.is_some());
}

/// A `CALL` sends back one result per statement its routine runs, so in a batch the results
/// read before an error would no longer say which part failed: it travels alone, and a failure
/// after it is still placed exactly (row, error, resume).
pub async fn mysql_a_call_travels_alone_and_a_failure_after_it_is_placed<C: Connect>(ctx: &Ctx<C>) {
    let mut d = Counting::new(ctx.driver().await);
    if d.dialect() != Dialect::MySql {
        return; // PostgreSQL and SQLite run each version as one transaction, not journaled.
    }
    let tree = Tree::new(&[
        (
            "V1__called/up.sql",
            "CREATE TABLE called (id INTEGER);
             CREATE PROCEDURE fill_called() BEGIN INSERT INTO called VALUES (10);              SELECT id FROM called; SELECT 2; END;
             INSERT INTO called (id) VALUES (1);
             CALL fill_called();
             INSERT INTO called (id) VALUES (2);
             INSERT INTO called_later (id) VALUES (3);
             INSERT INTO called (id) VALUES (4);
",
        ),
        (
            "V1__called/down.sql",
            "DROP PROCEDURE fill_called;
DROP TABLE called;
",
        ),
    ]);
    let set = tree.set();
    let m = Migrator::with_config(&set, config().fingerprints(Fingerprints::Off));
    let batches = |calls: &[String]| calls.iter().filter(|c| c.starts_with("batch")).count();
    let err = m.up(&mut d, Target::Latest).await.expect_err("fails");
    assert!(
        matches!(
            err,
            Error::StatementFailed {
                statement: 6,
                line: 6,
                ..
            }
        ),
        "{err}"
    );
    // The statements before the CALL, the CALL, the statements after it (up to the failure),
    // then the failure's record.
    let sent: Vec<&String> = d.calls.iter().filter(|c| c.starts_with("batch")).collect();
    assert_eq!(sent.len(), 4, "{:#?}", d.calls);
    assert!(sent[1].contains("CALL fill_called()"), "{:#?}", sent);
    assert!(
        !sent[0].contains("CALL") && !sent[2].contains("CALL"),
        "{sent:#?}"
    );
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(
        (history[0].state, history[0].statements_done),
        (State::Failed, 5),
        "every statement before the failed one is recorded as done: {history:?}"
    );
    assert!(history[0]
        .error
        .as_deref()
        .unwrap_or("")
        .contains("called_later"));
    // The rows of statements 3 to 5 (the CALL's included) committed; the failed one's did not.
    assert_eq!(count(&mut d, "called").await, "3");

    // Resuming after the fix runs the failed statement and the one after it, in one batch.
    d.execute("CREATE TABLE called_later (id INTEGER)")
        .await
        .expect("fix");
    d.calls.clear();
    let report = m.resume(&mut d, Resume::AfterFix).await.expect("resume");
    assert_eq!(report.steps[0].statements, 2);
    assert_eq!(batches(&d.calls), 1, "{:#?}", d.calls);
    assert_eq!(count(&mut d, "called").await, "4");
    assert_eq!(count(&mut d, "called_later").await, "1");
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(
        (history[0].state, history[0].statements_done),
        (State::Applied, 7)
    );

    // MariaDB's `SET STATEMENT … FOR CALL` sends back the routine's results too; a last
    // statement that fails after results of its own is placed as well.
    tree.write(
        "V2__called_again/up.sql",
        "INSERT INTO called (id) VALUES (20);\n\
         SET STATEMENT max_statement_time = 0 FOR CALL fill_called();\n\
         INSERT INTO called_nowhere (id) VALUES (21);\n",
    );
    tree.write(
        "V2__called_again/down.sql",
        "DELETE FROM called WHERE id >= 20;\n",
    );
    tree.write(
        "V3__call_fails/up.sql",
        "CREATE PROCEDURE fail_after_rows() BEGIN SELECT 1; INSERT INTO called_nowhere VALUES (1); END;\n\
         CALL fail_after_rows();\n",
    );
    tree.write(
        "V3__call_fails/down.sql",
        "DROP PROCEDURE fail_after_rows;\n",
    );
    let set = tree.set();
    let m = Migrator::with_config(&set, config().fingerprints(Fingerprints::Off));
    up_fails_at(&m, &mut d, 3, (1, 2)).await;
    d.execute("CREATE TABLE called_nowhere (id INTEGER)")
        .await
        .expect("fix");
    // `resume` finishes V2 only. Without the table again, V3's CALL sends back a result set
    // and then fails inside its routine: as the last statement, it carries no closing write.
    m.resume(&mut d, Resume::AfterFix).await.expect("resume");
    d.execute("DROP TABLE called_nowhere").await.expect("drop");
    // The failed CALL is not recorded as done.
    up_fails_at(&m, &mut d, 2, (2, 1)).await;
}

/// `up` fails at `statement` (on the line of the same number), and history row `row` is
/// failed with `done` statements done.
async fn up_fails_at<D: Driver>(
    m: &Migrator<'_>,
    d: &mut D,
    statement: u32,
    (row, done): (usize, u32),
) {
    let err = m.up(d, Target::Latest).await.expect_err("fails");
    assert!(
        matches!(err, Error::StatementFailed { statement: s, line, .. } if s == statement && line == statement),
        "{err}"
    );
    let history = m.history(d).await.expect("history");
    assert_eq!(
        (history[row].state, history[row].statements_done),
        (State::Failed, done),
        "{history:?}"
    );
}

/// A long script is cut into batches of about a mebibyte, so that no batch comes near the
/// server's `max_allowed_packet`; a statement longer than that goes alone.
pub async fn mysql_a_long_script_travels_in_bounded_batches<C: Connect>(ctx: &Ctx<C>) {
    let mut d = Counting::new(ctx.driver().await);
    if d.dialect() != Dialect::MySql {
        return; // PostgreSQL and SQLite run each version as one transaction, not journaled.
    }
    let text = "x".repeat(400_000);
    let long = "y".repeat(1_200_000);
    let up = format!(
        "CREATE TABLE long_texts (id INTEGER, body LONGTEXT);\n\
         INSERT INTO long_texts VALUES (1, '{text}');\n\
         INSERT INTO long_texts VALUES (2, '{text}');\n\
         INSERT INTO long_texts VALUES (3, '{text}');\n\
         INSERT INTO long_texts VALUES (4, '{long}');\n\
         INSERT INTO long_texts VALUES (5, 'short');\n"
    );
    let tree = Tree::new(&[
        ("V1__long/up.sql", up.as_str()),
        ("V1__long/down.sql", "DROP TABLE long_texts;\n"),
    ]);
    let set = tree.set();
    let m = Migrator::with_config(&set, config().fingerprints(Fingerprints::Off));
    m.up(&mut d, Target::Latest).await.expect("up");
    let sizes: Vec<usize> = d
        .calls
        .iter()
        .filter(|c| c.starts_with("batch"))
        .map(String::len)
        .collect();
    // CREATE and the first two INSERTs; the third; the long one alone; the last with the
    // closing write.
    assert_eq!(sizes.len(), 4, "batch sizes: {sizes:?}");
    assert!(sizes[0] > 800_000 && sizes[0] < 1 << 20, "{sizes:?}");
    assert!(sizes[2] > 1_200_000 && sizes[3] < 10_000, "{sizes:?}");
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(
        (history[0].state, history[0].statements_done),
        (State::Applied, 6)
    );
    assert_eq!(count(&mut d, "long_texts").await, "5");
}

/// A statement that fails in its transaction rolls back the journal writes that shared it (the
/// journal row itself, or the record of the DDL statement before it): they are made again, so
/// that the failed row says exactly how far the step got.
pub async fn mysql_failure_keeps_the_journal_writes_its_transaction_held<C: Connect>(ctx: &Ctx<C>) {
    let mut d = ctx.driver().await;
    if d.dialect() != Dialect::MySql {
        return; // PostgreSQL and SQLite run each version as one transaction, not journaled.
    }
    let tree = Tree::new(&[
        // The first statement fails: the journal row was in its transaction.
        ("V1__first/up.sql", "INSERT INTO nowhere (id) VALUES (1);\n"),
        ("V1__first/down.sql", "DELETE FROM somewhere;\n"),
    ]);
    let set = tree.set();
    let m = migrator(&set);
    let err = m.up(&mut d, Target::Latest).await.expect_err("fails");
    assert!(
        matches!(err, Error::StatementFailed { statement: 1, .. }),
        "{err}"
    );
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(history.len(), 1, "the failed row exists: {history:?}");
    assert_eq!(
        (history[0].state, history[0].statements_done),
        (State::Failed, 0)
    );
    assert!(history[0]
        .error
        .as_deref()
        .unwrap_or("")
        .contains("nowhere"));

    // A DDL statement, then a failing DML statement whose transaction carried the DDL
    // statement's record: the failure record says how many statements completed.
    m.repair(&mut d).await.expect("repair");
    tree.write(
        "V1__first/up.sql",
        "CREATE TABLE first_made (id INTEGER);\nINSERT INTO nowhere (id) VALUES (1);\n",
    );
    let set = tree.set();
    let m = migrator(&set);
    m.up(&mut d, Target::Latest).await.expect_err("fails");
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(
        (history[0].state, history[0].statements_done),
        (State::Failed, 1),
        "the CREATE is recorded as done: {history:?}"
    );
    // Resuming after the fix runs only the failed statement.
    d.execute("CREATE TABLE nowhere (id INTEGER)")
        .await
        .expect("fix");
    let report = m.resume(&mut d, Resume::AfterFix).await.expect("resume");
    assert_eq!(report.steps[0].statements, 1);
    assert_eq!(count(&mut d, "nowhere").await, "1");
}

pub async fn no_op_start_up_is_one_round_trip<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut first = ctx.driver().await;
    m.up(&mut first, Target::Latest).await.expect("up");
    let mut d = Counting::new(ctx.driver().await);
    let report = m.up(&mut d, Target::Latest).await.expect("no-op");
    assert!(report.steps.is_empty());
    assert_eq!(d.calls.len(), 1, "calls: {:#?}", d.calls);
    assert!(d.calls[0].starts_with("SELECT"), "{:?}", d.calls);
    // A target already reached is a no-op too.
    d.calls.clear();
    let report = m.up(&mut d, Target::Version(v(1))).await.expect("no-op");
    assert!(report.steps.is_empty());
    assert_eq!(d.calls.len(), 1, "calls: {:#?}", d.calls);
}

/// `execute_batch` stops at the first failing statement and names it; nothing after it runs.
pub async fn batch_stops_at_and_names_the_failing_statement<C: Connect>(ctx: &Ctx<C>) {
    let mut d = ctx.driver().await;
    d.execute("CREATE TABLE batch_target (a INTEGER)")
        .await
        .expect("create");
    let statements = [
        "INSERT INTO batch_target (a) VALUES (1)",
        "INSERT INTO batch_target (a) VALUES (2) -- a comment ends this statement",
        "INSERT INTO missing_table (a) VALUES (3)",
        "INSERT INTO batch_target (a) VALUES (4)",
    ];
    let failed = d
        .execute_batch(Batch {
            begin: true,
            statements: &statements,
            commit: true,
        })
        .await
        .expect_err("the third statement fails");
    assert_eq!(failed.part, BatchPart::Statement(2), "{failed}");
    assert!(
        failed.error.to_string().contains("missing_table"),
        "{failed}"
    );
    d.rollback().await.expect("rollback");
    assert_eq!(count(&mut d, "batch_target").await, "0");
    // Without a unit each statement stands alone, except that PostgreSQL runs one
    // multi-statement query as one implicit transaction.
    let failed = d
        .execute_batch(Batch {
            begin: false,
            statements: &statements,
            commit: false,
        })
        .await
        .expect_err("the third statement fails");
    assert_eq!(failed.part, BatchPart::Statement(2), "{failed}");
    let kept = match d.dialect() {
        Dialect::Postgres => "0",
        Dialect::MySql | Dialect::Sqlite => "2",
    };
    assert_eq!(count(&mut d, "batch_target").await, kept);
    // A whole batch that succeeds commits.
    d.execute_batch(Batch {
        begin: true,
        statements: &statements[..2],
        commit: true,
    })
    .await
    .expect("batch");
    let all = match d.dialect() {
        Dialect::Postgres => "2",
        Dialect::MySql | Dialect::Sqlite => "4",
    };
    assert_eq!(count(&mut d, "batch_target").await, all);
    // The first part failing, and a failure after a part that returned rows.
    for (statements, part) in [
        (&statements[2..], 0),
        (&["SELECT a FROM batch_target", statements[2]][..], 1),
    ] {
        let failed = d
            .execute_batch(Batch {
                begin: false,
                statements,
                commit: false,
            })
            .await
            .expect_err("a statement fails");
        assert_eq!(failed.part, BatchPart::Statement(part), "{failed}");
    }
    assert_eq!(count(&mut d, "batch_target").await, all);
    // The connection is usable after a batch that returned rows.
    d.execute_batch(Batch {
        begin: false,
        statements: &["SELECT a FROM batch_target", statements[0]],
        commit: false,
    })
    .await
    .expect("a batch with rows");
    assert_ne!(count(&mut d, "batch_target").await, all);
}

/// The no-op shortcut says "nothing to apply" only for a history that holds every version up
/// to the target, applied, with the embedded checksum; anything else goes to the locked path,
/// which applies or refuses.
pub async fn no_op_shortcut_hands_anything_irregular_to_the_locked_path<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Version(v(1))).await.expect("up to 1");
    // A version not yet applied: not a no-op.
    let report = m.up(&mut d, Target::Latest).await.expect("up");
    assert_eq!(report.steps.len(), 2);
    // A target the binary does not know: refused, not a silent no-op.
    let err = m
        .up(&mut d, Target::Version(v(9)))
        .await
        .expect_err("unknown target");
    assert!(err.to_string().contains('9'), "{err}");
    // A recorded checksum that is not the embedded one: refused.
    let table = m.config().history_table().to_string();
    d.execute(&format!(
        "UPDATE {table} SET checksum = 'sha256:{}' WHERE version = 1",
        "0".repeat(64)
    ))
    .await
    .expect("tamper with the checksum");
    let err = m.up(&mut d, Target::Latest).await.expect_err("changed");
    assert!(
        matches!(err, Error::ChecksumMismatch { version, .. } if version == v(1)),
        "{err:?}"
    );
    // A failed row: refused.
    let embedded = set.get(v(1)).expect("V1").scripts(Direction::Up)[0].checksum();
    d.execute(&format!(
        "UPDATE {table} SET checksum = '{embedded}', state = 'failed' WHERE version = 1"
    ))
    .await
    .expect("mark failed");
    let err = m.up(&mut d, Target::Latest).await.expect_err("failed row");
    assert!(matches!(err, Error::FailedMigration { .. }), "{err:?}");
    // Back to applied: a no-op again.
    d.execute(&format!(
        "UPDATE {table} SET state = 'applied' WHERE version = 1"
    ))
    .await
    .expect("mark applied");
    let report = m.up(&mut d, Target::Latest).await.expect("no-op");
    assert!(report.steps.is_empty());
}

pub async fn history_table_name_is_configurable<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let table = HistoryTable::new("app_versions").expect("valid name");
    let m = Migrator::with_config(&set, config().table(table));
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    let all = tables(&mut d).await;
    assert!(
        all.contains(&"app_versions".to_owned()) && all.contains(&"app_versions_log".to_owned()),
        "{all:?}"
    );
    assert!(
        !all.iter().any(|t| t.starts_with("schema_history")),
        "{all:?}"
    );
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2, 3]
    );
    assert!(HistoryTable::new("bad; DROP TABLE users").is_err());
}

pub async fn validate_reports_without_changing_anything<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.validate(&mut d).await.expect("empty database is valid");
    assert!(tables(&mut d).await.is_empty(), "validate created tables");
    let plan = m.plan_up(&mut d, Target::Latest).await.expect("plan");
    assert_eq!(plan.steps.len(), 3);
    assert_eq!(plan.steps[0].statements[1].line, 2);
    assert!(tables(&mut d).await.is_empty(), "plan created tables");
    m.up(&mut d, Target::Latest).await.expect("up");
    m.validate(&mut d).await.expect("valid");
    let down = m.plan_down(&mut d, Target::Empty).await.expect("plan down");
    let order: Vec<u32> = down
        .steps
        .iter()
        .map(|s| s.migration.version().get())
        .collect();
    assert_eq!(order, [3, 2, 1]);
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2, 3]
    );
}

pub async fn no_transaction_script_runs_outside_a_transaction<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(&[
        ("V1/up.sql", "CREATE TABLE events (id INTEGER, kind VARCHAR(20));"),
        ("V1/down.sql", "DROP TABLE events;"),
        // PostgreSQL refuses CREATE INDEX CONCURRENTLY inside a transaction block.
        (
            "V2/up.postgres.sql",
            "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY events_kind_idx ON events (kind);",
        ),
        ("V2/up.sql", "-- migrate:no-transaction\nCREATE INDEX events_kind_idx ON events (kind);"),
        ("V2/down.sql", "DROP TABLE events;\nCREATE TABLE events (id INTEGER, kind VARCHAR(20));"),
    ]);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest)
        .await
        .expect("no-transaction script runs");
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(versions(&history), [1, 2]);
    assert_eq!(history[1].state, State::Applied);
    assert_eq!(history[1].statements_done, 1);
}

/// Versions 1 to 12 must come back 1, 2, …, 12 — not sorted as text (1, 10, 11, 12, 2, …) —
/// and revert newest first.
pub async fn history_of_more_than_nine_versions_keeps_numeric_order<C: Connect>(ctx: &Ctx<C>) {
    let files: Vec<(String, String)> = (1..=12)
        .flat_map(|n| {
            [
                (
                    format!("V{n}/up.sql"),
                    format!("CREATE TABLE t{n} (id INTEGER);"),
                ),
                (format!("V{n}/down.sql"), format!("DROP TABLE t{n};")),
            ]
        })
        .collect();
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let tree = Tree::new(&borrowed);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        (1..=12).collect::<Vec<_>>()
    );
    let report = m
        .down(&mut d, Target::Version(v(8)))
        .await
        .expect("down to 8");
    let reverted: Vec<u32> = report.steps.iter().map(|s| s.version.get()).collect();
    assert_eq!(reverted, [12, 11, 10, 9]);
    let ids: Vec<u64> = m
        .log(&mut d)
        .await
        .expect("log")
        .iter()
        .map(|r| r.id)
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "log out of order: {ids:?}"
    );
    assert_eq!(ids.len(), 16);
}

pub async fn fingerprint_is_recorded_and_manual_changes_are_reported_as_drift<C: Connect>(
    ctx: &Ctx<C>,
) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    assert_eq!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::NothingApplied
    );
    m.up(&mut d, Target::Latest).await.expect("up");
    let history = m.history(&mut d).await.expect("history");
    let fingerprints: Vec<_> = history
        .iter()
        .map(|r| r.fingerprint.expect("recorded for every applied version"))
        .collect();
    assert!(
        fingerprints[0] != fingerprints[1] && fingerprints[1] != fingerprints[2],
        "each version changes the schema: {fingerprints:?}"
    );
    match m.check_schema(&mut d).await.expect("check") {
        SchemaCheck::Matches {
            version,
            fingerprint,
        } => assert_eq!((version, fingerprint), (v(3), fingerprints[2])),
        other => panic!("expected a match, got {other:?}"),
    }
    m.validate(&mut d).await.expect("no drift yet");

    // A change made by hand, outside the migrations.
    d.execute("ALTER TABLE posts ADD COLUMN hotfix INTEGER NULL")
        .await
        .expect("alter");
    d.execute("CREATE INDEX posts_hotfix_idx ON posts (hotfix)")
        .await
        .expect("index");
    let drift = match m.check_schema(&mut d).await.expect("check") {
        SchemaCheck::Drifted(drift) => drift,
        other => panic!("expected drift, got {other:?}"),
    };
    assert_eq!(drift.version, v(3));
    assert_eq!(drift.recorded, fingerprints[2]);
    let diff = drift
        .diff
        .as_ref()
        .expect("the history rebuilds the recorded schema");
    assert!(
        diff.added
            .iter()
            .any(|o| o.kind == ObjectKind::Column && o.name == "posts.hotfix"),
        "{diff}"
    );
    assert!(
        diff.added
            .iter()
            .any(|o| o.kind == ObjectKind::Index && o.name.contains("posts_hotfix_idx")),
        "{diff}"
    );
    assert!(diff.removed.is_empty(), "{diff}");
    let refused = m
        .validate(&mut d)
        .await
        .expect_err("validate reports drift");
    let message = refused.to_string();
    assert!(matches!(refused, Error::SchemaDrift { .. }), "{message}");
    assert!(
        message.contains("version 3") && message.contains("+ column posts.hotfix"),
        "{message}"
    );

    // Undone by hand: the schema matches again.
    let drop_index = match d.dialect() {
        Dialect::MySql => "DROP INDEX posts_hotfix_idx ON posts",
        _ => "DROP INDEX posts_hotfix_idx",
    };
    d.execute(drop_index).await.expect("drop index");
    d.execute("ALTER TABLE posts DROP COLUMN hotfix")
        .await
        .expect("drop column");
    assert!(matches!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::Matches { .. }
    ));

    // After a revert the comparison is with the version reverted to.
    m.down(&mut d, Target::Version(v(2))).await.expect("down");
    match m.check_schema(&mut d).await.expect("check") {
        SchemaCheck::Matches {
            version,
            fingerprint,
        } => assert_eq!((version, fingerprint), (v(2), fingerprints[1])),
        other => panic!("expected a match at version 2, got {other:?}"),
    }
    // And the same fingerprint comes back when the version is applied again.
    m.up(&mut d, Target::Latest).await.expect("up again");
    let again = m.history(&mut d).await.expect("history");
    assert_eq!(again[2].fingerprint, Some(fingerprints[2]));
}

pub async fn baseline_records_the_schema_it_adopts<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    apply_by_hand(&set, &mut d, 2).await;
    m.baseline(&mut d, v(2)).await.expect("baseline");
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(history[0].fingerprint, None, "below the baseline's top");
    assert!(history[1].fingerprint.is_some());
    assert!(matches!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::Matches { version, .. } if version == v(2)
    ));
    d.execute(
        "DROP INDEX posts_user_idx"
            .replace(
                "idx",
                if d.dialect() == Dialect::MySql {
                    "idx ON posts"
                } else {
                    "idx"
                },
            )
            .as_str(),
    )
    .await
    .expect("drop index");
    match m.check_schema(&mut d).await.expect("check") {
        SchemaCheck::Drifted(drift) => {
            let diff = drift.diff.expect("diff");
            assert!(
                diff.removed
                    .iter()
                    .any(|o| o.name.contains("posts_user_idx")),
                "{diff}"
            );
        }
        other => panic!("expected drift, got {other:?}"),
    }
}

pub async fn fingerprints_off_records_none_and_reports_not_recorded<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = Migrator::with_config(&set, config().fingerprints(Fingerprints::Off));
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    let history = m.history(&mut d).await.expect("history");
    assert!(history.iter().all(|r| r.fingerprint.is_none()));
    assert_eq!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::NotRecorded { version: v(3) }
    );
    m.down(&mut d, Target::Empty).await.expect("down");
    assert!(user_tables(&mut d).await.is_empty());
}

/// A trigger `name` that refuses writes `on` a table (`UPDATE ON schema_history`, …) while
/// `when` holds, standing in for a full disk, a lost connection or a revoked privilege.
async fn refuse<D: Driver>(d: &mut D, name: &str, on: &str, when: &str) {
    d.execute(&format!(
        "CREATE TRIGGER {name} BEFORE {on} FOR EACH ROW BEGIN IF {when} THEN \
         SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'journal write refused by {name}'; \
         END IF; END"
    ))
    .await
    .expect("trigger");
}

/// `err` says that applying `version` (two statements) stopped after every statement because
/// the trigger `refused_by` refused its closing write, and the row says so: failed, with
/// both statements done and the cause.
async fn closing_write_was_refused<D: Driver>(
    m: &Migrator<'_>,
    d: &mut D,
    err: &Error,
    version: u32,
    refused_by: &str,
) {
    assert!(
        matches!(
            err,
            Error::JournalFailed {
                stop: JournalStop::AllDone,
                line: None,
                recorded: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&format!(
            "applying version {version} did not finish: all 2 statements"
        )),
        "{err}"
    );
    let failed = history_row(m, d, version).await;
    assert_eq!((failed.state, failed.statements_done), (State::Failed, 2));
    assert!(
        failed
            .error
            .as_deref()
            .is_some_and(|e| e.contains(&format!("refused by {refused_by}"))),
        "{failed:?}"
    );
}

/// The history row of `version`.
async fn history_row<D: Driver>(m: &Migrator<'_>, d: &mut D, version: u32) -> AppliedMigration {
    m.history(d)
        .await
        .expect("history")
        .into_iter()
        .find(|r| r.version == v(version))
        .expect("row")
}

/// A journal write the server refuses (a trigger on the history tables stands in for a full
/// disk, a lost connection or a revoked privilege) stops the step with an error that says where
/// it stood; the row says how far the step got, a statement rolled back with the write is
/// undone, the next run refuses with the same facts, and `resume` finishes the step with each
/// statement applied once.
pub async fn mysql_refused_journal_write_leaves_a_truthful_row<C: Connect>(ctx: &Ctx<C>) {
    let mut d = ctx.driver().await;
    if d.dialect() != Dialect::MySql {
        return; // PostgreSQL and SQLite run each version as one transaction, not journaled.
    }
    let tree = Tree::new(&[
        ("V1__base/up.sql", "CREATE TABLE jr_base (id INTEGER);\n"),
        ("V1__base/down.sql", "DROP TABLE jr_base;\n"),
        (
            "V2__dml_record/up.sql",
            "CREATE TABLE jr_a (id INTEGER);\n\
             INSERT INTO jr_a (id) VALUES (1);\n\
             CREATE TABLE jr_b (id INTEGER);\n",
        ),
        (
            "V2__dml_record/down.sql",
            "DROP TABLE jr_b;\nDROP TABLE jr_a;\n",
        ),
        (
            "V3__closing/up.sql",
            "CREATE TABLE jr_c (id INTEGER);\nCREATE TABLE jr_d (id INTEGER);\n",
        ),
        (
            "V3__closing/down.sql",
            "DROP TABLE jr_d;\nDROP TABLE jr_c;\n",
        ),
        (
            "V4__log/up.sql",
            "CREATE TABLE jr_e (id INTEGER);\nINSERT INTO jr_e (id) VALUES (1);\n",
        ),
        ("V4__log/down.sql", "DROP TABLE jr_e;\n"),
        (
            "V5__ddl_record/up.sql",
            "CREATE TABLE jr_f (id INTEGER);\nCREATE TABLE jr_g (id INTEGER);\n",
        ),
        (
            "V5__ddl_record/down.sql",
            "DROP TABLE jr_g;\nDROP TABLE jr_f;\n",
        ),
        (
            "V6__unrecorded/up.sql",
            "CREATE TABLE jr_h (id INTEGER);\nINSERT INTO jr_h (id) VALUES (1);\n",
        ),
        ("V6__unrecorded/down.sql", "DROP TABLE jr_h;\n"),
        ("V7__start/up.sql", "CREATE TABLE jr_i (id INTEGER);\n"),
        ("V7__start/down.sql", "DROP TABLE jr_i;\n"),
    ]);
    let set = tree.set();
    let m = Migrator::with_config(&set, config().fingerprints(Fingerprints::Off));
    m.up(&mut d, Target::Version(v(1))).await.expect("up to 1");
    let cause = |err: &Error| {
        std::error::Error::source(err)
            .map(ToString::to_string)
            .unwrap_or_default()
    };

    // V2: the record of the INSERT (statement 2), in the INSERT's transaction, is refused.
    refuse(
        &mut d,
        "jr_refuse_2",
        "UPDATE ON schema_history",
        "NEW.version = 2 AND NEW.statements_done = 2",
    )
    .await;
    let err = m.up(&mut d, Target::Latest).await.expect_err("refused");
    assert!(
        matches!(
            err,
            Error::JournalFailed {
                stop: JournalStop::RolledBack(2),
                line: Some(2),
                statements_total: 3,
                recorded: true,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("applying version 2 stopped at statement 2 of 3")
            && message.contains("`V2__dml_record/up.sql` line 2")
            && message.contains("rolled back")
            && message.contains("marked failed at it"),
        "{message}"
    );
    assert!(cause(&err).contains("refused by jr_refuse_2"), "{err:?}");
    let failed = history_row(&m, &mut d, 2).await;
    assert_eq!((failed.state, failed.statements_done), (State::Failed, 1));
    assert!(
        failed
            .error
            .as_deref()
            .is_some_and(|e| e.contains("rolled back") && e.contains("refused by jr_refuse_2")),
        "{failed:?}"
    );
    assert_eq!(
        count(&mut d, "jr_a").await,
        "0",
        "the INSERT was rolled back"
    );
    assert_eq!(user_tables(&mut d).await, ["jr_a", "jr_base"]);
    let refused = m.up(&mut d, Target::Latest).await.expect_err("failed row");
    assert!(
        matches!(
            refused,
            Error::FailedMigration {
                statement: 2,
                error: Some(_),
                ..
            }
        ),
        "{refused:?}"
    );
    assert!(
        refused.to_string().contains("failed at statement 2 of 3"),
        "{refused}"
    );
    d.execute("DROP TRIGGER jr_refuse_2").await.expect("drop");
    let report = m.resume(&mut d, Resume::AfterFix).await.expect("resume");
    assert_eq!(report.steps[0].statements, 2, "the INSERT and the CREATE");
    assert_eq!(count(&mut d, "jr_a").await, "1", "the INSERT ran once");

    // V3, with fingerprints: the closing write after a last DDL statement is refused.
    refuse(
        &mut d,
        "jr_refuse_3",
        "UPDATE ON schema_history",
        "NEW.version = 3 AND NEW.state = 'applied'",
    )
    .await;
    let with_fingerprints = migrator(&set);
    let err = with_fingerprints
        .up(&mut d, Target::Latest)
        .await
        .expect_err("refused");
    closing_write_was_refused(&m, &mut d, &err, 3, "jr_refuse_3").await;
    let refused = m.up(&mut d, Target::Latest).await.expect_err("failed row");
    assert!(
        matches!(
            refused,
            Error::FailedMigration {
                statement: 3,
                statements_total: 2,
                ..
            }
        ),
        "{refused:?}"
    );
    let message = refused.to_string();
    assert!(
        message.contains("all 2 statements of `V3__closing/up.sql` completed")
            && message.contains("runs no statement and records the version as applied"),
        "{message}"
    );
    d.execute("DROP TRIGGER jr_refuse_3").await.expect("drop");
    let report = with_fingerprints
        .resume(&mut d, Resume::AfterFix)
        .await
        .expect("resume");
    assert_eq!(report.steps[0].statements, 0);
    let done = history_row(&m, &mut d, 3).await;
    assert_eq!(done.state, State::Applied);
    assert!(done.fingerprint.is_some(), "resume recorded the schema");

    // V4: the log row that goes with the last statement (DML) is refused: the statement is
    // rolled back with the closing write.
    refuse(
        &mut d,
        "jr_refuse_4",
        "INSERT ON schema_history_log",
        "NEW.version = 4",
    )
    .await;
    let err = m.up(&mut d, Target::Latest).await.expect_err("refused");
    assert!(
        matches!(
            err,
            Error::JournalFailed {
                stop: JournalStop::RolledBack(2),
                ..
            }
        ),
        "{err:?}"
    );
    let failed = history_row(&m, &mut d, 4).await;
    assert_eq!((failed.state, failed.statements_done), (State::Failed, 1));
    assert_eq!(
        count(&mut d, "jr_e").await,
        "0",
        "the INSERT was rolled back"
    );
    d.execute("DROP TRIGGER jr_refuse_4").await.expect("drop");
    m.resume(&mut d, Resume::AfterFix).await.expect("resume");
    assert_eq!(count(&mut d, "jr_e").await, "1", "the INSERT ran once");

    // V5: the record of a DDL statement, owed to the next statement, is refused once: the next
    // statement does not run, and the row is then marked failed at it.
    refuse(
        &mut d,
        "jr_refuse_5",
        "UPDATE ON schema_history",
        "NEW.version = 5 AND NEW.statements_done = 1 AND @jr_refused_5 IS NULL \
         AND (@jr_refused_5 := 1)",
    )
    .await;
    let err = m.up(&mut d, Target::Latest).await.expect_err("refused");
    assert!(
        matches!(
            err,
            Error::JournalFailed {
                stop: JournalStop::Before(2),
                line: Some(2),
                recorded: true,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("stopped before statement 2 of 2")
            && message.contains("statements 1 to 1 completed")
            && message.contains("marked failed at statement 2"),
        "{message}"
    );
    let failed = history_row(&m, &mut d, 5).await;
    assert_eq!((failed.state, failed.statements_done), (State::Failed, 1));
    assert!(
        failed
            .error
            .as_deref()
            .is_some_and(|e| e.contains("before the statement ran")),
        "{failed:?}"
    );
    assert!(user_tables(&mut d).await.contains(&"jr_f".to_owned()));
    assert!(!user_tables(&mut d).await.contains(&"jr_g".to_owned()));
    d.execute("DROP TRIGGER jr_refuse_5").await.expect("drop");
    let report = m.resume(&mut d, Resume::AfterFix).await.expect("resume");
    assert_eq!(report.steps[0].statements, 1);
    assert!(user_tables(&mut d).await.contains(&"jr_g".to_owned()));

    // V6: the record of the DDL statement is refused every time: the error says the row could
    // not be updated, which still shows the completed statement as in flight.
    refuse(
        &mut d,
        "jr_refuse_6",
        "UPDATE ON schema_history",
        "NEW.version = 6 AND NEW.statements_done >= 1",
    )
    .await;
    let err = m.up(&mut d, Target::Latest).await.expect_err("refused");
    assert!(
        matches!(
            err,
            Error::JournalFailed {
                stop: JournalStop::Before(2),
                recorded: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("could not be updated either"),
        "{err}"
    );
    let failed = history_row(&m, &mut d, 6).await;
    assert_eq!(
        (
            failed.state,
            failed.statements_done,
            failed.error.as_deref()
        ),
        (State::Failed, 0, None)
    );
    assert_eq!(count(&mut d, "jr_h").await, "0", "the INSERT did not run");
    let refused = m.up(&mut d, Target::Latest).await.expect_err("failed row");
    assert!(
        matches!(
            refused,
            Error::FailedMigration {
                statement: 1,
                error: None,
                ..
            }
        ),
        "{refused:?}"
    );
    d.execute("DROP TRIGGER jr_refuse_6").await.expect("drop");
    let report = m.resume(&mut d, Resume::Skip).await.expect("resume --skip");
    assert_eq!(report.steps[0].statements, 1);
    assert_eq!(count(&mut d, "jr_h").await, "1", "the INSERT ran once");

    // V7: the journal row itself is refused: nothing ran, the history is as before, and the
    // same command succeeds once the cause is gone.
    refuse(
        &mut d,
        "jr_refuse_7",
        "INSERT ON schema_history",
        "NEW.version = 7",
    )
    .await;
    let err = m.up(&mut d, Target::Latest).await.expect_err("refused");
    assert!(
        matches!(
            err,
            Error::JournalFailed {
                stop: JournalStop::NotStarted,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("did not start"), "{err}");
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2, 3, 4, 5, 6]
    );
    assert!(!user_tables(&mut d).await.contains(&"jr_i".to_owned()));
    d.execute("DROP TRIGGER jr_refuse_7").await.expect("drop");
    m.up(&mut d, Target::Latest).await.expect("up");

    // Reverting V7: removing its row is refused after its statement ran.
    refuse(
        &mut d,
        "jr_refuse_down",
        "DELETE ON schema_history",
        "OLD.version = 7",
    )
    .await;
    let err = m
        .down(&mut d, Target::Version(v(6)))
        .await
        .expect_err("refused");
    assert!(
        matches!(
            err,
            Error::JournalFailed {
                stop: JournalStop::AllDone,
                direction: Direction::Down,
                recorded: true,
                ..
            }
        ),
        "{err:?}"
    );
    let failed = history_row(&m, &mut d, 7).await;
    assert_eq!(
        (failed.state, failed.direction, failed.statements_done),
        (State::Failed, Direction::Down, 1)
    );
    let refused = m
        .down(&mut d, Target::Version(v(6)))
        .await
        .expect_err("failed row");
    assert!(
        refused
            .to_string()
            .contains("removes the version from the history"),
        "{refused}"
    );
    d.execute("DROP TRIGGER jr_refuse_down")
        .await
        .expect("drop");
    let report = m.resume(&mut d, Resume::AfterFix).await.expect("resume");
    assert_eq!(report.steps[0].statements, 0);
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2, 3, 4, 5, 6]
    );
    assert!(!user_tables(&mut d).await.contains(&"jr_i".to_owned()));

    // Every failure the log could take is in it; V4's was refused with its row.
    assert_eq!(
        log_actions(&m, &mut d).await,
        [
            "up:1:ok",
            "up:2:failed",
            "resume:2:ok",
            "up:3:failed",
            "resume:3:ok",
            "resume:4:ok",
            "up:5:failed",
            "resume:5:ok",
            "up:6:failed",
            "resume:6:ok",
            "up:7:failed",
            "up:7:ok",
            "down:7:failed",
            "resume:7:ok",
        ]
    );
}

/// With nothing to describe in between, the closing write after a last DDL statement goes in
/// the statement's batch, in a transaction of its own. Refused, it leaves the statement done
/// and the row failed after every statement, and `resume` records the version without running
/// a statement again.
pub async fn mysql_closing_write_rides_with_a_last_ddl_statement<C: Connect>(ctx: &Ctx<C>) {
    let mut d = Counting::new(ctx.driver().await);
    if d.dialect() != Dialect::MySql {
        return; // PostgreSQL and SQLite run each version as one transaction, not journaled.
    }
    let tree = Tree::new(&[
        ("V1__base/up.sql", "CREATE TABLE cw_base (id INTEGER);\n"),
        ("V1__base/down.sql", "DROP TABLE cw_base;\n"),
        (
            "V2__two/up.sql",
            "CREATE TABLE cw_a (id INTEGER);\nCREATE TABLE cw_b (id INTEGER);\n",
        ),
        ("V2__two/down.sql", "DROP TABLE cw_b;\nDROP TABLE cw_a;\n"),
        (
            // The last statement fails: the closing write in its batch never runs.
            "V3__fails_last/up.sql",
            "CREATE TABLE cw_c (id INTEGER);\nCREATE TABLE cw_a (id INTEGER);\n",
        ),
        ("V3__fails_last/down.sql", "DROP TABLE cw_c;\n"),
    ]);
    let set = tree.set();
    let m = Migrator::with_config(&set, config().fingerprints(Fingerprints::Off));
    m.up(&mut d, Target::Version(v(1))).await.expect("up to 1");
    refuse(
        &mut d,
        "cw_refuse",
        "UPDATE ON schema_history",
        "NEW.version = 2 AND NEW.state = 'applied'",
    )
    .await;
    d.calls.clear();
    let err = m.up(&mut d, Target::Latest).await.expect_err("refused");
    let last = d
        .calls
        .iter()
        .find(|c| c.contains("CREATE TABLE cw_b"))
        .expect("the last statement was sent");
    assert!(
        last.starts_with("batch")
            && last.contains("schema_history_log")
            && last.contains("\"COMMIT\""),
        "the closing write goes with the last statement: {last}"
    );
    closing_write_was_refused(&m, &mut d, &err, 2, "cw_refuse").await;
    assert_eq!(user_tables(&mut d).await, ["cw_a", "cw_b", "cw_base"]);
    d.execute("DROP TRIGGER cw_refuse").await.expect("drop");
    let report = m.resume(&mut d, Resume::AfterFix).await.expect("resume");
    assert_eq!(report.steps[0].statements, 0);
    assert_eq!(history_row(&m, &mut d, 2).await.state, State::Applied);
    assert_eq!(
        log_actions(&m, &mut d).await,
        ["up:1:ok", "up:2:failed", "resume:2:ok"]
    );

    let err = m.up(&mut d, Target::Latest).await.expect_err("fails");
    assert!(
        matches!(err, Error::StatementFailed { statement: 2, .. }),
        "{err:?}"
    );
    let failed = history_row(&m, &mut d, 3).await;
    assert_eq!((failed.state, failed.statements_done), (State::Failed, 1));
    assert_eq!(
        log_actions(&m, &mut d).await,
        ["up:1:ok", "up:2:failed", "resume:2:ok", "up:3:failed"]
    );
}

/// A version made only of `INSERT`, `UPDATE`, `DELETE` or `REPLACE` cannot change the schema on
/// MySQL/MariaDB or SQLite (neither lets a trigger or function run DDL), so its fingerprint is
/// the one described before it, without another describe query. PostgreSQL describes it, since
/// a function called from DML may run DDL there. The fingerprints are the same either way.
/// How many of `calls` (a [`Counting`] driver's) described the whole schema, and how many only
/// some tables: both are prepared queries, and only a whole description reads views.
fn describe_calls(calls: &[String]) -> (usize, usize) {
    let describes = calls.iter().filter(|c| c.starts_with("repeated"));
    let whole = describes.clone().filter(|c| c.contains("'view'")).count();
    (whole, describes.count() - whole)
}

pub async fn data_only_version_is_not_described_again<C: Connect>(ctx: &Ctx<C>) {
    let mut d = Counting::new(ctx.driver().await);
    let tree = Tree::new(&[
        (
            "V1__table/up.sql",
            "CREATE TABLE dv (id INTEGER, note VARCHAR(40));\n",
        ),
        ("V1__table/down.sql", "DROP TABLE dv;\n"),
        (
            "V2__rows/up.sql",
            "-- data only\nINSERT INTO dv (id, note) VALUES (1, 'a;b');\n\
             UPDATE dv SET note = 'c' WHERE id = 1;\n",
        ),
        ("V2__rows/down.sql", "DELETE FROM dv;\n"),
        ("V3__index/up.sql", "CREATE INDEX dv_note ON dv (note);\n"),
        ("V3__index/down.sql", "DROP INDEX dv_note;\n"),
        ("V3__index/down.mysql.sql", "DROP INDEX dv_note ON dv;\n"),
        (
            "V4__fix/up.sql",
            "DELETE FROM dv WHERE id = 2;\n\
             INSERT INTO dv (id, note) VALUES (2, 'names mysql, so described');\n",
        ),
        ("V4__fix/down.sql", "DELETE FROM dv WHERE id = 2;\n"),
    ]);
    let set = tree.set();
    let m = migrator(&set);
    // (whole descriptions, scoped ones)
    let describes = |calls: &[String]| describe_calls(calls);

    // A change by hand before the run: the data-only version records the schema without it,
    // as a description after it would, and the change stays reported as drift. (On PostgreSQL
    // the runner first asks whether any user function exists that an INSERT could run; none
    // does.)
    m.up(&mut d, Target::Version(v(1))).await.expect("up to 1");
    d.execute("ALTER TABLE dv ADD COLUMN by_hand INTEGER NULL")
        .await
        .expect("alter");
    d.calls.clear();
    m.up(&mut d, Target::Version(v(2))).await.expect("up to 2");
    // One description before applying (the drift check), none after the INSERT and UPDATE.
    assert_eq!(describes(&d.calls), (1, 0), "{:#?}", d.calls);
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(
        history[1].fingerprint, history[0].fingerprint,
        "not V2's column"
    );
    assert!(matches!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::Drifted(drift) if drift.version == v(2)
    ));
    d.execute("ALTER TABLE dv DROP COLUMN by_hand")
        .await
        .expect("undo");
    assert!(matches!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::Matches { version, .. } if version == v(2)
    ));
    m.down(&mut d, Target::Empty).await.expect("down");

    d.calls.clear();
    m.up(&mut d, Target::Latest).await.expect("up");
    // Whole before applying, and after V4 (the run's last version, described whole after
    // scoped descriptions; on MySQL its text names `mysql` anyway); V1 and V3 scoped to `dv`;
    // V2 not at all.
    assert_eq!(describes(&d.calls), (2, 2), "{:#?}", d.calls);
    let history = m.history(&mut d).await.expect("history");
    let fingerprint = |n: usize| history[n].fingerprint.expect("recorded");
    assert_eq!(fingerprint(1), fingerprint(0), "V2 changes no schema");
    assert_ne!(fingerprint(2), fingerprint(1), "V3 adds an index");
    assert_eq!(fingerprint(3), fingerprint(2), "V4 changes no schema");
    assert_eq!(count(&mut d, "dv").await, "2");
    match m.check_schema(&mut d).await.expect("check") {
        SchemaCheck::Matches {
            version,
            fingerprint: recorded,
        } => assert_eq!((version, recorded), (v(4), fingerprint(3))),
        other => panic!("expected a match, got {other:?}"),
    }
    // Reverted to V2: its fingerprint is V1's, and the schema matches it.
    m.down(&mut d, Target::Version(v(2))).await.expect("down");
    match m.check_schema(&mut d).await.expect("check") {
        SchemaCheck::Matches {
            version,
            fingerprint: recorded,
        } => assert_eq!((version, recorded), (v(2), fingerprint(0))),
        other => panic!("expected a match, got {other:?}"),
    }
}

/// The descriptions of [`scoped_descriptions_record_what_whole_ones_would`]'s versions.
const SCOPED_NAMES: [&str; 14] = [
    "tables",
    "index_and_column",
    "drops",
    "view",
    "two_tables",
    "drop_two",
    "rename",
    "sequence",
    "rows",
    "partitions",
    "parent_index",
    "trigger",
    "insert",
    "last",
];

/// One run describes only the tables each version names where it can (and the whole schema
/// before it, for anything it cannot follow, and after its last version); versions applied
/// one run each describe the whole schema after every one. Both record the same fingerprint
/// for every version, on a history of the recognised statement forms (names in mixed case,
/// foreign keys with `ON DELETE CASCADE`, several tables at once, a dropped index, a
/// PostgreSQL serial column's sequence, partitions, and a trigger function that creates a
/// table from an `INSERT`) and of forms that are not followed (a view, a rename).
pub async fn scoped_descriptions_record_what_whole_ones_would<C: Connect>(ctx: &Ctx<C>) {
    // Every version is irreversible: this test only applies.
    let downs: Vec<String> = (1..=14)
        .map(|n| format!("V{n}__{}/down.sql", SCOPED_NAMES[n - 1]))
        .collect();
    let mut files: Vec<(&str, &str)> = downs
        .iter()
        .map(|path| (path.as_str(), "-- migrate:irreversible\n"))
        .collect();
    files.extend_from_slice(&[
        (
            "V1__tables/up.sql",
            "CREATE TABLE parents (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL);\n\
             CREATE TABLE Kids (id INTEGER NOT NULL PRIMARY KEY,\n\
               parent_id INTEGER REFERENCES parents (id) ON DELETE CASCADE,\n\
               note VARCHAR(20) DEFAULT 'x;y');\n",
        ),
        (
            "V2__index_and_column/up.sql",
            "CREATE INDEX kids_note ON Kids (note);\n\
             INSERT INTO parents (id, name) VALUES (1, 'a; \"b\"');\n\
             ALTER TABLE Kids ADD COLUMN score INTEGER NOT NULL DEFAULT 0;\n",
        ),
        (
            // A dropped index: its table is found in the description (as `Kids`), and the
            // next statement names it too (as `Kids`, which SQLite's scope lists as `kids`).
            "V3__drops/up.sql",
            "DROP INDEX kids_note;\nCREATE INDEX kids_note_id ON Kids (note, id);\n",
        ),
        (
            "V3__drops/up.mysql.sql",
            "DROP INDEX kids_note ON Kids;\nCREATE INDEX kids_note_id ON Kids (note, id);\n",
        ),
        (
            "V4__view/up.sql",
            "CREATE VIEW kid_notes AS SELECT note FROM Kids;\n",
        ),
        (
            "V5__two_tables/up.sql",
            "ALTER TABLE Kids DROP COLUMN score;\n\
             CREATE TABLE extra_a (id INTEGER);\nCREATE TABLE extra_b (id INTEGER);\n\
             CREATE UNIQUE INDEX extra_b_id ON extra_b (id);\n",
        ),
        ("V6__drop_two/up.sql", "DROP TABLE extra_a, extra_b;\n"),
        (
            "V6__drop_two/up.sqlite.sql",
            "DROP TABLE extra_a;\nDROP TABLE IF EXISTS extra_b;\n",
        ),
        (
            "V7__rename/up.sql",
            "ALTER TABLE parents RENAME COLUMN name TO full_name;\n",
        ),
        (
            "V8__sequence/up.sql",
            "ALTER TABLE parents ADD COLUMN seq INTEGER NULL;\n",
        ),
        (
            "V8__sequence/up.postgres.sql",
            "ALTER TABLE parents ADD COLUMN seq SERIAL;\n",
        ),
        (
            "V9__rows/up.sql",
            "INSERT INTO parents (id, full_name) VALUES (2, 'b');\n\
             UPDATE parents SET full_name = 'c' WHERE id = 2;\n",
        ),
        (
            "V9__rows/up.postgres.sql",
            "ALTER TABLE parents DROP COLUMN seq;\n\
             INSERT INTO parents (id, full_name) VALUES (2, 'b');\n\
             UPDATE parents SET full_name = 'c' WHERE id = 2;\n",
        ),
        (
            "V10__partitions/up.sql",
            "CREATE TABLE events (id INTEGER, kind VARCHAR(10));\n",
        ),
        (
            "V10__partitions/up.postgres.sql",
            "CREATE TABLE events (id INTEGER, kind VARCHAR(10)) PARTITION BY LIST (kind);\n\
             CREATE TABLE events_a PARTITION OF events FOR VALUES IN ('a');\n",
        ),
        (
            "V11__parent_index/up.sql",
            "CREATE INDEX events_kind ON events (kind);\n",
        ),
        ("V12__trigger/up.sql", "CREATE TABLE audit (id INTEGER);\n"),
        (
            "V12__trigger/up.postgres.sql",
            "CREATE FUNCTION make_table() RETURNS trigger LANGUAGE plpgsql AS $$\n\
             BEGIN CREATE TABLE IF NOT EXISTS made_by_trigger (id INTEGER); RETURN NEW; END $$;\n\
             CREATE TRIGGER parents_insert AFTER INSERT ON parents\n\
               FOR EACH ROW EXECUTE FUNCTION make_table();\n",
        ),
        (
            // Triggers on MySQL/MariaDB, which only a dropped table's scope describes: one
            // on the table V12 alters, one on the table V13 drops.
            "V10__partitions/up.mysql.sql",
            "CREATE TABLE events (id INTEGER, kind VARCHAR(10));\n\
             CREATE TABLE audit (id INTEGER);\n\
             CREATE TRIGGER audit_insert BEFORE INSERT ON audit FOR EACH ROW SET NEW.id = NEW.id + 1;\n\
             CREATE TRIGGER parents_insert AFTER INSERT ON parents\n\
               FOR EACH ROW INSERT INTO audit (id) VALUES (NEW.id);\n",
        ),
        (
            "V12__trigger/up.mysql.sql",
            "ALTER TABLE parents ADD COLUMN flag INTEGER NULL;\n",
        ),
        (
            "V13__insert/up.sql",
            "INSERT INTO parents (id, full_name) VALUES (3, 'd');\n",
        ),
        (
            "V13__insert/up.mysql.sql",
            "INSERT INTO parents (id, full_name) VALUES (3, 'd');\n\
             DROP TABLE audit;\n",
        ),
        (
            "V14__last/up.sql",
            "ALTER TABLE parents ADD COLUMN email VARCHAR(80) NULL;\n",
        ),
    ]);
    let tree = Tree::new(&files);
    let set = tree.set();
    let m = migrator(&set);

    let mut one_run = Counting::new(ctx.driver().await);
    m.up(&mut one_run, Target::Latest)
        .await
        .expect("up in one run");
    let (whole, scoped) = describe_calls(&one_run.calls);
    // Whole: before the run, after V4 (a view), V7 (a rename) and V14 (the last, also scoped
    // to compare). Scoped: V1–3, V5, V6, V8, V10–12 (on MySQL/MariaDB V11–13). On PostgreSQL V9 drops the serial
    // column again (and its sequence), V10 and V11 reach partitions, so the scoped query says
    // so and the whole schema is described after it; V12 creates a function and V13 may run
    // it, both described whole. On MySQL/MariaDB V10 also creates triggers (whole), V12 alters
    // a table with a trigger (scoped, its trigger kept from the description held) and V13
    // drops one (scoped, with its trigger); V12 and V13, not being last, record what the
    // scoped descriptions predicted.
    let postgres = one_run.dialect() == Dialect::Postgres;
    let expected = match one_run.dialect() {
        Dialect::Postgres => (8, 10),
        Dialect::MySql => (5, 10),
        Dialect::Sqlite => (4, 10),
    };
    assert_eq!((whole, scoped), expected, "(whole, scoped) descriptions");
    let one_run = m.history(&mut one_run).await.expect("history");

    let other = TestDatabase::create(C::BACKEND)
        .await
        .expect("second database")
        .expect("the server answered for the first");
    let mut by_one = ctx.connector.connect(other.url()).await;
    for version in set.migrations().iter().map(|m| m.version()) {
        m.up(&mut by_one, Target::Version(version))
            .await
            .expect("up one version");
    }
    let by_one_rows = m.history(&mut by_one).await.expect("history");
    let check = m.check_schema(&mut by_one).await.expect("check");
    drop(by_one);
    other.drop_database().await;

    assert_eq!(one_run.len(), 14);
    for (a, b) in one_run.iter().zip(&by_one_rows) {
        assert_eq!(a.version, b.version);
        assert!(a.fingerprint.is_some());
        assert_eq!(
            a.fingerprint, b.fingerprint,
            "version {}: one run and one version per run recorded different schemas",
            a.version
        );
    }
    assert!(matches!(check, SchemaCheck::Matches { version, .. } if version == v(14)));
    let mut d = ctx.driver().await;
    assert!(matches!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::Matches { version, .. } if version == v(14)
    ));
    if postgres {
        // The INSERT of V13 ran the trigger function, whose table the fingerprints include.
        assert_eq!(count(&mut d, "made_by_trigger").await, "0");
    }
}
