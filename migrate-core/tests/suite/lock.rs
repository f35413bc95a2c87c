//! The migration lock: a holder named on timeout, released on failure, on drop and on retry.

use super::*;

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

/// While a runner is in the middle of a slow version, `Migrator::lock_holder` on another
/// connection names it: its session (MySQL/MariaDB connection id, PostgreSQL backend pid), user
/// and client; on SQLite, only that some connection holds the write lock. Free before and after.
pub async fn status_names_the_runner_holding_the_lock<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(&[
        ("V1/up.sql", "CREATE TABLE before_sleep (id INTEGER);"),
        ("V1/down.sql", "DROP TABLE before_sleep;"),
        ("V2/up.mysql.sql", "SELECT SLEEP(4);"),
        ("V2/up.postgres.sql", "SELECT pg_sleep(4);"),
        (
            "V2/up.sqlite.sql",
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000000) SELECT COUNT(*) FROM c;",
        ),
        ("V2/down.sql", "SELECT 1;"),
    ]);
    let set = tree.set();
    let m = migrator(&set);
    let mut runner = ctx.driver().await;
    let mut watcher = ctx.driver().await;
    let session = match runner.dialect() {
        Dialect::MySql => Some("SELECT CAST(CONNECTION_ID() AS CHAR)"),
        Dialect::Postgres => Some("SELECT pg_backend_pid()::text"),
        Dialect::Sqlite => None,
    };
    let session = match session {
        Some(sql) => runner.query(sql).await.expect("session id")[0][0].clone(),
        None => None,
    };
    assert_eq!(
        m.lock_holder(&mut watcher).await.expect("lock state"),
        LockState::Free
    );
    let watch = async {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let LockState::Held(holder) = m.lock_holder(&mut watcher).await.expect("read") {
                return holder;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never saw the lock held"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let (applied, holder) = tokio::join!(m.up(&mut runner, Target::Latest), watch);
    assert_eq!(applied.expect("up").steps.len(), 2);
    match runner.dialect() {
        Dialect::Sqlite => {
            assert_eq!(holder.session, None);
            assert!(holder.description.contains("write lock"), "{holder}");
        }
        dialect => {
            assert_eq!(holder.session, session, "{holder}");
            assert!(holder.user.is_some() && holder.client.is_some(), "{holder}");
            let label = match dialect {
                Dialect::Postgres => "backend pid",
                _ => "connection",
            };
            let expected = format!("{label} {}", session.as_deref().unwrap_or_default());
            assert!(holder.description.starts_with(&expected), "{holder}");
        }
    }
    if runner.dialect() == Dialect::Postgres {
        assert_eq!(holder.application.as_deref(), Some("migrate"), "{holder}");
    }
    assert_eq!(
        m.lock_holder(&mut watcher).await.expect("lock state"),
        LockState::Free
    );
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
