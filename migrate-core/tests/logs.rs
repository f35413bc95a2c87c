//! Logs go through `tracing`: with `RUST_LOG=migrate_core=debug` every statement is logged
//! before it runs, and a failed command is one `error` event, which the CLI's default filter
//! leaves out because the CLI prints the error itself.
//!
//! Its own test binary: `tracing` caches per call site whether any subscriber listens, so
//! these tests must not share a process with tests that run without one. The CLI test runs
//! in a child process (this binary, with `MIGRATE_LOGS_CHILD` set), since the CLI installs a
//! process-wide subscriber.
#![cfg(feature = "cli")]

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use migrate_core::driver::SqlxSqlite;
use migrate_core::{
    source, Config, Dialect, Error, MigrationSet, Migrator, Target, UnknownVersions,
};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::EnvFilter;

const CHILD: &str = "MIGRATE_LOGS_CHILD";

/// V1 applies; V2's second statement fails (a table that does not exist).
const TREE: &[(&str, &str)] = &[
    (
        "V1__first/up.sql",
        "CREATE TABLE first_table (id INTEGER);\nINSERT INTO first_table (id) VALUES (7);\n",
    ),
    ("V1__first/down.sql", "DROP TABLE first_table;\n"),
    (
        "V2__broken/up.sql",
        "CREATE TABLE second_table (id INTEGER);\nINSERT INTO missing_table (id) VALUES (1);\n",
    ),
    ("V2__broken/down.sql", "DROP TABLE second_table;\n"),
];

fn write_tree(dir: &Path) -> MigrationSet {
    for (path, text) in TREE {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    source::load_dir(dir, &Dialect::ALL).expect("tree loads")
}

/// One captured event: level, target and its fields as `name=value` text.
#[derive(Debug, Clone)]
struct Captured {
    level: Level,
    target: String,
    fields: String,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

impl<S: Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.0.lock().expect("capture").push(Captured {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields: fields.0,
        });
    }
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, "{}={} ", field.name(), value);
    }
}

#[tokio::test]
async fn statements_are_logged_at_debug_and_a_failure_as_one_error_event() {
    let dir = tempfile::tempdir().expect("temp dir");
    let set = write_tree(&dir.path().join("versions"));
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry()
        .with(EnvFilter::new("migrate_core=debug"))
        .with(capture.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let url = format!("sqlite://{}", dir.path().join("app.db").display());
    let mut driver = SqlxSqlite::connect(&url).await.expect("connect");
    let err = Migrator::new(&set)
        .up(&mut driver, Target::Latest)
        .await
        .expect_err("V2 fails");
    assert!(matches!(err, Error::StatementFailed { .. }), "{err}");

    let events = capture.0.lock().expect("capture").clone();
    let debug: Vec<&Captured> = events
        .iter()
        .filter(|e| e.level == Level::DEBUG && e.target.starts_with("migrate_core"))
        .collect();
    for (_, text) in TREE.iter().filter(|(path, _)| path.ends_with("up.sql")) {
        for statement in text.lines() {
            let sql = statement.trim_end_matches(';');
            assert!(
                debug.iter().any(|e| e.fields.contains(sql)),
                "no debug event shows `{sql}`: {events:#?}"
            );
        }
    }
    let errors: Vec<&Captured> = events.iter().filter(|e| e.level == Level::ERROR).collect();
    assert_eq!(errors.len(), 1, "{events:#?}");
    assert!(errors[0].target.starts_with("migrate_core"), "{errors:#?}");
    assert!(
        errors[0].fields.contains("missing_table") && errors[0].fields.contains("version 2"),
        "{errors:#?}"
    );
}

/// The CLI prints a failure once, as its `error: …` line: its default filter (no `RUST_LOG`)
/// leaves out the runner's `error` event.
/// An older binary (version 1) that ignores a version 2 a newer one applied says so in one
/// `warn` event per command, naming the version.
#[tokio::test]
async fn ignored_unknown_versions_are_one_warning_naming_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry()
        .with(EnvFilter::new("migrate_core=info"))
        .with(capture.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let load = |name: &str, files: &[(&str, &str)]| {
        let root = dir.path().join(name);
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        source::load_dir(&root, &Dialect::ALL).expect("tree loads")
    };
    let newer = load(
        "newer",
        &[
            TREE[0],
            TREE[1],
            (
                "V2__second/up.sql",
                "CREATE TABLE second_table (id INTEGER);\n",
            ),
            ("V2__second/down.sql", "DROP TABLE second_table;\n"),
        ],
    );
    let older = load("older", &TREE[..2]);
    let url = format!("sqlite://{}", dir.path().join("app.db").display());
    let mut driver = SqlxSqlite::connect(&url).await.expect("connect");
    Migrator::new(&newer)
        .up(&mut driver, Target::Latest)
        .await
        .expect("the newer binary migrates");
    let config = Config::default().unknown_versions(UnknownVersions::Ignore);
    let m = Migrator::with_config(&older, config);
    let warnings = || -> Vec<Captured> {
        let mut events = capture.0.lock().expect("capture");
        let warnings = events
            .iter()
            .filter(|e| e.level == Level::WARN && e.target.starts_with("migrate_core"))
            .cloned()
            .collect();
        events.clear();
        warnings
    };
    warnings();
    let report = m.up(&mut driver, Target::Latest).await.expect("starts");
    assert_eq!(report.unknown_versions.len(), 1);
    let after_up = warnings();
    m.validate(&mut driver).await.expect("valid");
    let after_validate = warnings();
    for found in [after_up, after_validate] {
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].fields.contains("unknown_versions=2 ")
                && found[0]
                    .fields
                    .contains("version 2 is applied but unknown here"),
            "{found:#?}"
        );
    }
}

#[test]
fn cli_prints_a_failure_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_tree(&dir.path().join("versions"));
    let url = format!("sqlite://{}", dir.path().join("app.db").display());
    let output = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "cli_child", "--nocapture", "--test-threads", "1"])
        .env(CHILD, dir.path())
        .env("DATABASE_URL", &url)
        .env_remove("RUST_LOG")
        .output()
        .expect("child runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("missing_table").count(),
        1,
        "the failure should be printed once:\n{stderr}"
    );
    assert!(stderr.contains("error: "), "{stderr}");
}

/// The child process of [`cli_prints_a_failure_once`]: `migrate up` through the CLI.
#[test]
fn cli_child() {
    let Ok(dir) = std::env::var(CHILD) else {
        return;
    };
    let set = source::load_dir(Path::new(&dir).join("versions"), &Dialect::ALL).expect("tree");
    let exit = migrate_core::cli::Cli::new(&set).run_from(["migrate", "up"]);
    eprintln!("exit: {exit:?}");
}
