//! The application's start-up job: migrate the database to the latest version, then print the
//! status. With no configuration it uses an SQLite file in the current folder; set
//! `DATABASE_URL` (`mysql://…`, `postgres://…`) for a server. `RUST_LOG=migrate_core=debug`
//! shows every migration and statement.

use anyhow::Context;
use migrate_core::driver::{redact_url, AnyDriver};
use migrate_core::status::VersionStatus;
use migrate_core::{Direction, Migrator, Target};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let url = db::database_url();
    let mut driver = AnyDriver::connect(&url)
        .await
        .with_context(|| format!("cannot connect to {}", redact_url(&url)))?;
    let migrator = Migrator::new(&db::MIGRATIONS);
    let report = migrator
        .up(&mut driver, Target::Latest)
        .await
        .context("migrating at start-up")?;
    if report.steps.is_empty() {
        println!("{}: up to date", redact_url(&url));
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
    print_status(
        &migrator
            .status(&mut driver)
            .await
            .context("reading the status")?,
    );
    Ok(())
}

fn print_status(lines: &[VersionStatus]) {
    println!(
        "\n{:<8} {:<20} {:<8} {:<27} {:<20} {:>8}  checksum",
        "version", "description", "state", "applied at", "applied by", "ms"
    );
    for line in lines {
        let applied = line.applied.as_ref();
        println!(
            "{:<8} {:<20} {:<8} {:<27} {:<20} {:>8}  {}",
            line.version,
            line.description,
            line.state.as_str(),
            applied.map_or("-", |a| a.applied_at.as_str()),
            applied.map_or("-", |a| a.applied_by.as_str()),
            applied.map_or_else(|| "-".to_owned(), |a| a.execution_ms.to_string()),
            line.checksum.as_str()
        );
    }
}
