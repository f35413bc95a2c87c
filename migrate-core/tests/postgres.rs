//! The behavioural suite on PostgreSQL through sqlx.
#![cfg(feature = "testing")]

mod suite;

use migrate_core::driver::SqlxPostgres;
use migrate_core::testing::Backend;

struct Postgres;

impl suite::Connect for Postgres {
    type D = SqlxPostgres;
    const BACKEND: Backend = Backend::Postgres;
    async fn connect(&self, url: &str) -> SqlxPostgres {
        SqlxPostgres::connect(url).await.expect("connect")
    }
}

driver_suite!(Postgres; journaled);
