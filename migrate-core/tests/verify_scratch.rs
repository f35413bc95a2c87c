//! `verify`'s scratch databases never outlive it (issue 21, point 10): whatever stops it — an
//! error, a panic, a dropped future — dropping the `ScratchServer` drops what it created, and a
//! run sweeps scratch databases that killed runs left more than a day ago, but not the fresh
//! ones of a run still going elsewhere.
#![cfg(feature = "testing")]

use std::time::{SystemTime, UNIX_EPOCH};

use migrate_core::driver::{AnyDriver, Driver};
use migrate_core::testing::{servers_required, Backend};
use migrate_core::verify::{ScratchDatabases, ScratchServer, Verifier, SCRATCH_PREFIX};
use migrate_core::{source, Dialect, MigrationSet};

/// The tests of one backend look at the same server-wide list of scratch databases.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A dead process id: above the kernel's pid_max ceiling of 2^22.
const DEAD_PID: u32 = 4_294_967_290;

/// The URL `verify` is given: the test server, or for SQLite a file that is never opened.
async fn server(backend: Backend) -> Option<String> {
    let Some(url) = backend.server_url() else {
        return Some("sqlite://never-opened.db".to_owned());
    };
    match AnyDriver::connect(&url).await {
        Ok(_) => Some(url),
        Err(e) if !servers_required() => {
            eprintln!("\n*** SKIPPED: {backend:?} server not reachable ({e}) ***\n");
            None
        }
        Err(e) => panic!("{backend:?} server not reachable: {e}"),
    }
}

/// The scratch databases (SQLite: folders in the temporary folder) whose name starts with
/// `prefix`.
async fn scratch_databases(backend: Backend, url: &str, prefix: &str) -> Vec<String> {
    let Some(_) = backend.server_url() else {
        let mut names: Vec<String> = std::fs::read_dir(std::env::temp_dir())
            .expect("temp dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with(prefix))
            .collect();
        names.sort();
        return names;
    };
    let mut admin = AnyDriver::connect(url).await.expect("admin");
    let sql = match admin.dialect() {
        Dialect::MySql => "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA",
        _ => "SELECT datname::text FROM pg_database",
    };
    let mut names: Vec<String> = admin
        .query(sql)
        .await
        .expect("list databases")
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .filter(|n| n.starts_with(prefix))
        .collect();
    names.sort();
    names
}

/// The scratch databases this process made.
fn ours() -> String {
    format!("{SCRATCH_PREFIX}{}_", std::process::id())
}

/// Creates a scratch database (a file for SQLite) named `name`, as another run would have.
async fn create_foreign(backend: Backend, url: &str, name: &str) {
    if backend.server_url().is_none() {
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::write(dir.join("scratch.db"), b"").expect("write");
        return;
    }
    let mut admin = AnyDriver::connect(url).await.expect("admin");
    admin
        .execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create");
}

async fn drop_foreign(backend: Backend, url: &str, name: &str) {
    if backend.server_url().is_none() {
        let _ = std::fs::remove_dir_all(std::env::temp_dir().join(name));
        return;
    }
    let mut admin = AnyDriver::connect(url).await.expect("admin");
    admin
        .execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .expect("drop");
}

fn tree() -> (tempfile::TempDir, MigrationSet) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, sql) in [
        ("V1/up.sql", "CREATE TABLE a (id INTEGER);"),
        ("V1/down.sql", "DROP TABLE a;"),
        ("V2/up.sql", "CREATE TABLE b (id INTEGER);"),
        ("V2/down.sql", "DROP TABLE b;"),
    ] {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, sql).expect("write");
    }
    let set = source::load_dir(dir.path(), &Dialect::ALL).expect("tree");
    (dir, set)
}

/// Verification stopped early (an error returned by `?` skips every later `dispose`): the
/// database it holds goes with the `ScratchServer`.
async fn dropping_the_server_drops_an_undisposed_scratch_database(backend: Backend) {
    let Some(url) = server(backend).await else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let mut scratch = ScratchServer::new(url.as_str());
    let driver = scratch.create().await.expect("create");
    assert_eq!(scratch_databases(backend, &url, &ours()).await.len(), 1);
    drop(driver);
    drop(scratch);
    let left = scratch_databases(backend, &url, &ours()).await;
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// A panic in the middle of verification (here in the observer) leaves nothing behind.
async fn a_panic_during_verify_leaves_no_scratch_database(backend: Backend) {
    let Some(url) = server(backend).await else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let task = tokio::spawn(async move {
        let (_dir, set) = tree();
        let mut scratch = ScratchServer::new(url.as_str());
        let _ = Verifier::new(&set)
            .run_observed(&mut scratch, |_| panic!("observer gives up"))
            .await;
    });
    let err = task.await.expect_err("the task panics");
    assert!(err.is_panic());
    let url = server(backend).await.expect("server");
    let left = scratch_databases(backend, &url, &ours()).await;
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// A verify future dropped at any point (a caller's timeout) leaves nothing behind: cut at
/// several instants, from before the first database exists to after the run would be done.
async fn a_dropped_verify_future_leaves_no_scratch_database(backend: Backend) {
    let Some(url) = server(backend).await else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let (_dir, set) = tree();
    for millis in [1, 5, 10, 20, 40, 80, 160, 320] {
        let mut scratch = ScratchServer::new(url.as_str());
        let cut = std::time::Duration::from_millis(millis);
        let _ = tokio::time::timeout(cut, Verifier::new(&set).run(&mut scratch)).await;
        drop(scratch);
        let left = scratch_databases(backend, &url, &ours()).await;
        assert!(
            left.is_empty(),
            "cut after {millis} ms, left behind: {left:?}"
        );
    }
}

/// A run sweeps scratch databases created more than a day ago, whoever made them, and keeps a
/// fresh one even when its process id is not running here (a run on another machine).
async fn stale_scratch_databases_are_swept_and_fresh_ones_kept(backend: Backend) {
    let Some(url) = server(backend).await else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let stale = format!("{SCRATCH_PREFIX}{DEAD_PID}_{}_0", now - 25 * 60 * 60);
    let fresh = format!("{SCRATCH_PREFIX}{DEAD_PID}_{}_1", now - 60);
    create_foreign(backend, &url, &stale).await;
    create_foreign(backend, &url, &fresh).await;

    let (_dir, set) = tree();
    let mut scratch = ScratchServer::new(url.as_str());
    let report = Verifier::new(&set).run(&mut scratch).await.expect("verify");
    assert!(report.is_ok(), "{report}");
    drop(scratch);

    let left = scratch_databases(backend, &url, SCRATCH_PREFIX).await;
    drop_foreign(backend, &url, &fresh).await;
    assert!(!left.contains(&stale), "stale one kept: {left:?}");
    assert!(left.contains(&fresh), "fresh one swept: {left:?}");
    assert!(
        !left.iter().any(|n| n.starts_with(&ours())),
        "verify left its own: {left:?}"
    );
}

macro_rules! on_backends {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                use migrate_core::testing::Backend;
                #[tokio::test]
                async fn sqlite() {
                    super::$scenario(Backend::Sqlite).await;
                }
                #[tokio::test]
                async fn mariadb() {
                    super::$scenario(Backend::MySql).await;
                }
                #[tokio::test]
                async fn postgres() {
                    super::$scenario(Backend::Postgres).await;
                }
            }
        )*
    };
}

on_backends!(
    dropping_the_server_drops_an_undisposed_scratch_database,
    a_panic_during_verify_leaves_no_scratch_database,
    a_dropped_verify_future_leaves_no_scratch_database,
    stale_scratch_databases_are_swept_and_fresh_ones_kept,
);
