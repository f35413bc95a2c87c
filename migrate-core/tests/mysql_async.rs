//! The behavioural suite on MariaDB/MySQL through mysql_async.
#![cfg(all(feature = "testing", feature = "mysql_async"))]

mod suite;

use migrate_core::driver::MysqlAsync;
use migrate_core::testing::Backend;

struct Driver;

impl suite::Connect for Driver {
    type D = MysqlAsync;
    const BACKEND: Backend = Backend::MySql;
    async fn connect(&self, url: &str) -> MysqlAsync {
        MysqlAsync::connect(url).await.expect("connect")
    }
}

driver_suite!(Driver; mysql);
