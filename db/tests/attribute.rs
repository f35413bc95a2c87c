//! `#[migrate_macros::test]` as a test author sees it (issue 21, point 12): a test returning
//! `Err` fails; a skipped server says so on standard error even though the harness captures
//! the test's output (and fails under `MIGRATE_REQUIRE_SERVERS`); backends default to those the
//! tree has scripts for; the test receives a `TestDatabase`, an `AnyDriver` or an
//! `sqlx::AnyPool`.
//!
//! Outcomes the harness would count as failures are checked by running this test binary again
//! as a child on one test, with `MIGRATE_ATTRIBUTE_CHILD` set, and reading its exit status and
//! output.

use std::process::{Command, Output};

use migrate_core::driver::{AnyDriver, Driver};
use migrate_core::testing::TestDatabase;

/// Set in the child process: the tests that demonstrate a failure only fail there.
const CHILD: &str = "MIGRATE_ATTRIBUTE_CHILD";

static SQLITE_ONLY: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("tests/fixtures/sqlite_only");

fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// Runs one test of this binary in a child process (output captured by the harness as usual).
fn child(test: &str, env: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command
        .args(["--exact", test, "--test-threads=1"])
        .env(CHILD, "1")
        .env_remove("MIGRATE_REQUIRE_SERVERS")
        .env_remove("CI");
    for (key, value) in env {
        command.env(key, value);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("run the child");
    let text = format!(
        "--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr)
    );
    assert!(
        text.contains("running 1 test"),
        "the child ran no test:\n{text}"
    );
    (status.success(), text)
}

// ---------------------------------------------------------------------------------------------
// A test returning Err fails.

#[migrate_macros::test(migrations = db::MIGRATIONS, backends = [sqlite])]
async fn returns_err_in_the_child(_database: TestDatabase) -> Result<(), String> {
    if in_child() {
        return Err("the test's own error".to_owned());
    }
    Ok(())
}

#[test]
fn a_test_returning_err_fails() {
    let (passed, text) = child("returns_err_in_the_child::sqlite", &[]);
    assert!(!passed, "a test returning Err passed:\n{text}");
    assert!(text.contains("the test's own error"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// An unreachable server is a visible skip, or a failure when servers are required.

#[migrate_macros::test(migrations = db::MIGRATIONS, backends = [mysql])]
async fn needs_mariadb(_database: TestDatabase) {}

/// No server listens on port 1.
const UNREACHABLE: (&str, &str) = ("MIGRATE_TEST_MYSQL_URL", "mysql://root@127.0.0.1:1/test");

#[test]
fn a_skipped_server_is_announced_past_the_capture() {
    let (passed, text) = child("needs_mariadb::mariadb", &[UNREACHABLE]);
    assert!(passed, "{text}");
    assert!(text.contains("SKIPPED"), "the skip is invisible:\n{text}");
}

#[test]
fn an_unreachable_server_fails_when_servers_are_required() {
    let (passed, text) = child(
        "needs_mariadb::mariadb",
        &[UNREACHABLE, ("MIGRATE_REQUIRE_SERVERS", "1")],
    );
    assert!(!passed, "an unreachable required server passed:\n{text}");
}

// ---------------------------------------------------------------------------------------------
// Backends default to those the tree has scripts for.

#[migrate_macros::test(migrations = SQLITE_ONLY)]
async fn sqlite_only_tree(database: TestDatabase) {
    assert_eq!(database.backend(), migrate_core::testing::Backend::Sqlite);
    let mut driver = AnyDriver::connect(database.url()).await.expect("connect");
    driver
        .execute("INSERT INTO notes (id, body) VALUES (1, 'x')")
        .await
        .expect("V1 applied");
}

#[test]
fn backends_without_scripts_are_not_run_and_say_so() {
    for backend in ["mariadb", "postgres"] {
        let (passed, text) = child(&format!("sqlite_only_tree::{backend}"), &[]);
        assert!(passed, "{text}");
        assert!(text.contains("NOT RUN"), "{backend}: {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// The test receives a ready driver or pool.

#[migrate_macros::test(migrations = db::MIGRATIONS, version = 1)]
async fn takes_a_driver(mut driver: AnyDriver) {
    let history = migrate_core::Migrator::new(&db::MIGRATIONS)
        .history(&mut driver)
        .await
        .expect("history");
    let versions: Vec<u32> = history.iter().map(|r| r.version.get()).collect();
    assert_eq!(versions, [1]);
}

#[migrate_macros::test(migrations = db::MIGRATIONS)]
async fn takes_a_pool(pool: sqlx::AnyPool) -> Result<(), sqlx::Error> {
    let apps: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM apps")
        .fetch_one(&pool)
        .await?;
    assert_eq!(apps, 0);
    sqlx::query("SELECT 1 FROM features")
        .fetch_all(&pool)
        .await?;
    pool.close().await;
    Ok(())
}
