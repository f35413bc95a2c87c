//! The migration lock is released on every path — a panic inside a migration and a dropped
//! future — including when the driver runs on a connection borrowed from a pool: the pool must
//! never hand out a connection that still holds the lock.
#![cfg(all(feature = "testing", feature = "mysql_async"))]

use std::time::Duration;

use migrate_core::driver::{
    AnyDriver, Driver, DriverError, LockOutcome, MysqlAsync, Row, SqlxMySql, SqlxPostgres,
    SqlxSqlite,
};
use migrate_core::testing::{Backend, TestDatabase};
use migrate_core::{source, Dialect, MigrationSet, Migrator, Target};

#[path = "suite/forward.rs"]
mod forward;

use forward::{Call, Forward, Hook};

/// Panics when asked to run a statement containing `boom`, alone or in a batch.
#[derive(Default)]
struct Panics;

impl Hook for Panics {
    fn call(&mut self, call: &Call<'_>) {
        let boom = match call {
            Call::Execute(sql) => sql.contains("boom"),
            Call::Batch(batch) => batch.statements.iter().any(|s| s.contains("boom")),
            _ => false,
        };
        assert!(!boom, "panicking inside a migration");
    }
}

type Panicking<D> = Forward<D, Panics>;

fn tree() -> (tempfile::TempDir, MigrationSet) {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = [
        ("V1/up.sql", "CREATE TABLE first (id INTEGER);"),
        ("V1/down.sql", "DROP TABLE first;"),
        (
            "V2/up.sql",
            "CREATE TABLE second (id INTEGER);\nSELECT 'boom';",
        ),
        ("V2/down.sql", "DROP TABLE second;"),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let set = source::load_dir(dir.path(), &Dialect::ALL).expect("tree");
    (dir, set)
}

/// Runs `up` on `driver` in a task that panics mid-migration, then checks from a separate
/// connection that the lock is free.
async fn panic_releases_the_lock<D: Driver + 'static>(driver: D, url: &str) {
    let (dir, set) = tree();
    let set: &'static MigrationSet = Box::leak(Box::new(set));
    let task = tokio::spawn(async move {
        let mut driver = Panicking::new(driver);
        let _ = Migrator::new(set).up(&mut driver, Target::Latest).await;
    });
    let joined = task.await;
    assert!(
        joined.is_err_and(|e| e.is_panic()),
        "the migration should have panicked"
    );
    assert_lock_free(set, url).await;
    drop(dir);
}

/// Waits longer than a Galera lock's lease (10 s): there a dropped holder's row is taken over
/// once its heartbeat has stopped for that long; elsewhere the lock is free at once.
async fn assert_lock_free(set: &MigrationSet, url: &str) {
    let mut other = AnyDriver::connect(url).await.expect("connect");
    let name = Migrator::new(set).lock_name();
    let outcome = other
        .lock(&name, Duration::from_secs(15))
        .await
        .expect("lock");
    assert_eq!(outcome, LockOutcome::Acquired, "the lock was left held");
    other.unlock(&name).await.expect("unlock");
}

macro_rules! per_backend {
    ($name:ident, $backend:expr, |$url:ident| $driver:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let Some(db) = TestDatabase::create($backend).await.expect("test database") else {
                return;
            };
            let $url = db.url().to_owned();
            panic_releases_the_lock($driver, &$url).await;
            db.drop_database().await;
        }
    };
}

// Owned connections: the panic drops the connection, which ends the session.
per_backend!(panic_on_own_connection_mariadb, Backend::MySql, |url| {
    SqlxMySql::connect(&url).await.expect("connect")
});
per_backend!(panic_on_own_connection_postgres, Backend::Postgres, |url| {
    SqlxPostgres::connect(&url).await.expect("connect")
});
per_backend!(panic_on_own_connection_sqlite, Backend::Sqlite, |url| {
    SqlxSqlite::connect(&url).await.expect("connect")
});
per_backend!(panic_on_own_connection_mysql_async, Backend::MySql, |url| {
    MysqlAsync::connect(&url).await.expect("connect")
});

// Pooled connections: a pool of one, so the connection the panic dropped is the only one the
// pool could hand out again — it must not still hold the lock.
per_backend!(panic_on_pooled_connection_mariadb, Backend::MySql, |url| {
    let pool = sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .expect("pool");
    std::mem::forget(pool.clone()); // the pool outlives the panic, as in an application
    SqlxMySql::from_pool(&pool).await.expect("acquire")
});
per_backend!(
    panic_on_pooled_connection_postgres,
    Backend::Postgres,
    |url| {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .expect("pool");
        std::mem::forget(pool.clone());
        SqlxPostgres::from_pool(&pool).await.expect("acquire")
    }
);
per_backend!(panic_on_pooled_connection_sqlite, Backend::Sqlite, |url| {
    let options: sqlx::sqlite::SqliteConnectOptions = url.parse().expect("url");
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options.create_if_missing(true))
        .await
        .expect("pool");
    std::mem::forget(pool.clone());
    SqlxSqlite::from_pool(&pool).await.expect("acquire")
});
per_backend!(
    panic_on_pooled_connection_mysql_async,
    Backend::MySql,
    |url| {
        // An application that turned the pool's own reset off: the driver must still not return
        // the lock holder to the pool.
        let pool = mysql_async::Pool::new(format!("{url}?reset_connection=false").as_str());
        std::mem::forget(pool.clone());
        MysqlAsync::from_pool(&pool).await.expect("acquire")
    }
);

/// A future dropped mid-migration on a pooled connection: the pool's next connection, and any
/// other session, find the lock free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_future_on_pooled_connection_releases_the_lock() {
    for backend in [Backend::MySql, Backend::Postgres] {
        let Some(db) = TestDatabase::create(backend).await.expect("test database") else {
            return;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        for (path, text) in [
            ("V1/up.mysql.sql", "SELECT SLEEP(3);"),
            ("V1/up.postgres.sql", "SELECT pg_sleep(3);"),
            ("V1/down.sql", "SELECT 1;"),
        ] {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        let set = source::load_dir(dir.path(), &Dialect::ALL).expect("tree");
        let m = Migrator::new(&set);
        let cancelled = match backend {
            Backend::MySql => {
                let pool = sqlx::mysql::MySqlPoolOptions::new()
                    .max_connections(1)
                    .connect(db.url())
                    .await
                    .expect("pool");
                let mut d = SqlxMySql::from_pool(&pool).await.expect("acquire");
                let r =
                    tokio::time::timeout(Duration::from_millis(500), m.up(&mut d, Target::Latest))
                        .await;
                drop(d);
                let mut again = SqlxMySql::from_pool(&pool)
                    .await
                    .expect("pool hands out a connection");
                let held = again.query("SELECT CAST(IS_USED_LOCK(CONCAT('migrate:', LEFT(SHA2(CONCAT(DATABASE(), '/', 'migrate:schema_history'), 256), 48))) = CONNECTION_ID() AS CHAR)").await.expect("query");
                assert_ne!(
                    held[0][0].as_deref(),
                    Some("1"),
                    "the pool handed out the lock holder"
                );
                r
            }
            _ => {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(db.url())
                    .await
                    .expect("pool");
                let mut d = SqlxPostgres::from_pool(&pool).await.expect("acquire");
                let r =
                    tokio::time::timeout(Duration::from_millis(500), m.up(&mut d, Target::Latest))
                        .await;
                drop(d);
                let mut again = SqlxPostgres::from_pool(&pool)
                    .await
                    .expect("pool hands out a connection");
                let held = again
                    .query("SELECT COUNT(*)::text FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
                    .await
                    .expect("query");
                assert_eq!(
                    held[0][0].as_deref(),
                    Some("0"),
                    "the pool handed out the lock holder"
                );
                r
            }
        };
        assert!(
            cancelled.is_err(),
            "the migration should still have been running"
        );
        assert_lock_free(&set, db.url()).await;
        db.drop_database().await;
    }
}

/// A driver dropped while it holds the lock and is idle (no query in flight, which pools
/// already discard): the pooled connection must not go back to the pool holding it — even when
/// the application turned the pool's own reset off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_pooled_driver_dropped_while_locked_releases_the_lock() {
    let Some(db) = TestDatabase::create(Backend::MySql)
        .await
        .expect("test database")
    else {
        return;
    };
    let (_dir, set) = tree();
    let name = Migrator::new(&set).lock_name();
    let pool = mysql_async::Pool::new(format!("{}?reset_connection=false", db.url()).as_str());
    let mut d = MysqlAsync::from_pool(&pool).await.expect("acquire");
    assert_eq!(
        d.lock(&name, Duration::from_secs(5)).await.expect("lock"),
        LockOutcome::Acquired
    );
    drop(d);
    // The pool's next connection (the same one, reset) and every other session find it free.
    let mut again = MysqlAsync::from_pool(&pool).await.expect("acquire again");
    let mut other = AnyDriver::connect(db.url()).await.expect("connect");
    assert_eq!(
        other
            .lock(&name, Duration::from_secs(2))
            .await
            .expect("lock"),
        LockOutcome::Acquired
    );
    other.unlock(&name).await.expect("unlock");
    drop((again.query("SELECT 1").await.expect("usable"), pool));
    db.drop_database().await;

    let Some(db) = TestDatabase::create(Backend::MySql)
        .await
        .expect("test database")
    else {
        return;
    };
    let pool = sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(1)
        .connect(db.url())
        .await
        .expect("pool");
    let mut d = SqlxMySql::from_pool(&pool).await.expect("acquire");
    assert_eq!(
        d.lock(&name, Duration::from_secs(5)).await.expect("lock"),
        LockOutcome::Acquired
    );
    drop(d);
    let _again = SqlxMySql::from_pool(&pool).await.expect("acquire again");
    let mut other = AnyDriver::connect(db.url()).await.expect("connect");
    assert_eq!(
        other
            .lock(&name, Duration::from_secs(2))
            .await
            .expect("lock"),
        LockOutcome::Acquired
    );
    other.unlock(&name).await.expect("unlock");
    db.drop_database().await;
}

/// The ways a pooled connection can wait for the lock, in the test below.
#[derive(Debug, Clone, Copy)]
enum PooledWaiter {
    SqlxMySql,
    /// With the pool's own reset turned off.
    MysqlAsync,
    SqlxPostgres,
}

/// A waiter dropped while the server makes it wait for the lock, on a pooled connection: the
/// server grants the abandoned wait once the holder releases, so the pool must never hand that
/// connection out again holding it, and the lock must end up free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiter_dropped_while_waiting_on_a_pooled_connection_is_not_handed_out() {
    const MYSQL_HELD: &str = "SELECT CAST(IS_USED_LOCK(CONCAT('migrate:', LEFT(SHA2(CONCAT(DATABASE(), '/', 'migrate:schema_history'), 256), 48))) = CONNECTION_ID() AS CHAR)";
    const POSTGRES_HELD: &str = "SELECT (COUNT(*) > 0)::int::text FROM pg_locks \
        WHERE locktype = 'advisory' AND pid = pg_backend_pid()";
    for waiter in [
        PooledWaiter::SqlxMySql,
        PooledWaiter::MysqlAsync,
        PooledWaiter::SqlxPostgres,
    ] {
        let backend = match waiter {
            PooledWaiter::SqlxMySql | PooledWaiter::MysqlAsync => Backend::MySql,
            PooledWaiter::SqlxPostgres => Backend::Postgres,
        };
        let Some(db) = TestDatabase::create(backend).await.expect("test database") else {
            return;
        };
        let (_dir, set) = tree();
        let name = Migrator::new(&set).lock_name();
        let mut holder = AnyDriver::connect(db.url()).await.expect("connect");
        assert_eq!(
            holder
                .lock(&name, Duration::from_secs(5))
                .await
                .expect("lock"),
            LockOutcome::Acquired
        );
        let held = match waiter {
            PooledWaiter::SqlxMySql => {
                let pool = sqlx::mysql::MySqlPoolOptions::new()
                    .max_connections(1)
                    .connect(db.url())
                    .await
                    .expect("pool");
                let acquire = || SqlxMySql::from_pool(&pool);
                abandon_wait(acquire, &name, &mut holder, MYSQL_HELD).await
            }
            PooledWaiter::MysqlAsync => {
                let pool = mysql_async::Pool::new(
                    format!("{}?reset_connection=false&pool_min=1&pool_max=1", db.url()).as_str(),
                );
                let acquire = || MysqlAsync::from_pool(&pool);
                abandon_wait(acquire, &name, &mut holder, MYSQL_HELD).await
            }
            PooledWaiter::SqlxPostgres => {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(db.url())
                    .await
                    .expect("pool");
                let acquire = || SqlxPostgres::from_pool(&pool);
                abandon_wait(acquire, &name, &mut holder, POSTGRES_HELD).await
            }
        };
        assert_ne!(
            held[0][0].as_deref(),
            Some("1"),
            "{waiter:?}: the pool handed out a connection holding the lock"
        );
        assert_lock_free(&set, db.url()).await;
        db.drop_database().await;
    }
}

/// Takes a waiter from a pool of one with `acquire` and lets it wait in the server until the
/// timeout around it cancels it; drops it, then has `holder` release the lock, which grants the
/// abandoned wait unless its session is gone. Returns what `held` (one cell: `1` when this
/// session holds the lock) says on the pool's next connection.
async fn abandon_wait<D, F, Fut>(
    acquire: F,
    name: &str,
    holder: &mut AnyDriver,
    held: &str,
) -> Vec<Row>
where
    D: Driver,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<D, DriverError>>,
{
    let mut waiter = acquire().await.expect("acquire");
    let waited = tokio::time::timeout(
        Duration::from_millis(300),
        waiter.lock(name, Duration::from_secs(30)),
    );
    assert!(waited.await.is_err(), "the waiter should still be waiting");
    drop(waiter);
    holder.unlock(name).await.expect("unlock");
    let mut again = acquire().await.expect("acquire again");
    again.query(held).await.expect("query")
}

/// The timed-out `up` of `retry_after_a_timeout_on_the_same_driver_frees_the_lock` on a
/// driver borrowed from a pool of one: the retry on the same driver must not wait for a second
/// connection the pool cannot give, and afterwards the lock is free and the pool hands out a
/// connection again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_a_timeout_on_a_pool_of_one() {
    let Some(db) = TestDatabase::create(Backend::MySql)
        .await
        .expect("test database")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in [
        (
            "V1/up.sql",
            "SELECT SLEEP(2);\nCREATE TABLE after_sleep (id INTEGER);",
        ),
        ("V1/down.sql", "DROP TABLE after_sleep;"),
    ] {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let set = source::load_dir(dir.path(), &Dialect::ALL).expect("tree");
    let m = Migrator::new(&set);
    let pool = sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect(db.url())
        .await
        .expect("pool");
    let mut d = SqlxMySql::from_pool(&pool).await.expect("acquire");
    let cancelled =
        tokio::time::timeout(Duration::from_millis(500), m.up(&mut d, Target::Latest)).await;
    assert!(cancelled.is_err(), "the migration should still be running");
    match m.up(&mut d, Target::Latest).await {
        Ok(_) => {}
        // Given up mid-batch: the row names the statement in flight; the table says whether
        // it ran.
        Err(migrate_core::Error::FailedMigration { error: None, .. }) => {
            let rows = d
                .query(
                    "SELECT CAST(COUNT(*) AS CHAR) FROM information_schema.TABLES \
                     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'after_sleep'",
                )
                .await
                .expect("query");
            let choice = match rows[0][0].as_deref() {
                Some("1") => migrate_core::Resume::Skip,
                _ => migrate_core::Resume::Rerun,
            };
            m.resume(&mut d, choice).await.expect("resume");
        }
        Err(e) => panic!("retry: {e}"),
    }
    drop(d);
    assert_lock_free(&set, db.url()).await;
    let mut again = SqlxMySql::from_pool(&pool)
        .await
        .expect("the pool gives a connection");
    let history = m.history(&mut again).await.expect("history");
    assert_eq!(history.len(), 1);
    drop(again);
    pool.close().await;
    db.drop_database().await;
}
