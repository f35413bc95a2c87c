//! Prints the migration status of the database and which API versions it serves, changing
//! nothing. Uses `DATABASE_URL`, or the examples' SQLite file; `MIGRATE_CONNECT_TIMEOUT`
//! (seconds, default 10) bounds the wait for a connection.

use anyhow::Context;
use migrate_core::database_url::DatabaseUrl;
use migrate_core::driver::{AnyDriver, ConnectOptions};
use migrate_core::status::StatusTable;
use migrate_core::Migrator;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url: DatabaseUrl = db::database_url().parse()?;
    let options = ConnectOptions::from_env().map_err(anyhow::Error::msg)?;
    let mut driver = AnyDriver::connect_with(url.connection_string(), &options)
        .await
        .with_context(|| format!("cannot connect to {url}"))?;
    let migrator = Migrator::new(&db::MIGRATIONS);
    println!("{url}");
    println!("{}", StatusTable(&migrator.status(&mut driver).await?));
    migrator
        .validate(&mut driver)
        .await
        .context("the history does not match this binary")?;
    let db = db::Db::connect_with(url.connection_string(), &options).await?;
    for api in db::ApiVersion::ALL {
        match db.check(api).await {
            Ok(()) => println!("API {api}: served"),
            Err(e) => println!("API {api}: refused: {e}"),
        }
    }
    Ok(())
}
