//! Pools: a test at version N claims a copy made ahead, in the background. A claimed copy is
//! what a copy made for the test would be; tests claiming at once, in threads and in
//! processes, each get a database of their own, at N.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use migrate_core::driver::{AnyDriver, Driver};
use migrate_core::testing::{pools_settled, Backend, Origin, TestDatabase};
use migrate_core::{MigrationSet, Migrator, Target};

use super::support::{load, make_unique, observe, select_text, write_tree, CUSTOMERS_ORDERS};
use super::{CHILD_BACKEND, CHILD_TREE};

per_backend!(
    a_pooled_copy_equals_a_replay,
    parallel_claims_get_databases_of_their_own_at_n,
    processes_claiming_at_once_get_databases_of_their_own,
);

/// Whether pools are on (`MIGRATE_TEST_POOL=0` turns them off).
fn pooling() -> bool {
    std::env::var("MIGRATE_TEST_POOL").map_or(true, |v| v.trim() != "0")
}

/// A tree whose template and pool no other test uses.
fn unique_tree() -> (tempfile::TempDir, MigrationSet) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(dir.path(), false);
    make_unique(dir.path());
    let set = load(dir.path());
    (dir, set)
}

/// Whether the database `name` exists on `backend`'s server.
async fn exists(backend: Backend, name: &str) -> bool {
    let server = backend.server_url().expect("a server");
    let mut admin = AnyDriver::connect(&server).await.expect("connect");
    let sql = match backend {
        Backend::MySql => format!(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{name}'"
        ),
        _ => format!("SELECT datname::text FROM pg_database WHERE datname = '{name}'"),
    };
    !admin.query(&sql).await.expect("list").is_empty()
}

/// Builds the template of `set` (the first database copies it) and waits for its pool.
async fn warm(backend: Backend, set: &MigrationSet) -> Option<TestDatabase> {
    let first = TestDatabase::at(backend, set, Target::Latest)
        .await
        .expect("first copy")?;
    assert!(!first.from_pool(), "a new template has no pool yet");
    pools_settled().await;
    Some(first)
}

async fn a_pooled_copy_equals_a_replay(backend: Backend) {
    let (_dir, set) = unique_tree();
    let Some(first) = warm(backend, &set).await else {
        return;
    };
    let pooled = TestDatabase::at(backend, &set, Target::Latest)
        .await
        .expect("claim")
        .expect("reachable");
    let replay = TestDatabase::at_replayed(backend, &set, Target::Latest)
        .await
        .expect("replay")
        .expect("reachable");
    assert_eq!(pooled.origin(), Origin::Cloned);
    assert_eq!(pooled.from_pool(), pooling());
    assert_eq!(pooled.template(), first.template());
    assert_ne!(pooled.name(), first.name());
    if backend != Backend::MySql {
        // Renamed (PostgreSQL) or moved (SQLite) to a test database's name.
        assert!(
            pooled.name().starts_with("migrate_test_"),
            "{}",
            pooled.name()
        );
    }
    let seen = observe(&pooled, &set, CUSTOMERS_ORDERS).await;
    assert_eq!(seen, observe(&replay, &set, CUSTOMERS_ORDERS).await);
    assert_eq!(seen, observe(&first, &set, CUSTOMERS_ORDERS).await);
    let name = pooled.name().to_owned();
    pooled.drop_database().await;
    if backend != Backend::Sqlite {
        assert!(
            !exists(backend, &name).await,
            "{name} dropped with its test"
        );
    }
    let template = first.template().expect("a template").to_owned();
    first.drop_database().await;
    replay.drop_database().await;
    // The set is this test's own: its template and pool go with it.
    super::drop_template(backend, &template).await;
}

/// Takes `count` databases at `set`'s latest version at once, each on a thread and runtime of
/// its own as the harness runs tests; per database its name, whether it came from the pool
/// and its history's length, after writing a row only it must see.
fn claim_at_once(backend: Backend, set: &MigrationSet, count: usize) -> Vec<(String, bool, usize)> {
    std::thread::scope(|scope| {
        let tests: Vec<_> = (0..count)
            .map(|i| {
                scope.spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    rt.block_on(claim_and_use(backend, set, 100 + i))
                })
            })
            .collect();
        tests
            .into_iter()
            .map(|t| t.join().expect("test thread"))
            .collect()
    })
}

async fn claim_and_use(backend: Backend, set: &MigrationSet, id: usize) -> (String, bool, usize) {
    let db = TestDatabase::at(backend, set, Target::Latest)
        .await
        .expect("claim")
        .expect("reachable");
    assert_eq!(db.origin(), Origin::Cloned);
    let mut driver = AnyDriver::connect(db.url()).await.expect("connect");
    let history = Migrator::new(set)
        .history(&mut driver)
        .await
        .expect("history");
    driver
        .execute(&format!(
            "INSERT INTO customers (id, name) VALUES ({id}, 'mine')"
        ))
        .await
        .expect("insert");
    let rows = driver
        .query(&select_text(backend, ("customers", &["id"])))
        .await
        .expect("rows");
    let ids: Vec<String> = rows.into_iter().filter_map(|r| r[0].clone()).collect();
    assert_eq!(ids, ["1", "2", &id.to_string()], "{}", db.name());
    drop(driver);
    let seen = (db.name().to_owned(), db.from_pool(), history.len());
    db.drop_database().await;
    seen
}

async fn parallel_claims_get_databases_of_their_own_at_n(backend: Backend) {
    let (_dir, set) = unique_tree();
    let Some(first) = warm(backend, &set).await else {
        return;
    };
    let template = first.template().expect("a template").to_owned();
    first.drop_database().await;
    let seen = claim_at_once(backend, &set, 8);
    let names: BTreeSet<&String> = seen.iter().map(|(n, _, _)| n).collect();
    assert_eq!(names.len(), 8, "{seen:?}");
    assert!(
        seen.iter().all(|(_, _, versions)| *versions == 3),
        "{seen:?}"
    );
    let pooled = seen.iter().filter(|(_, p, _)| *p).count();
    // The pool held at least one copy when the eight started.
    assert_eq!(pooled >= 1, pooling(), "{seen:?}");
    // The set is this test's own: its template and pool go with it.
    super::drop_template(backend, &template).await;
}

/// The child's half of `processes_claiming_at_once_get_databases_of_their_own`: claims four
/// databases at once and prints, per database, its name, whether it was pooled and its
/// history's length. Does nothing in a normal run.
#[tokio::test]
async fn child_claims_databases() {
    let Some((backend, set)) = super::child_task() else {
        return;
    };
    let seen = tokio::task::spawn_blocking(move || claim_at_once(backend, &set, 4))
        .await
        .expect("claims");
    for (name, pooled, versions) in seen {
        println!("CLAIMED={name} {pooled} {versions}");
    }
}

/// Two processes (test binaries) claim from one pool at once, four databases each.
async fn processes_claiming_at_once_get_databases_of_their_own(backend: Backend) {
    let (dir, set) = unique_tree();
    let Some(first) = warm(backend, &set).await else {
        return;
    };
    let template = first.template().expect("a template").to_owned();
    first.drop_database().await;
    let running: Vec<_> = (0..2)
        .map(|_| {
            Command::new(std::env::current_exe().expect("test binary"))
                .args(["--exact", "pools::child_claims_databases", "--nocapture"])
                .env(CHILD_TREE, dir.path())
                .env(CHILD_BACKEND, format!("{backend:?}"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let mut seen = Vec::new();
    for child in running {
        let output = child.wait_with_output().expect("child");
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{text}");
        let claimed: Vec<String> = text
            .lines()
            .filter_map(|l| l.split_once("CLAIMED=").map(|(_, v)| v.trim().to_owned()))
            .collect();
        assert_eq!(claimed.len(), 4, "{text}");
        seen.extend(claimed);
    }
    let names: BTreeSet<&str> = seen.iter().filter_map(|l| l.split(' ').next()).collect();
    assert_eq!(names.len(), 8, "{seen:?}");
    assert!(seen.iter().all(|l| l.ends_with(" 3")), "{seen:?}");
    // This process filled the pool before the children started: they claimed its copies.
    let pooled = seen.iter().filter(|l| l.contains(" true ")).count();
    assert_eq!(pooled >= 1, pooling(), "{seen:?}");
    // The set is this test's own: its template and pool go with it.
    super::drop_template(backend, &template).await;
}
