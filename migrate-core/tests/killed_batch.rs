//! A runner whose client dies in the middle of a MariaDB batch: the server does not stop the
//! batch at once, so the dead runner's session keeps running under the migration lock. The
//! next runner must wait for it, see who holds the lock and what it runs, and find a history
//! that tells the truth. And on PostgreSQL, where every database uses the same advisory key,
//! the holder named is the one in the waiter's own database.
#![cfg(feature = "testing")]

use std::time::{Duration, Instant};

use migrate_core::driver::{Driver, LockOutcome, SqlxMySql, SqlxPostgres};
use migrate_core::history::State;
use migrate_core::testing::{Backend, TestDatabase};
use migrate_core::{source, Config, Dialect, Error, MigrationSet, Migrator, Target};

fn tree(files: &[(&str, &str)]) -> (tempfile::TempDir, MigrationSet) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let set = source::load_dir(dir.path(), &Dialect::ALL).expect("tree loads");
    (dir, set)
}

async fn scalar<D: Driver>(d: &mut D, sql: &str) -> Option<String> {
    let rows = d.query(sql).await.expect("query");
    rows.into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
}

/// Waits until MariaDB session `id` is in its `SLEEP` (at most 30 s).
async fn wait_until_sleeping(d: &mut SqlxMySql, id: &str) {
    let probe = format!(
        "SELECT CAST(COUNT(*) AS CHAR) FROM information_schema.PROCESSLIST \
         WHERE ID = {id} AND STATE = 'User sleep'"
    );
    let started = Instant::now();
    while scalar(d, &probe).await.as_deref() != Some("1") {
        assert!(started.elapsed() < Duration::from_secs(30), "never slept");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_clients_session_keeps_the_lock_named_until_its_batch_ends() {
    let Some(db) = TestDatabase::create(Backend::MySql)
        .await
        .expect("test database")
    else {
        return;
    };
    let (_dir, set) = tree(&[
        (
            "V1/up.sql",
            "CREATE TABLE before_sleep (id INTEGER);\nSELECT SLEEP(2);\n\
             CREATE TABLE after_sleep (id INTEGER);\n",
        ),
        (
            "V1/down.sql",
            "DROP TABLE after_sleep;\nDROP TABLE before_sleep;\n",
        ),
    ]);
    let (id, watcher) = client_dies_in_its_sleep(&set, db.url()).await;
    let mut next = SqlxMySql::connect(db.url()).await.expect("connect");
    next_runner_times_out_naming_the_session(&set, &mut next, &id).await;
    patient_runner_finds_a_truthful_history(&set, &mut next).await;
    drop(next);
    drop(watcher);
    db.drop_database().await;
}

/// A client runs `set` on `url` and dies mid-batch, as a killed process would: its future and
/// its connection are dropped (the socket closes) while the server runs the SLEEP. Returns
/// the dead client's session id and the connection that watched it sleep.
async fn client_dies_in_its_sleep(set: &MigrationSet, url: &str) -> (String, SqlxMySql) {
    let m = Migrator::new(set);
    let mut client = SqlxMySql::connect(url).await.expect("connect");
    let id = scalar(&mut client, "SELECT CAST(CONNECTION_ID() AS CHAR)")
        .await
        .expect("connection id");
    let mut watcher = SqlxMySql::connect(url).await.expect("connect");
    tokio::select! {
        result = m.up(&mut client, Target::Latest) => panic!("finished: {result:?}"),
        () = wait_until_sleeping(&mut watcher, &id) => {}
    }
    drop(client);
    (id, watcher)
}

/// The next runner, on `next`, waits for the dead runner's session `id`, and its timeout
/// names that session and the statement it is running.
async fn next_runner_times_out_naming_the_session(
    set: &MigrationSet,
    next: &mut SqlxMySql,
    id: &str,
) {
    let impatient = Migrator::with_config(set, Config::default().lock_timeout(Duration::ZERO));
    let err = impatient
        .up(next, Target::Latest)
        .await
        .expect_err("the dead runner's session holds the lock");
    let Error::LockTimeout {
        holder: Some(holder),
        ..
    } = &err
    else {
        panic!("unexpected: {err:?}");
    };
    assert!(
        holder.contains(&format!("connection {id} ")) && holder.contains("SLEEP(2)"),
        "{holder}"
    );
}

/// A patient runner, on `next`, takes the lock once the session ends, and the history tells
/// the truth: the row's statements done exist; a row still failed names the one in flight.
async fn patient_runner_finds_a_truthful_history(set: &MigrationSet, next: &mut SqlxMySql) {
    let patient =
        Migrator::with_config(set, Config::default().lock_timeout(Duration::from_secs(30)));
    let outcome = patient.up(next, Target::Latest).await;
    let applied = patient.history(next).await.expect("history");
    let tables = |name: &str| {
        format!(
            "SELECT CAST(COUNT(*) AS CHAR) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{name}'"
        )
    };
    let before = scalar(next, &tables("before_sleep")).await.as_deref() == Some("1");
    let after = scalar(next, &tables("after_sleep")).await.as_deref() == Some("1");
    let row = &applied[0];
    match row.state {
        State::Applied => {
            assert!(outcome.is_ok(), "{outcome:?}");
            assert!(before && after);
        }
        State::Failed => {
            let Err(Error::FailedMigration {
                statement,
                error: None,
                ..
            }) = &outcome
            else {
                panic!("unexpected: {outcome:?}");
            };
            assert_eq!(*statement, row.statements_done + 1);
            assert!(before || row.statements_done == 0, "{row:?}");
            assert!(!after || row.statements_done >= 2, "{row:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_lock_holder_is_the_one_in_the_waiters_database() {
    let mut others = Vec::new();
    let mut holders = Vec::new();
    // Sessions in other databases hold the same key: advisory locks are per database.
    for _ in 0..3 {
        let Some(db) = TestDatabase::create(Backend::Postgres)
            .await
            .expect("test database")
        else {
            return;
        };
        let mut d = SqlxPostgres::connect(db.url()).await.expect("connect");
        let lock = d
            .lock("migrate:schema_history", Duration::from_secs(5))
            .await;
        assert_eq!(lock.expect("lock"), LockOutcome::Acquired);
        holders.push(d);
        others.push(db);
    }
    let Some(db) = TestDatabase::create(Backend::Postgres)
        .await
        .expect("test database")
    else {
        return;
    };
    let mut holder = SqlxPostgres::connect(db.url()).await.expect("connect");
    let pid = scalar(&mut holder, "SELECT pg_backend_pid()::text")
        .await
        .expect("pid");
    let lock = holder
        .lock("migrate:schema_history", Duration::from_secs(5))
        .await;
    assert_eq!(lock.expect("lock"), LockOutcome::Acquired);
    let mut waiter = SqlxPostgres::connect(db.url()).await.expect("connect");
    let outcome = waiter
        .lock("migrate:schema_history", Duration::from_millis(200))
        .await
        .expect("lock");
    let LockOutcome::TimedOut {
        holder: Some(named),
    } = &outcome
    else {
        panic!("unexpected: {outcome:?}");
    };
    assert!(named.starts_with(&format!("backend pid {pid} ")), "{named}");
    drop((holder, waiter, holders));
    db.drop_database().await;
    for db in others {
        db.drop_database().await;
    }
}
