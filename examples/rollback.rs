//! Rolls the database back to a version: `cargo run --example rollback -- --to 1`
//! (`--to 0` reverts everything). Prints what was reverted, the status, and which API versions
//! the schema still serves. Uses `DATABASE_URL`, or the examples' SQLite file;
//! `MIGRATE_CONNECT_TIMEOUT` (seconds, default 10) bounds the wait for a connection.

use anyhow::{bail, Context};
use migrate_core::database_url::DatabaseUrl;
use migrate_core::driver::{AnyDriver, ConnectOptions};
use migrate_core::status::StatusTable;
use migrate_core::{Migrator, Target, Version};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let to = match args.as_slice() {
        [flag, n] if flag == "--to" => n
            .parse::<u32>()
            .with_context(|| format!("`--to {n}` is not a version number"))?,
        _ => bail!("usage: cargo run --example rollback -- --to <version>"),
    };
    let target = Version::new(to).map_or(Target::Empty, Target::Version);
    let url: DatabaseUrl = db::database_url().parse()?;
    let options = ConnectOptions::from_env().map_err(anyhow::Error::msg)?;
    let mut driver = AnyDriver::connect_with(url.connection_string(), &options)
        .await
        .with_context(|| format!("cannot connect to {url}"))?;
    let migrator = Migrator::new(&db::MIGRATIONS);
    let report = migrator
        .down(&mut driver, target)
        .await
        .with_context(|| format!("rolling back to version {to}"))?;
    if report.steps.is_empty() {
        println!("nothing to revert: the database is at version {to} or older");
    }
    for step in &report.steps {
        println!(
            "reverted V{} {} ({} ms)",
            step.version,
            step.description,
            step.duration.as_millis()
        );
    }
    println!("\n{}", StatusTable(&migrator.status(&mut driver).await?));
    print_api_versions(&url, &options).await
}

/// Which API versions the live schema serves.
async fn print_api_versions(url: &DatabaseUrl, options: &ConnectOptions) -> anyhow::Result<()> {
    let db = db::Db::connect_with(url.connection_string(), options).await?;
    for api in db::ApiVersion::ALL {
        match db.check(api).await {
            Ok(()) => println!("API {api}: served"),
            Err(e) => println!("API {api}: refused: {e}"),
        }
    }
    Ok(())
}
