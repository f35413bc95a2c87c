//! The behavioural suite on SQLite through sqlx (in-process, always runs).
#![cfg(feature = "testing")]

mod suite;

use migrate_core::driver::SqlxSqlite;
use migrate_core::testing::Backend;

struct Sqlite;

impl suite::Connect for Sqlite {
    type D = SqlxSqlite;
    const BACKEND: Backend = Backend::Sqlite;
    async fn connect(&self, url: &str) -> SqlxSqlite {
        SqlxSqlite::connect(url).await.expect("connect")
    }
}

driver_suite!(Sqlite);
