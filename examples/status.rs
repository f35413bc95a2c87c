//! Prints the migration status of the database and which API versions it serves, changing
//! nothing. Uses `DATABASE_URL`, or the examples' SQLite file.

use anyhow::Context;
use migrate_core::driver::{redact_url, AnyDriver};
use migrate_core::status::StatusTable;
use migrate_core::Migrator;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = db::database_url();
    let mut driver = AnyDriver::connect(&url)
        .await
        .with_context(|| format!("cannot connect to {}", redact_url(&url)))?;
    let migrator = Migrator::new(&db::MIGRATIONS);
    println!("{}", redact_url(&url));
    println!("{}", StatusTable(&migrator.status(&mut driver).await?));
    migrator
        .validate(&mut driver)
        .await
        .context("the history does not match this binary")?;
    let db = db::Db::connect(&url).await?;
    for api in db::ApiVersion::ALL {
        match db.check(api).await {
            Ok(()) => println!("API {api}: served"),
            Err(e) => println!("API {api}: refused: {e}"),
        }
    }
    Ok(())
}
