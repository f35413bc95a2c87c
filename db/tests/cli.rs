//! The operator commands end to end: each test runs a command binary as a separate process
//! against its own fresh database (SQLite always, MariaDB and PostgreSQL when reachable) and
//! checks what it printed, its exit status and what the database holds afterwards.
//!
//! Two binaries are used:
//!
//! - the `migrate` example (the example application's embedded `sql/versions`), found next to
//!   this test binary at `target/<profile>/examples/migrate`; `cargo test` builds examples,
//!   `cargo test --test cli` alone does not (build it with `cargo build -p db --example
//!   migrate`);
//! - this test binary itself, acting as "a user's own binary" built with
//!   `migrate_core::cli::Cli` over a migration tree written to a temporary folder: with
//!   `MIGRATE_CLI_TREE` set, the `child` test runs the command in `MIGRATE_CLI_ARGS` and exits.
//!   Scenarios that need a particular tree (a failing statement, an edited script, an
//!   irreversible version) use it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use migrate_core::driver::{AnyDriver, Driver};
use migrate_core::history::{AppliedMigration, LogRow, State};
use migrate_core::testing::{Backend, TestDatabase};
use migrate_core::{cli, source, split, Dialect, Direction, MigrationSet, Migrator};
use serde_json::Value;

// What a run did, and the checks on it, shared with the standalone binary's tests.
#[path = "../../migrate-cli/tests/support/run.rs"]
mod run;

use run::Run;

#[path = "support/example.rs"]
mod example;

use example::example_binary;

const CHILD_TREE: &str = "MIGRATE_CLI_TREE";
const CHILD_ARGS: &str = "MIGRATE_CLI_ARGS";
/// Separates the arguments in `MIGRATE_CLI_ARGS`.
const ARG_SEPARATOR: &str = "\u{1f}";

/// The child process: runs the command line of `MIGRATE_CLI_ARGS` over the tree at
/// `MIGRATE_CLI_TREE`, exactly as an application's `main` would, and exits with its status.
#[test]
fn child() {
    let (Ok(tree), Ok(args)) = (std::env::var(CHILD_TREE), std::env::var(CHILD_ARGS)) else {
        return; // an ordinary test run
    };
    let set = source::load_dir(&tree, &Dialect::ALL).expect("the child's tree loads");
    let exit = cli::Cli::new(&set)
        .versions_dir(&tree)
        .run_from(std::iter::once("migrate").chain(args.split(ARG_SEPARATOR)));
    std::process::exit(i32::from(exit.code()));
}

// ---------------------------------------------------------------------------------------------
// Running commands

/// A command binary bound to one database.
struct Migrate {
    program: Program,
    url: String,
}

enum Program {
    /// The `migrate` example.
    Example(PathBuf),
    /// This test binary over a tree.
    Child(PathBuf),
}

impl Migrate {
    fn example(url: &str) -> Migrate {
        Migrate {
            program: Program::Example(example_binary("migrate")),
            url: url.to_owned(),
        }
    }

    fn child(url: &str, tree: &Path) -> Migrate {
        Migrate {
            program: Program::Child(tree.to_path_buf()),
            url: url.to_owned(),
        }
    }

    /// Runs `args` with `DATABASE_URL` set, standard input closed (not a terminal).
    fn run(&self, args: &[&str]) -> Run {
        self.run_with_log(args, None)
    }

    /// [`Migrate::run`] with `RUST_LOG` set to `log`, or unset.
    fn run_with_log(&self, args: &[&str], log: Option<&str>) -> Run {
        let mut command = match &self.program {
            Program::Example(binary) => {
                let mut command = Command::new(binary);
                command.args(args);
                command
            }
            Program::Child(tree) => {
                let mut command = Command::new(std::env::current_exe().expect("test binary"));
                command
                    .args([
                        "--exact",
                        "child",
                        "--nocapture",
                        "--test-threads=1",
                        "--quiet",
                    ])
                    .env(CHILD_TREE, tree)
                    .env(CHILD_ARGS, args.join(ARG_SEPARATOR));
                command
            }
        };
        command
            .env("DATABASE_URL", &self.url)
            .env_remove("RUST_LOG");
        if let Some(log) = log {
            command.env("RUST_LOG", log);
        }
        let output = command
            .stdin(Stdio::null())
            .output()
            .expect("run the command binary");
        let mut run = Run::of(&output);
        if let Program::Child(_) = self.program {
            // The test harness announces the child test before it runs.
            if let Some(rest) = run.stdout.strip_prefix("\nrunning 1 test\n") {
                run.stdout = rest.to_owned();
            }
        }
        run
    }
}

// ---------------------------------------------------------------------------------------------
// Databases and trees

async fn database(backend: Backend) -> Option<TestDatabase> {
    TestDatabase::create(backend).await.expect("test database")
}

async fn connect(db: &TestDatabase) -> AnyDriver {
    AnyDriver::connect(db.url()).await.expect("connect")
}

async fn history(db: &TestDatabase, set: &MigrationSet) -> Vec<AppliedMigration> {
    Migrator::new(set)
        .history(&mut connect(db).await)
        .await
        .expect("history")
}

async fn log(db: &TestDatabase, set: &MigrationSet) -> Vec<LogRow> {
    Migrator::new(set)
        .log(&mut connect(db).await)
        .await
        .expect("log")
}

async fn execute(db: &TestDatabase, sql: &str) {
    connect(db).await.execute(sql).await.expect(sql);
}

/// Every table, column and index of the database, as text, in a stable order.
async fn schema(db: &TestDatabase) -> Vec<String> {
    let queries: &[&str] = match db.backend() {
        Backend::Sqlite => &[
            "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master ORDER BY type, name",
        ],
        Backend::MySql => &[
            "SELECT CAST(CONCAT(TABLE_NAME, '.', COLUMN_NAME, ' ', COLUMN_TYPE, ' ', IS_NULLABLE) AS CHAR) \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
            "SELECT CAST(CONCAT(TABLE_NAME, '.', INDEX_NAME, ' ', COLUMN_NAME) AS CHAR) \
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        ],
        Backend::Postgres => &[
            "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable \
             FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
            "SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname",
        ],
    };
    let mut driver = connect(db).await;
    let mut lines = Vec::new();
    for query in queries {
        for row in driver.query(query).await.expect(query) {
            lines.push(row.into_iter().flatten().collect::<Vec<_>>().join(" "));
        }
    }
    lines
}

fn dialect(backend: Backend) -> Dialect {
    match backend {
        Backend::Sqlite => Dialect::Sqlite,
        Backend::MySql => Dialect::MySql,
        Backend::Postgres => Dialect::Postgres,
    }
}

/// A migration tree in a temporary folder.
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new(files: &[(&str, &str)]) -> Tree {
        let tree = Tree {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        for (path, text) in files {
            tree.write(path, text);
        }
        tree
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn set(&self) -> MigrationSet {
        source::load_dir(self.path(), &Dialect::ALL).expect("tree loads")
    }
}

/// Three portable versions, one table each.
const THREE: &[(&str, &str)] = &[
    (
        "V1__first/up.sql",
        "CREATE TABLE first_table (id INTEGER PRIMARY KEY);\n",
    ),
    ("V1__first/down.sql", "DROP TABLE first_table;\n"),
    (
        "V2__second/up.sql",
        "CREATE TABLE second_table (id INTEGER PRIMARY KEY);\n",
    ),
    ("V2__second/down.sql", "DROP TABLE second_table;\n"),
    (
        "V3__third/up.sql",
        "CREATE TABLE third_table (id INTEGER PRIMARY KEY);\n",
    ),
    ("V3__third/down.sql", "DROP TABLE third_table;\n"),
];

/// The `versions[*]` of a `status --json` as `(version, state, checksum)`.
fn states(status: &Value) -> Vec<(u64, String, Value)> {
    status["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().expect("version"),
                v["state"].as_str().expect("state").to_owned(),
                v["checksum"].clone(),
            )
        })
        .collect()
}

/// Expected `states` when versions 1 to `applied` are applied with matching checksums.
fn applied_through(applied: u64, latest: u64) -> Vec<(u64, String, Value)> {
    (1..=latest)
        .map(|v| {
            if v <= applied {
                (v, "applied".to_owned(), Value::from("ok"))
            } else {
                (v, "pending".to_owned(), Value::Null)
            }
        })
        .collect()
}

/// One `#[tokio::test]` per backend for each scenario.
macro_rules! on_backends {
    ($($scenario:ident: $($backend:ident),+;)*) => {
        $(
            mod $scenario {
                $(
                    #[tokio::test]
                    #[allow(non_snake_case)]
                    async fn $backend() {
                        if let Some(db) = super::database(migrate_core::testing::Backend::$backend).await {
                            super::$scenario(&db).await;
                            db.drop_database().await;
                        }
                    }
                )+
            }
        )*
    };
}

on_backends! {
    new_user_path: Sqlite, MySql, Postgres;
    down_off_a_terminal_needs_yes: Sqlite, MySql;
    plan_prints_every_statement_and_changes_nothing: Sqlite, MySql, Postgres;
    changed_checksum_fails_validate_until_accepted: Sqlite, MySql;
    failed_migration_shows_in_status_and_resumes_after_the_fix: MySql;
    resume_skip_continues_after_a_statement_done_by_hand: MySql;
    repair_marks_a_failed_migration_not_applied: MySql;
    irreversible_versions_are_refused_by_name: Sqlite, MySql;
    plan_warns_of_scripts_that_hold_no_statement: Sqlite, MySql;
    baseline_adopts_an_existing_schema: Sqlite, MySql;
    history_newer_than_the_binary_is_a_mismatch: Sqlite;
    logs_follow_rust_log_on_standard_error: Sqlite;
    status_and_validate_report_a_manual_change_as_drift: Sqlite, MySql, Postgres;
    verify_checks_round_trips_without_touching_the_database: Sqlite, MySql, Postgres;
    verify_reports_a_broken_down_script_with_its_diff: Sqlite, MySql, Postgres;
}

// ---------------------------------------------------------------------------------------------
// Scenarios on the example application

/// The path a new user takes: empty database → up → status → down --to 1 --yes → status → up,
/// then redo.
async fn new_user_path(db: &TestDatabase) {
    let migrate = Migrate::example(db.url());
    let latest = u64::from(db::MIGRATIONS.latest().expect("versions").get());

    let empty = migrate.run(&["status"]).expect(0);
    assert!(empty.stdout.contains("version"), "{}", empty.stdout);
    assert!(empty.stdout.contains("pending"), "{}", empty.stdout);
    assert!(empty.stdout.contains("run `up`"), "{}", empty.stdout);
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["current"], Value::Null);
    assert_eq!(states(&status), applied_through(0, latest));

    let up = migrate.run(&["up"]).expect(0);
    for version in 1..=latest {
        assert!(
            up.stdout.contains(&format!("applied V{version} ")),
            "{}",
            up.stdout
        );
    }
    assert!(up.stdout.contains("nothing pending"), "{}", up.stdout);

    let table = migrate.run(&["status"]).expect(0).stdout;
    for column in ["applied at", "applied by", "duration", "checksum"] {
        assert!(table.contains(column), "{table}");
    }
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(states(&status), applied_through(latest, latest));
    assert_eq!(status["current"], Value::from(latest));
    assert_eq!(status["pending"], Value::Array(Vec::new()));
    for version in status["versions"].as_array().expect("versions") {
        assert!(version["applied_by"]
            .as_str()
            .is_some_and(|by| !by.is_empty()));
        assert!(version["applied_at"]
            .as_str()
            .is_some_and(|at| !at.is_empty()));
        assert!(version["duration_ms"].is_u64());
    }

    let down = migrate.run(&["down", "--to", "1", "--yes"]).expect(0);
    for version in 2..=latest {
        assert!(
            down.stdout.contains(&format!("reverted V{version} ")),
            "{}",
            down.stdout
        );
    }
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(states(&status), applied_through(1, latest));
    assert_eq!(status["current"], Value::from(1));
    let recorded = history(db, &db::MIGRATIONS).await;
    assert_eq!(
        recorded.iter().map(|r| r.version.get()).collect::<Vec<_>>(),
        [1]
    );

    migrate.run(&["up"]).expect(0);
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(states(&status), applied_through(latest, latest));

    let redo = migrate.run(&["redo", "--yes"]).expect(0);
    assert!(
        redo.stdout.contains(&format!("reverted V{latest} "))
            && redo.stdout.contains(&format!("applied V{latest} ")),
        "{}",
        redo.stdout
    );
    migrate.run(&["validate"]).expect(0);
}

/// A column added by hand shows in `status` (exit 0) and fails `validate` (exit 4), with what
/// was added, in text and JSON; dropping it again clears both.
async fn status_and_validate_report_a_manual_change_as_drift(db: &TestDatabase) {
    let migrate = Migrate::example(db.url());
    migrate.run(&["up"]).expect(0);
    let clean = migrate.run(&["status"]).expect(0).stdout;
    assert!(
        clean.contains("schema: matches version 2 (sha256:"),
        "{clean}"
    );
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["schema"]["state"], "matches");
    assert_eq!(status["schema"]["recorded"], status["schema"]["live"]);

    execute(db, "ALTER TABLE apps ADD COLUMN hotfix INTEGER NULL").await;
    let drift = migrate.run(&["status"]).expect(0).stdout;
    assert!(
        drift.contains(
            "schema: DRIFT: the live schema differs from the one recorded after version 2"
        ),
        "{drift}"
    );
    assert!(drift.contains("+ column apps.hotfix:"), "{drift}");
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["schema"]["state"], "drift");
    assert_eq!(status["schema"]["version"], 2);
    assert_ne!(status["schema"]["recorded"], status["schema"]["live"]);
    assert_eq!(status["schema"]["diff"]["added"][0]["kind"], "column");
    assert_eq!(status["schema"]["diff"]["added"][0]["name"], "apps.hotfix");
    assert_eq!(
        status["schema"]["diff"]["removed"],
        Value::Array(Vec::new())
    );

    let validate = migrate.run(&["validate"]).expect(4).stdout;
    assert!(validate.contains("+ column apps.hotfix"), "{validate}");
    let validate = migrate.run(&["validate", "--json"]).expect(4).json();
    assert_eq!(validate["ok"], false);
    assert_eq!(validate["problems"][0]["kind"], "schema_drift");
    assert_eq!(validate["problems"][0]["version"], 2);

    execute(db, "ALTER TABLE apps DROP COLUMN hotfix").await;
    migrate.run(&["validate"]).expect(0);
}

/// `verify` runs every round trip on scratch databases: the database it is pointed at stays
/// exactly as it was, and no scratch database is left behind.
async fn verify_checks_round_trips_without_touching_the_database(db: &TestDatabase) {
    let migrate = Migrate::example(db.url());
    migrate.run(&["up", "--to", "1"]).expect(0);
    let before = schema(db).await;
    let history_before = history(db, &db::MIGRATIONS).await;

    let run = migrate.run(&["verify"]).expect(0);
    assert!(
        run.stdout
            .contains("ok    version 1 (apps): down restores the schema, up is repeatable"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("ok    version 2 (features)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2 of 2 versions verified"),
        "{}",
        run.stdout
    );
    let report = migrate.run(&["verify", "--json"]).expect(0).json();
    assert_eq!(report["ok"], true);
    assert_eq!(report["versions"].as_array().map(Vec::len), Some(2));
    assert_eq!(report["versions"][1]["round_trip"], "checked");

    assert_eq!(schema(db).await, before, "the database itself is untouched");
    assert_eq!(history(db, &db::MIGRATIONS).await, history_before);
    if db.backend() != Backend::Sqlite {
        let list = match db.backend() {
            Backend::MySql => "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'migrate\\_verify\\_%'",
            _ => "SELECT datname::text FROM pg_database WHERE datname LIKE 'migrate\\_verify\\_%'",
        };
        let pid = std::process::id();
        let left: Vec<String> = connect(db)
            .await
            .query(list)
            .await
            .expect(list)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|name| name.contains(&format!("_{pid}_")))
            .collect();
        assert!(left.is_empty(), "scratch databases left behind: {left:?}");
    }
}

/// `verify --dir` on a tree whose V2 down script forgets the column its up script adds: exit
/// 3, the version named, what the down left behind shown, and the later version still checked.
async fn verify_reports_a_broken_down_script_with_its_diff(db: &TestDatabase) {
    let tree = Tree::new(&[
        (
            "V1__apps/up.sql",
            "CREATE TABLE apps (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);\n",
        ),
        ("V1__apps/down.sql", "DROP TABLE apps;\n"),
        (
            "V2__note/up.sql",
            "ALTER TABLE apps ADD COLUMN note VARCHAR(50) NULL;\nCREATE TABLE notes (id INTEGER NOT NULL);\n",
        ),
        ("V2__note/down.sql", "DROP TABLE notes;\n"),
        (
            "V3__tags/up.sql",
            "CREATE TABLE tags (name VARCHAR(20) NOT NULL);\n",
        ),
        ("V3__tags/down.sql", "DROP TABLE tags;\n"),
    ]);
    let dir = tree.path().to_str().expect("utf-8 path");
    let migrate = Migrate::example(db.url());
    let run = migrate.run(&["verify", "--dir", dir]).expect(3);
    assert!(
        run.stdout.contains("ok    version 1 (apps)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("FAIL  version 2 (note):"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("the down script does not restore the schema before the up script"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("+ column apps.note:"), "{}", run.stdout);
    assert!(
        run.stdout.contains("up after down failed"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("ok    version 3 (tags)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2 of 3 versions verified"),
        "{}",
        run.stdout
    );
    let report = migrate
        .run(&["verify", "--dir", dir, "--json"])
        .expect(3)
        .json();
    assert_eq!(report["ok"], false);
    let problems = &report["versions"][1]["problems"];
    assert_eq!(problems[0]["kind"], "down_does_not_restore");
    assert_eq!(problems[0]["diff"]["added"][0]["name"], "apps.note");
    assert_eq!(problems[1]["kind"], "failed");
    assert_eq!(problems[1]["step"], "up after down");
    assert!(
        schema(db).await.is_empty(),
        "the database itself is untouched"
    );
}

/// `down` asks before reverting; without a terminal and without `--yes` it refuses (exit 2)
/// and nothing is reverted.
async fn down_off_a_terminal_needs_yes(db: &TestDatabase) {
    let migrate = Migrate::example(db.url());
    migrate.run(&["up"]).expect(0);
    let before = history(db, &db::MIGRATIONS).await;
    let refused = migrate.run(&["down", "--to", "0"]).expect(2);
    assert!(refused.stderr.contains("pass --yes"), "{}", refused.stderr);
    assert_eq!(refused.stdout, "");
    assert_eq!(history(db, &db::MIGRATIONS).await, before);
}

/// `plan` lists every statement with file and line (and on MySQL marks implicit commits), as
/// text and JSON, and leaves schema, history and log exactly as they were.
async fn plan_prints_every_statement_and_changes_nothing(db: &TestDatabase) {
    let migrate = Migrate::example(db.url());
    let set = &db::MIGRATIONS;
    let dialect = dialect(db.backend());
    migrate.run(&["up", "--to", "1"]).expect(0);
    let before = (schema(db).await, history(db, set).await, log(db, set).await);

    let text = migrate.run(&["plan"]).expect(0).stdout;
    let json = migrate.run(&["plan", "--json"]).expect(0).json();
    let down = migrate
        .run(&["plan", "--down", "--to", "0", "--json"])
        .expect(0)
        .json();

    let after = (schema(db).await, history(db, set).await, log(db, set).await);
    assert_eq!(before, after, "plan changed the database");

    // Every statement of every pending version, in order, with its file and line.
    let steps = json["steps"].as_array().expect("steps");
    let pending: Vec<_> = set.migrations().iter().skip(1).collect();
    assert_eq!(steps.len(), pending.len());
    assert_eq!(json["direction"], "up");
    let mut last_position = 0;
    for (step, migration) in steps.iter().zip(&pending) {
        let script = migration.script(Direction::Up, dialect).expect("script");
        let statements = split::split(script.sql(), dialect).expect("splits");
        assert_eq!(step["version"], migration.version().get());
        assert_eq!(step["script"], script.path());
        let listed = step["statements"].as_array().expect("statements");
        assert_eq!(listed.len(), statements.len());
        for (i, (listed, statement)) in listed.iter().zip(&statements).enumerate() {
            assert_eq!(listed["number"], i + 1);
            assert_eq!(listed["line"], statement.line);
            assert_eq!(listed["sql"], statement.sql);
            let heading = format!("-- {}:{}", script.path(), statement.line);
            let position = text[last_position..]
                .find(&heading)
                .unwrap_or_else(|| panic!("`{heading}` missing or out of order in:\n{text}"));
            last_position += position + heading.len();
            match db.backend() {
                Backend::MySql => {
                    let marked = listed["implicit_commit"].as_bool().expect("bool on MySQL");
                    let ddl = ["CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE"]
                        .iter()
                        .any(|kw| statement.sql.trim_start().to_uppercase().starts_with(kw));
                    assert_eq!(marked, ddl, "{}", statement.sql);
                }
                _ => assert_eq!(listed["implicit_commit"], Value::Null),
            }
        }
        let expected = if db.backend() == Backend::MySql {
            "journaled"
        } else {
            "atomic"
        };
        assert_eq!(step["transaction"], expected);
    }
    if db.backend() == Backend::MySql {
        assert!(text.contains("[implicit commit]"), "{text}");
    }
    // The revert plan: version 1's down script.
    let down_steps = down["steps"].as_array().expect("steps");
    assert_eq!(down["direction"], "down");
    assert_eq!(down_steps.len(), 1);
    assert_eq!(down_steps[0]["version"], 1);
    assert_eq!(down_steps[0]["direction"], "down");
}

// ---------------------------------------------------------------------------------------------
// Scenarios on trees of their own

/// An edited script: `validate` exits 3 naming the fix, `up` refuses, `accept-checksum`
/// records the new checksum (audited in the log table), and `validate` passes again.
async fn changed_checksum_fails_validate_until_accepted(db: &TestDatabase) {
    let tree = Tree::new(THREE);
    let migrate = Migrate::child(db.url(), tree.path());
    migrate.run(&["up"]).expect(0);
    migrate.run(&["validate"]).expect(0);

    tree.write(
        "V2__second/up.sql",
        "-- the table for the second feature\nCREATE TABLE second_table (id INTEGER PRIMARY KEY);\n",
    );
    let failed = migrate.run(&["validate"]).expect(3);
    assert!(
        failed.stdout.contains("accept-checksum --version 2"),
        "{}",
        failed.stdout
    );
    let report = migrate.run(&["validate", "--json"]).expect(3).json();
    assert_eq!(report["ok"], false);
    let problems = report["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{report}");
    assert_eq!(problems[0]["kind"], "checksum_changed");
    assert_eq!(problems[0]["version"], 2);
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["versions"][1]["checksum"], "changed");
    assert!(migrate
        .run(&["status"])
        .expect(0)
        .stdout
        .contains("changed"));
    let refused = migrate.run(&["down", "--to", "1", "--yes"]).expect(3);
    assert!(
        refused.stderr.contains("accept-checksum --version 2"),
        "{}",
        refused.stderr
    );

    let accepted = migrate
        .run(&["accept-checksum", "--version", "2"])
        .expect(0);
    assert!(
        accepted.stdout.contains("accepted checksum"),
        "{}",
        accepted.stdout
    );
    migrate.run(&["validate"]).expect(0);
    let report = migrate.run(&["validate", "--json"]).expect(0).json();
    assert_eq!(report["ok"], true);
    assert_eq!(report["problems"], Value::Array(Vec::new()));

    let set = tree.set();
    let v2 = &history(db, &set).await[1];
    let embedded = set.migrations()[1]
        .script(Direction::Up, dialect(db.backend()))
        .expect("script")
        .checksum();
    assert_eq!(v2.checksum, embedded);
    let audit: Vec<LogRow> = log(db, &set)
        .await
        .into_iter()
        .filter(|row| row.action == "accept-checksum")
        .collect();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].version.map(|v| v.get()), Some(2));
    assert!(
        audit[0]
            .detail
            .as_deref()
            .is_some_and(|d| d.contains(&embedded.to_string())),
        "{audit:?}"
    );
}

/// V2's second statement needs a table that does not exist.
const FAILING: &[(&str, &str)] = &[
    (
        "V1__first/up.sql",
        "CREATE TABLE first_table (id INTEGER PRIMARY KEY);\n",
    ),
    ("V1__first/down.sql", "DROP TABLE first_table;\n"),
    (
        "V2__second/up.sql",
        "CREATE TABLE second_table (id INTEGER PRIMARY KEY);\n\
         INSERT INTO needed_table (id) VALUES (1);\n\
         CREATE TABLE third_table (id INTEGER PRIMARY KEY);\n",
    ),
    (
        "V2__second/down.sql",
        "DROP TABLE third_table;\nDROP TABLE second_table;\n",
    ),
];

/// Runs the failing tree up to its failure and checks what the operator is told.
async fn fail_on_mysql(migrate: &Migrate) {
    let failed = migrate.run(&["up"]).expect(1);
    assert!(failed.stdout.contains("applied V1 "), "{}", failed.stdout);
    for expected in [
        "statement 2",
        "V2__second/up.sql` line 2",
        "resume",
        "needed_table",
    ] {
        assert!(
            failed.stderr.contains(expected),
            "{expected}: {}",
            failed.stderr
        );
    }

    let table = migrate.run(&["status"]).expect(0).stdout;
    assert!(table.contains("failed at 2 of 3"), "{table}");
    assert!(table.contains("run `resume`"), "{table}");
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    let v2 = &status["versions"][1];
    assert_eq!(v2["state"], "failed");
    assert_eq!(v2["statements_done"], 1);
    assert_eq!(v2["statements_total"], 3);
    assert!(
        v2["error"]
            .as_str()
            .is_some_and(|e| e.contains("needed_table")),
        "{v2}"
    );
    let report = migrate.run(&["validate", "--json"]).expect(3).json();
    assert_eq!(report["problems"][0]["kind"], "failed");
    // Every command that would build on the history refuses until the operator decides.
    let refused = migrate.run(&["up"]).expect(3);
    assert!(refused.stderr.contains("`resume`"), "{}", refused.stderr);
}

/// A failed MySQL migration: `status` shows where it stopped and why, and `resume` finishes
/// it once the cause is fixed.
async fn failed_migration_shows_in_status_and_resumes_after_the_fix(db: &TestDatabase) {
    let tree = Tree::new(FAILING);
    let migrate = Migrate::child(db.url(), tree.path());
    fail_on_mysql(&migrate).await;

    execute(db, "CREATE TABLE needed_table (id INTEGER PRIMARY KEY)").await;
    let resumed = migrate.run(&["resume"]).expect(0);
    assert!(
        resumed.stdout.contains("applied V2 second (2 statements"),
        "{}",
        resumed.stdout
    );
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(states(&status), applied_through(2, 2));
    migrate.run(&["validate"]).expect(0);
    // The resumed statements really ran.
    let mut driver = connect(db).await;
    let rows = driver
        .query("SELECT CAST(COUNT(*) AS CHAR) FROM needed_table")
        .await
        .expect("needed_table");
    assert_eq!(rows, [[Some("1".to_owned())]]);
    driver
        .query("SELECT id FROM third_table")
        .await
        .expect("third_table was created");
    let actions: Vec<String> = log(db, &tree.set())
        .await
        .into_iter()
        .map(|r| format!("{} {}", r.action, r.outcome))
        .collect();
    assert!(actions.contains(&"resume ok".to_owned()), "{actions:?}");
}

/// `resume --skip` continues after the failed statement, for one completed by hand.
async fn resume_skip_continues_after_a_statement_done_by_hand(db: &TestDatabase) {
    let tree = Tree::new(FAILING);
    let migrate = Migrate::child(db.url(), tree.path());
    fail_on_mysql(&migrate).await;

    // The operator does statement 2's job another way; `needed_table` stays absent.
    execute(db, "CREATE TABLE stand_in (id INTEGER PRIMARY KEY)").await;
    let resumed = migrate.run(&["resume", "--skip"]).expect(0);
    assert!(
        resumed.stdout.contains("applied V2 second (1 statements"),
        "{}",
        resumed.stdout
    );
    let rows = history(db, &tree.set()).await;
    assert!(rows.iter().all(|r| r.state == State::Applied), "{rows:?}");
    connect(db)
        .await
        .query("SELECT id FROM third_table")
        .await
        .expect("third_table was created");
}

/// `repair` clears the failed row after a manual clean-up; the version is pending again.
async fn repair_marks_a_failed_migration_not_applied(db: &TestDatabase) {
    let tree = Tree::new(FAILING);
    let migrate = Migrate::child(db.url(), tree.path());
    fail_on_mysql(&migrate).await;

    execute(db, "DROP TABLE second_table").await;
    let repaired = migrate.run(&["repair"]).expect(0);
    assert!(
        repaired.stdout.contains("version 2 marked not applied"),
        "{}",
        repaired.stdout
    );
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(states(&status), applied_through(1, 2));
    migrate.run(&["validate"]).expect(0);
    let actions: Vec<String> = log(db, &tree.set())
        .await
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert!(actions.contains(&"repair".to_owned()), "{actions:?}");
    // Nothing left to repair or resume.
    migrate.run(&["repair"]).expect(1);
}

/// An empty or comment-only script is a no-op version: `plan` warns of it (a comment line in
/// the text, a `warnings` array in JSON) and `up` records it.
async fn plan_warns_of_scripts_that_hold_no_statement(db: &TestDatabase) {
    let tree = Tree::new(THREE);
    tree.write("V2__second/up.sql", "");
    tree.write("V3__third/up.sql", "-- only a comment\n");
    let migrate = Migrate::child(db.url(), tree.path());
    let text = migrate.run(&["plan"]).expect(0).stdout;
    for v in [
        "version 2: `V2__second/up.sql`",
        "version 3: `V3__third/up.sql`",
    ] {
        let line = format!("-- warning: {v} holds no statement");
        assert!(text.contains(&line), "{line}:\n{text}");
    }
    let json = migrate.run(&["plan", "--json"]).expect(0).json();
    let warnings: Vec<(u64, &str)> = json["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| {
            (
                w["version"].as_u64().expect("v"),
                w["kind"].as_str().expect("kind"),
            )
        })
        .collect();
    assert_eq!(warnings, [(2, "no_op_script"), (3, "no_op_script")]);
    migrate.run(&["up"]).expect(0);
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(states(&status), applied_through(3, 3));
}

/// A revert across irreversible versions is refused before anything runs, naming each one.
async fn irreversible_versions_are_refused_by_name(db: &TestDatabase) {
    let tree = Tree::new(THREE);
    tree.write("V2__second/down.sql", "-- migrate:irreversible\n");
    tree.write("V3__third/down.sql", "-- migrate:irreversible\n");
    let migrate = Migrate::child(db.url(), tree.path());
    migrate.run(&["up"]).expect(0);
    let before = schema(db).await;

    let refused = migrate.run(&["down", "--to", "1", "--yes"]).expect(1);
    for expected in [
        "version 3 (`V3__third/down.sql`)",
        "version 2 (`V2__second/down.sql`)",
        "revert to 3 or later",
    ] {
        assert!(
            refused.stderr.contains(expected),
            "{expected}: {}",
            refused.stderr
        );
    }
    migrate.run(&["redo", "--yes"]).expect(1);
    assert_eq!(schema(db).await, before);
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(states(&status), applied_through(3, 3));
}

/// `baseline` adopts a database whose schema was built by hand; `up` then runs only what
/// follows.
async fn baseline_adopts_an_existing_schema(db: &TestDatabase) {
    let tree = Tree::new(THREE);
    let migrate = Migrate::child(db.url(), tree.path());
    execute(db, "CREATE TABLE first_table (id INTEGER PRIMARY KEY)").await;

    migrate.run(&["baseline", "--version", "1"]).expect(0);
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(states(&status), applied_through(1, 3));
    let up = migrate.run(&["up"]).expect(0);
    assert!(!up.stdout.contains("applied V1 "), "{}", up.stdout);
    assert!(up.stdout.contains("applied V3 "), "{}", up.stdout);
    let actions: Vec<String> = log(db, &tree.set())
        .await
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(
        actions.first().map(String::as_str),
        Some("baseline"),
        "{actions:?}"
    );
    // Twice is refused: the history is no longer empty.
    migrate.run(&["baseline", "--version", "1"]).expect(1);
}

/// A database migrated by a newer binary: `status` shows the version as not embedded and
/// `validate` exits 3.
async fn history_newer_than_the_binary_is_a_mismatch(db: &TestDatabase) {
    let newer = Tree::new(THREE);
    Migrate::child(db.url(), newer.path())
        .run(&["up"])
        .expect(0);
    let older = Tree::new(&THREE[..4]);
    let migrate = Migrate::child(db.url(), older.path());
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["versions"][2]["checksum"], "not_embedded");
    assert_eq!(status["latest"], 2);
    assert_eq!(status["current"], 3);
    let report = migrate.run(&["validate", "--json"]).expect(3).json();
    assert_eq!(report["problems"][0]["kind"], "not_embedded");
    assert_eq!(report["problems"][0]["version"], 3);
}

/// `RUST_LOG` turns on the runner's `tracing` logs, on standard error: standard output keeps
/// the same lines (and stays valid JSON with `--json`).
async fn logs_follow_rust_log_on_standard_error(db: &TestDatabase) {
    let migrate = Migrate::example(db.url());
    let quiet = migrate.run(&["up", "--to", "1"]).expect(0);
    assert_eq!(quiet.stderr, "");
    let logged = migrate
        .run_with_log(&["up"], Some("migrate_core=debug"))
        .expect(0);
    assert!(logged.stdout.contains("applied V2 "), "{}", logged.stdout);
    assert!(
        logged.stderr.contains("migration lock taken"),
        "{}",
        logged.stderr
    );
    assert!(logged.stderr.contains("running"), "{}", logged.stderr);
    let status = migrate
        .run_with_log(&["status", "--json"], Some("debug"))
        .expect(0);
    assert!(status.json()["versions"].is_array());
}

// ---------------------------------------------------------------------------------------------
// Without a database

#[test]
fn new_creates_the_next_version_folder() {
    let tree = Tree::new(&THREE[..4]);
    let migrate = Migrate::example("sqlite://unused.db");
    let dir = tree.path().to_str().expect("UTF-8 path");

    let created = migrate.run(&["new", "add_index", "--dir", dir]).expect(0);
    assert!(created.stdout.contains("version 3"), "{}", created.stdout);
    for file in ["up.sql", "down.sql"] {
        assert!(tree.path().join("V3__add_index").join(file).is_file());
    }
    migrate.run(&["new", "more", "--dir", dir]).expect(0);
    assert!(tree.path().join("V4__more").is_dir());

    let invalid = migrate.run(&["new", "Add Index!", "--dir", dir]).expect(2);
    assert!(invalid.stderr.contains("`add_index`"), "{}", invalid.stderr);
    let missing = tree.path().join("missing");
    let missing = missing.to_str().expect("UTF-8 path");
    migrate.run(&["new", "x", "--dir", missing]).expect(2);
}

#[test]
fn usage_errors_exit_with_2() {
    let migrate = Migrate::example("sqlite://unused.db");
    for args in [
        &["frobnicate"][..],
        &["down"],
        &["baseline", "--version", "0"],
        &["up", "--to", "two"],
        &["plan", "--down"],
    ] {
        let run = migrate.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{args:?}");
    }
    migrate.run(&["--help"]).expect(0);
}

#[test]
fn unreachable_database_exits_with_1_without_showing_the_password() {
    let migrate = Migrate::example("mysql://app:s3cret-pw@127.0.0.1:1/app");
    let run = migrate.run(&["status"]).expect(1);
    assert!(
        run.stderr.contains("mysql://app:***@127.0.0.1:1/app"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("caused by"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("s3cret") && !run.stdout.contains("s3cret"),
        "{}",
        run.stderr
    );

    // A scheme no driver serves is a usage error, refused before connecting.
    let unknown = Migrate::example("oracle://scott:tiger@db/x")
        .run(&["status"])
        .expect(2);
    assert!(!unknown.stderr.contains("tiger"), "{}", unknown.stderr);
    assert!(unknown.stderr.contains("`oracle`"), "{}", unknown.stderr);
}
