//! The standalone `migrate` binary end to end: each test runs the built binary as a separate
//! process on a copy of the example application's `sql/versions`, against a fresh database of
//! its own (SQLite always, MariaDB and PostgreSQL when reachable; `MIGRATE_REQUIRE_SERVERS=1`
//! makes an unreachable server a failure), and checks what it printed and its exit status.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use migrate_core::driver::Driver as _;
use migrate_core::testing::{servers_required, Backend, TestDatabase};
use serde_json::Value;

#[path = "support/run.rs"]
mod run;

use run::Run;

/// The test certificate authority `scripts/start-servers.sh` signs PostgreSQL's certificate with.
const CERTIFICATE: &str = "/var/lib/postgresql/migrate-tls/ca.crt";

/// The binary, bound to a database URL and run in a project folder holding `sql/versions`.
struct Migrate {
    url: String,
    project: tempfile::TempDir,
}

impl Migrate {
    /// A project folder with a copy of the example application's versions.
    fn new(url: &str) -> Migrate {
        let project = tempfile::tempdir().expect("temp dir");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sql/versions");
        copy_tree(&source, &project.path().join("sql/versions"));
        Migrate {
            url: url.to_owned(),
            project,
        }
    }

    /// Runs `migrate ARGS` in the project folder with `DATABASE_URL` set and standard input
    /// closed (not a terminal).
    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_migrate"));
        command
            .args(args)
            .current_dir(self.project.path())
            .env("DATABASE_URL", &self.url)
            .env_remove("MIGRATE_DIR")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        Run::of(&command.output().expect("run migrate"))
    }

    fn versions(&self) -> PathBuf {
        self.project.path().join("sql/versions")
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Whether `text` reads like `2026-12-05T23:20:01.123Z`.
fn is_rfc3339_millis(text: &str) -> bool {
    let shape: String = text
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    shape == "9999-99-99T99:99:99.999Z"
}

/// The versions `status --json` reports in each state, as `(version, state)`.
fn states(status: &Value) -> Vec<(u64, String)> {
    status["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().expect("version"),
                v["state"].as_str().expect("state").to_owned(),
            )
        })
        .collect()
}

fn applied_through(n: u64) -> Vec<(u64, String)> {
    (1..=2)
        .map(|v| (v, if v <= n { "applied" } else { "pending" }.to_owned()))
        .collect()
}

/// The steps of an `up --json` or `down --json` document, as version numbers.
fn step_versions(run: &Value) -> Vec<u64> {
    run["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["version"].as_u64().expect("version"))
        .collect()
}

/// `database drop`, `database create`, `status`, `up`, `down --to 1`, `verify`, the JSON of
/// `up` and `down`, another history table, and `database drop` again, on `url`.
fn operator_path(url: &str) {
    let migrate = Migrate::new(url);
    database_is_dropped_and_created_again(&migrate);
    up_status_down_and_verify(&migrate);
    up_and_down_as_json(&migrate);
    another_history_table_leaves_the_default_empty(&migrate);
    migrate
        .run(&["database", "drop", "--yes"])
        .expect(0)
        .says("dropped database");
    migrate
        .run(&["database", "drop", "--yes"])
        .expect(0)
        .says("does not exist; nothing to do");
}

/// The fresh database is dropped (SQLite: its file does not exist yet), then created again by
/// the binary: `drop` without `--yes` is refused, and each command run twice says the second
/// time that there is nothing to do.
fn database_is_dropped_and_created_again(migrate: &Migrate) {
    migrate.run(&["database", "create"]).expect(0);
    migrate.run(&["database", "drop"]).expect(2);
    migrate
        .run(&["database", "drop", "--yes"])
        .expect(0)
        .says("dropped database");
    migrate
        .run(&["database", "drop", "--yes"])
        .expect(0)
        .says("does not exist; nothing to do");
    migrate
        .run(&["database", "create"])
        .expect(0)
        .says("created database");
    migrate
        .run(&["database", "create"])
        .expect(0)
        .says("exists already; nothing to do");
}

/// `status` before and after `up` (one RFC 3339 time per applied version, as text and as
/// JSON), `down --to 1`, and `verify`.
fn up_status_down_and_verify(migrate: &Migrate) {
    migrate
        .run(&["--dir", "sql/versions", "status"])
        .expect(0)
        .says("pending: 1, 2 (run `up`)");
    migrate
        .run(&["up"])
        .expect(0)
        .says("applied V1 apps")
        .says("applied V2 features")
        .says("nothing pending");
    let table = migrate.run(&["status"]).expect(0).stdout;
    let stamps = table
        .split_whitespace()
        .filter(|word| is_rfc3339_millis(word))
        .count();
    assert_eq!(stamps, 2, "one RFC 3339 time per applied version:\n{table}");
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(states(&status), applied_through(2));
    for version in status["versions"].as_array().expect("versions") {
        let at = version["applied_at"].as_str().expect("applied_at");
        assert!(is_rfc3339_millis(at), "{at}");
    }

    // One `up` applied V1 and V2, so only V2 has a recorded schema: the revert records V1's.
    migrate
        .run(&["down", "--to", "1", "--yes"])
        .expect(0)
        .says("reverted V2 features")
        .says("version 1 had no recorded schema fingerprint");
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(states(&status), applied_through(1));
    assert_eq!(status["current"], 1);

    migrate
        .run(&["verify"])
        .expect(0)
        .says("down restores the schema");
}

/// `up --json` from V1 and again with nothing pending, then `down --to 0 --json`.
fn up_and_down_as_json(migrate: &Migrate) {
    let up = migrate.run(&["up", "--json"]).expect(0).json();
    assert_eq!(up["direction"], "up");
    assert_eq!(step_versions(&up), [2]);
    assert!(up["steps"][0]["duration_ms"].is_u64(), "{up}");
    assert_eq!(up["drift"], Value::Null);
    assert_eq!(
        (up["current"].clone(), up["latest"].clone()),
        (2.into(), 2.into())
    );
    assert_eq!(up["pending"], Value::Array(Vec::new()));
    let nothing = migrate.run(&["up", "--json"]).expect(0).json();
    assert_eq!(step_versions(&nothing), Vec::<u64>::new());

    let down = migrate
        .run(&["down", "--to", "0", "--yes", "--json"])
        .expect(0)
        .json();
    assert_eq!(down["direction"], "down");
    assert_eq!(step_versions(&down), [2, 1]);
    assert_eq!(down["current"], Value::Null);
    assert_eq!(down["pending"], serde_json::json!([1, 2]));
    assert_eq!(down["schema_recorded"], Value::Null, "{down}");
}

/// Another history table (`--table`): the default one stays empty; a bad name is refused.
fn another_history_table_leaves_the_default_empty(migrate: &Migrate) {
    let up = migrate
        .run(&["--table", "cli_history", "up", "--json"])
        .expect(0)
        .json();
    assert_eq!(up["history_table"], "cli_history");
    assert_eq!(step_versions(&up), [1, 2]);
    let other = migrate
        .run(&["status", "--json", "--table", "cli_history"])
        .expect(0)
        .json();
    assert_eq!(states(&other), applied_through(2));
    let default = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(states(&default), applied_through(0));
    migrate.run(&["--table", "bad name", "status"]).expect(2);
}

/// `status` names the session holding the migration lock, as text and as JSON, and says
/// `free` once it is released. The holder is a second connection holding the lock as a runner
/// does (a runner mid-version is the driver suite's `status_names_the_runner_holding_the_lock`).
async fn status_names_the_lock_holder(url: &str) {
    use migrate_core::driver::{AnyDriver, Driver, LockOutcome};
    use migrate_core::Dialect;

    let migrate = Migrate::new(url);
    let mut holder = AnyDriver::connect(url).await.expect("connect");
    let (session, label) = match holder.dialect() {
        Dialect::MySql => ("SELECT CAST(CONNECTION_ID() AS CHAR)", "connection"),
        Dialect::Postgres => ("SELECT pg_backend_pid()::text", "backend pid"),
        // The SQLite lock is a write transaction on the file: create it first.
        Dialect::Sqlite => ("CREATE TABLE warm (id INTEGER)", "another connection"),
    };
    let rows = holder.query(session).await.expect("session");
    let session = rows.first().and_then(|r| r[0].clone());
    let lock = "migrate:schema_history";
    let outcome = holder.lock(lock, std::time::Duration::from_secs(5)).await;
    assert_eq!(outcome.expect("lock"), LockOutcome::Acquired);
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["lock"]["state"], "held", "{status}");
    assert_eq!(
        status["lock"]["holder"]["session"].as_str(),
        session.as_deref(),
        "{status}"
    );
    let expected = format!(
        "migration lock: held by {label}{}",
        session.map(|s| format!(" {s}")).unwrap_or_default()
    );
    migrate.run(&["status"]).expect(0).says(&expected);
    holder.unlock(lock).await.expect("unlock");
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["lock"]["state"], "free", "{status}");
    migrate
        .run(&["status"])
        .expect(0)
        .says("migration lock: free");
}

#[tokio::test]
async fn status_names_the_lock_holder_on_sqlite() {
    let db = fresh(Backend::Sqlite)
        .await
        .expect("SQLite is always there");
    status_names_the_lock_holder(db.url()).await;
}

#[tokio::test]
async fn status_names_the_lock_holder_on_mariadb() {
    if let Some(db) = fresh(Backend::MySql).await {
        status_names_the_lock_holder(db.url()).await;
    }
}

#[tokio::test]
async fn status_names_the_lock_holder_on_postgres() {
    if let Some(db) = fresh(Backend::Postgres).await {
        status_names_the_lock_holder(db.url()).await;
    }
}

/// A fresh database on `backend`, or `None` (skip printed) when its server is unreachable and
/// not required.
async fn fresh(backend: Backend) -> Option<TestDatabase> {
    TestDatabase::create(backend).await.expect("test database")
}

/// Another session on `url`, connected and used once.
async fn second_session(url: &str) -> migrate_core::driver::AnyDriver {
    let mut session = migrate_core::driver::AnyDriver::connect(url)
        .await
        .expect("second session");
    session.query("SELECT 'live'").await.expect("connected");
    session
}

/// `database drop` refuses a database another session is connected to, naming the sessions,
/// and `--force` ends them and drops it.
async fn drop_in_use(backend: Backend) {
    let Some(db) = fresh(backend).await else {
        return;
    };
    let migrate = Migrate::new(db.url());
    let mut holder = second_session(db.url()).await;
    let refused = migrate.run(&["database", "drop", "--yes"]).expect(1);
    assert!(
        refused.stderr.contains("1 other session(s) connected")
            && refused.stderr.contains("--force"),
        "{}",
        refused.stderr
    );
    migrate.run(&["status"]).expect(0);
    migrate
        .run(&["database", "drop", "--yes", "--force"])
        .expect(0)
        .says("dropped database");
    assert!(
        holder.query("SELECT 'live'").await.is_err(),
        "the other session was ended"
    );
    migrate
        .run(&["database", "drop", "--yes"])
        .expect(0)
        .says("does not exist; nothing to do");
}

/// A session that ends while `database drop` looks (the previous command of a script, still
/// closing) does not make it refuse: the drop waits a moment for it to go.
async fn drop_waits_for_a_session_ending(backend: Backend) {
    let Some(db) = fresh(backend).await else {
        return;
    };
    let migrate = Migrate::new(db.url());
    let holder = second_session(db.url()).await;
    // Runs on another worker while this one waits for the binary.
    let ending = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        drop(holder);
    });
    migrate
        .run(&["database", "drop", "--yes"])
        .expect(0)
        .says("dropped database");
    ending.await.expect("the session ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_waits_for_a_session_ending_on_mariadb() {
    drop_waits_for_a_session_ending(Backend::MySql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_waits_for_a_session_ending_on_postgres() {
    drop_waits_for_a_session_ending(Backend::Postgres).await;
}

#[tokio::test]
async fn drop_in_use_on_mariadb() {
    drop_in_use(Backend::MySql).await;
}

#[tokio::test]
async fn drop_in_use_on_postgres() {
    drop_in_use(Backend::Postgres).await;
}

#[tokio::test]
async fn operator_path_on_sqlite() {
    let db = fresh(Backend::Sqlite)
        .await
        .expect("SQLite is always there");
    operator_path(db.url());
}

#[tokio::test]
async fn operator_path_on_mariadb() {
    if let Some(db) = fresh(Backend::MySql).await {
        operator_path(db.url());
    }
}

#[tokio::test]
async fn operator_path_on_postgres() {
    if let Some(db) = fresh(Backend::Postgres).await {
        operator_path(db.url());
    }
}

#[tokio::test]
async fn operator_path_on_postgres_over_tls() {
    if !Path::new(CERTIFICATE).exists() {
        assert!(
            !servers_required(),
            "{CERTIFICATE} is missing: run scripts/start-servers.sh"
        );
        eprintln!("SKIPPED: {CERTIFICATE} is missing (run scripts/start-servers.sh)");
        return;
    }
    if let Some(db) = fresh(Backend::Postgres).await {
        let url = format!("{}?sslmode=verify-full&sslrootcert={CERTIFICATE}", db.url());
        operator_path(&url);
    }
}

#[test]
fn version_prints_the_package_version() {
    let migrate = Migrate::new("sqlite://unused.db");
    let run = migrate.run(&["--version"]).expect(0);
    assert_eq!(
        run.stdout.trim(),
        format!("migrate {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn migrate_dir_names_the_folder() {
    let migrate = Migrate::new("sqlite://app.db");
    let moved = migrate.project.path().join("db/migrations");
    std::fs::create_dir_all(moved.parent().expect("parent")).expect("folder");
    std::fs::rename(migrate.versions(), &moved).expect("move the versions");
    migrate
        .run(&["status"])
        .expect(2)
        .stderr
        .contains("versions folder `sql/versions` does not exist")
        .then_some(())
        .expect("names the missing folder");
    migrate
        .run_with(&["status"], &[("MIGRATE_DIR", "db/migrations")])
        .expect(0)
        .says("pending: 1, 2");
    migrate
        .run_with(
            &["--dir", "db/migrations", "up"],
            &[("MIGRATE_DIR", "elsewhere")],
        )
        .expect(0)
        .says("applied V2 features");
}

#[test]
fn a_broken_folder_is_a_usage_error_naming_the_file() {
    let migrate = Migrate::new("sqlite://app.db");
    std::fs::remove_file(migrate.versions().join("V1__apps/down.sql")).expect("remove");
    let run = migrate.run(&["up"]).expect(2);
    assert!(
        run.stderr.contains("V1__apps/down.sql"),
        "the error names the file:\n{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(!migrate.project.path().join("app.db").exists());
}

#[test]
fn new_creates_the_next_version_in_the_folder() {
    let migrate = Migrate::new("sqlite://app.db");
    migrate
        .run(&["new", "add_index"])
        .expect(0)
        .says("version 3")
        .says("then run `up`");
    assert!(migrate.versions().join("V3__add_index/up.sql").is_file());
}

/// An older release's folder (V1 only) on a database a newer one took to V2: refused by
/// default, and with `--unknown-versions ignore` (or its variable) `up` and `validate` pass
/// touching nothing, while a revert through V2 is still refused.
fn older_folder_on_a_newer_database(url: &str) {
    let migrate = Migrate::new(url);
    migrate.run(&["up"]).expect(0);
    std::fs::remove_dir_all(migrate.versions().join("V2__features")).expect("remove V2");

    let refused = migrate.run(&["up"]).expect(3);
    assert!(refused.stderr.contains("version 2"), "{}", refused.stderr);
    migrate.run(&["validate"]).expect(3);

    let up = migrate
        .run(&["--unknown-versions", "ignore", "up", "--json"])
        .expect(0)
        .json();
    assert_eq!(step_versions(&up), Vec::<u64>::new(), "{up}");
    let env = [("MIGRATE_UNKNOWN_VERSIONS", "ignore")];
    migrate.run_with(&["validate"], &env).expect(0);
    let status = migrate.run(&["status", "--json"]).expect(0).json();
    assert_eq!(states(&status), applied_through(2), "nothing was touched");

    let down = migrate
        .run_with(&["down", "--to", "0", "--yes"], &env)
        .expect(3);
    assert!(down.stderr.contains('2'), "{}", down.stderr);
    let bad = migrate
        .run(&["--unknown-versions", "maybe", "status"])
        .expect(2);
    assert!(bad.stderr.contains("refuse"), "{}", bad.stderr);
}

#[tokio::test]
async fn older_folder_on_a_newer_database_on_sqlite() {
    let db = fresh(Backend::Sqlite)
        .await
        .expect("SQLite is always there");
    older_folder_on_a_newer_database(db.url());
}

#[tokio::test]
async fn older_folder_on_a_newer_database_on_postgres() {
    if let Some(db) = fresh(Backend::Postgres).await {
        older_folder_on_a_newer_database(db.url());
    }
}

/// `fleet up` and `fleet status` through the binary, on three SQLite files and the folder.
#[test]
fn fleet_up_and_status_over_several_databases() {
    let migrate = Migrate::new("sqlite::memory:");
    let tenants: Vec<String> = (1..=3)
        .map(|i| {
            format!(
                "sqlite://{}",
                migrate.project.path().join(format!("t{i}.db")).display()
            )
        })
        .collect();
    let mut up = vec!["fleet", "up", "--parallel", "2", "--json"];
    for url in &tenants {
        up.extend(["--url", url.as_str()]);
    }
    for url in &tenants {
        Migrate::new(url).run(&["database", "create"]).expect(0);
    }
    let report = migrate.run(&up).expect(0).json();
    assert_eq!(report["summary"]["total"], 3, "{report}");
    assert_eq!(report["summary"]["applied"], 3, "{report}");
    let again = migrate.run(&up).expect(0).json();
    assert_eq!(again["summary"]["current"], 3, "{again}");
    let mut status = vec!["fleet", "status"];
    for url in &tenants {
        status.extend(["--url", url.as_str()]);
    }
    migrate.run(&status).expect(0).says("t2.db");
}
