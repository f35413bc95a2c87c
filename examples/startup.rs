//! The application's start-up job: migrate the database to the latest version, print the
//! status, then serve both API versions. With no configuration it uses an SQLite file in the
//! current folder; set `DATABASE_URL` (`mysql://…`, `postgres://…`) for a server.
//!
//! `--sample-data` also loads the development sample data (never loaded by a migration).
//! `RUST_LOG=migrate_core=debug` shows every migration and statement. `MIGRATE_CONNECT_TIMEOUT`
//! (seconds, default 10) bounds the wait for the server to accept a connection.

use anyhow::Context;
use db::{v1, v2, Db, Page};
use migrate_core::database_url::DatabaseUrl;
use migrate_core::driver::{AnyDriver, ConnectOptions};
use migrate_core::status::StatusTable;
use migrate_core::{Direction, Migrator, Target};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let sample_data = std::env::args().any(|a| a == "--sample-data");
    // Parsed once: refused when malformed, and shown (`{url}`) without its password.
    let url: DatabaseUrl = db::database_url().parse()?;
    let options = ConnectOptions::from_env().map_err(anyhow::Error::msg)?;

    // 1. Migrate at start-up: one query when there is nothing to do; replicas starting
    //    together serialize on the migration lock.
    let mut driver = AnyDriver::connect_with(url.connection_string(), &options)
        .await
        .with_context(|| format!("cannot connect to {url}"))?;
    let migrator = Migrator::new(&db::MIGRATIONS);
    let report = migrator
        .up(&mut driver, Target::Latest)
        .await
        .context("migrating at start-up")?;
    if report.steps.is_empty() {
        println!("{url}: schema up to date");
    }
    for step in &report.steps {
        let verb = match step.direction {
            Direction::Up => "applied",
            Direction::Down => "reverted",
        };
        println!(
            "{verb} V{} {} ({} statements, {} ms)",
            step.version,
            step.description,
            step.statements,
            step.duration.as_millis()
        );
    }
    println!("\n{}", StatusTable(&migrator.status(&mut driver).await?));

    // 2. Serve the API versions the schema supports.
    let db = Db::connect_with(url.connection_string(), &options).await?;
    if sample_data {
        db.load_sample_data().await?;
        println!("sample data loaded");
    }
    let api1 = db.v1().await?;
    let app = api1
        .apps()
        .create(&v1::tables::NewApp {
            name: "created-through-v1".into(),
            description: Some("a v1 client's write".into()),
        })
        .await?;
    api1.metadata().set("last_start", &app.created_at).await?;
    println!("v1: created app {} ({:?})", app.id, app.name);

    let api2 = db.v2().await?;
    let seen = api2.apps().get(app.id).await?.context("the app v1 wrote")?;
    println!("v2: reads it with app_type {:?}", seen.app_type);
    api2.features()
        .create(&v2::tables::NewFeature {
            app_id: app.id,
            name: "dark-mode".into(),
            enabled: true,
        })
        .await?;
    let listed = api2.apps().list(Page::first(5), None).await?;
    println!(
        "v2: {} app(s) on the first page; features of {}: {}",
        listed.len(),
        app.id,
        api2.features().for_app(app.id).await?.len()
    );
    Ok(())
}
