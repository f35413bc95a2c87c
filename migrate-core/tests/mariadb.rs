//! The behavioural suite on MariaDB/MySQL through sqlx.
#![cfg(feature = "testing")]

mod suite;

use migrate_core::driver::SqlxMySql;
use migrate_core::testing::Backend;

struct MariaDb;

impl suite::Connect for MariaDb {
    type D = SqlxMySql;
    const BACKEND: Backend = Backend::MySql;
    async fn connect(&self, url: &str) -> SqlxMySql {
        SqlxMySql::connect(url).await.expect("connect")
    }
}

driver_suite!(MariaDb);
