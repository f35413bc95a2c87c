//! Test databases left behind by killed runs (created more than a day ago) are dropped; fresh
//! ones are kept, whichever process made them.
#![cfg(feature = "testing")]

use migrate_core::driver::{AnyDriver, Driver};
use migrate_core::testing::{drop_stale_databases, Backend, TestDatabase, PREFIX};

async fn databases(admin: &mut AnyDriver, backend: Backend) -> Vec<String> {
    let sql = match backend {
        Backend::MySql => format!("SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '{PREFIX}%'"),
        _ => format!("SELECT datname::text FROM pg_database WHERE datname LIKE '{PREFIX}%'"),
    };
    admin
        .query(&sql)
        .await
        .expect("list")
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect()
}

async fn stale_databases_are_dropped(backend: Backend) {
    // A live one: this process's own.
    let Some(live) = TestDatabase::create(backend).await.expect("test database") else {
        return;
    };
    let server = backend.server_url().expect("server");
    let mut admin = AnyDriver::connect(&server).await.expect("connect");
    // A stale one: named after a process id that cannot be running (above the kernel's
    // pid_max ceiling of 2^22).
    let stale = format!("{PREFIX}4294967290_0_0");
    admin
        .execute(&format!("CREATE DATABASE {stale}"))
        .await
        .expect("create stale");
    // A fresh one of a process not running here (a run on another machine sharing the
    // server): kept until it is a day old.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let elsewhere = format!("{PREFIX}4294967290_{now}_1");
    admin
        .execute(&format!("CREATE DATABASE {elsewhere}"))
        .await
        .expect("create fresh");
    let dropped = drop_stale_databases(backend)
        .await
        .expect("sweep")
        .expect("reachable");
    assert!(dropped.contains(&stale), "{dropped:?}");
    let left = databases(&mut admin, backend).await;
    assert!(
        !left.contains(&stale),
        "stale database still there: {left:?}"
    );
    assert!(
        left.contains(&live.name().to_owned()),
        "a live test's database was dropped: {left:?}"
    );
    admin
        .execute(&format!("DROP DATABASE IF EXISTS {elsewhere}"))
        .await
        .expect("drop fresh");
    assert!(
        left.contains(&elsewhere),
        "a fresh database of another machine's run was dropped: {left:?}"
    );
    drop(admin);
    live.drop_database().await;
}

#[tokio::test]
async fn stale_databases_are_dropped_on_mariadb() {
    stale_databases_are_dropped(Backend::MySql).await;
}

#[tokio::test]
async fn stale_databases_are_dropped_on_postgres() {
    stale_databases_are_dropped(Backend::Postgres).await;
}
