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

driver_suite!(MariaDb; mysql);

/// The server's own count agrees with the counting driver: a no-op start-up sends the server
/// exactly one statement.
#[tokio::test]
async fn no_op_start_up_is_one_question_to_the_server() {
    use migrate_core::driver::Driver;
    use migrate_core::{Migrator, Target};

    let Some(ctx) = suite::Ctx::new(MariaDb).await else {
        return;
    };
    let tree = suite::Tree::new(suite::BASIC);
    let set = tree.set();
    let m = Migrator::new(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    let questions = |rows: Vec<migrate_core::driver::Row>| -> u64 {
        rows[0][1]
            .as_deref()
            .and_then(|n| n.parse().ok())
            .expect("Questions")
    };
    let show = "SHOW SESSION STATUS LIKE 'Questions'";
    // `Questions` counts the SHOW itself too: calibrate on two SHOWs in a row.
    let a = questions(d.query(show).await.expect("status"));
    let b = questions(d.query(show).await.expect("status"));
    let report = m.up(&mut d, Target::Latest).await.expect("no-op");
    let c = questions(d.query(show).await.expect("status"));
    assert!(report.steps.is_empty());
    assert_eq!((c - b) - (b - a), 1, "statements sent by a no-op start-up");
    ctx.db.drop_database().await;
}
