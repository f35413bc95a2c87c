//! The command line on schema drift (SQLite, in-process): `up` on a drifted schema and
//! `validate` exit 4 until `accept-schema` records the live schema.
#![cfg(all(feature = "cli", feature = "testing"))]

use migrate_core::cli::{Cli, Exit};
use migrate_core::driver::{AnyDriver, Driver};
use migrate_core::testing::{Backend, TestDatabase};
use migrate_core::{source, Dialect};

/// Two versions, written to a temporary folder.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in [
        ("V1__users/up.sql", "CREATE TABLE users (id INTEGER);\n"),
        ("V1__users/down.sql", "DROP TABLE users;\n"),
        ("V2__posts/up.sql", "CREATE TABLE posts (id INTEGER);\n"),
        ("V2__posts/down.sql", "DROP TABLE posts;\n"),
    ] {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

#[tokio::test]
async fn drift_exits_4_until_accept_schema() {
    let dir = tree();
    let set = source::load_dir(dir.path(), &Dialect::ALL).expect("tree loads");
    let db = TestDatabase::create(Backend::Sqlite)
        .await
        .expect("test database")
        .expect("SQLite is always there");
    let cli = Cli::new(&set);
    let run = |args: &'static [&'static str]| {
        let mut argv = vec!["migrate", "--database-url", db.url()];
        argv.extend_from_slice(args);
        cli.run_async_from(argv)
    };
    assert_eq!(run(&["up", "--to", "1"]).await, Exit::Success);
    let mut driver = AnyDriver::connect(db.url()).await.expect("connect");
    driver
        .execute("CREATE TABLE by_hand (id INTEGER)")
        .await
        .expect("by hand");
    assert_eq!(run(&["validate"]).await, Exit::Drift);
    // `up` applies V2, reports the drift, and exits 4; the drift stays reported.
    assert_eq!(run(&["up"]).await, Exit::Drift);
    assert_eq!(run(&["status"]).await, Exit::Success);
    assert_eq!(run(&["validate"]).await, Exit::Drift);
    assert_eq!(run(&["accept-schema"]).await, Exit::Success);
    assert_eq!(run(&["validate"]).await, Exit::Success);
    assert_eq!(Exit::Drift.code(), 4);
}
