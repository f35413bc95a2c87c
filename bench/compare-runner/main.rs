//! The driver of `bench/compare-runner.sh`: one run of migrate's runner, built against the
//! migrate-core of the commit being compared. It loads a `versions` folder, applies every
//! version, reverts every version, and prints how long that took.
//!
//! ```text
//! driver --backend sqlite|mysql|postgres --tree DIR --fingerprints off|every --url URL
//! ```
//!
//! `--url` is a `SQLite` file to create (it must not exist), or a server's URL naming an admin
//! database (`mysql://root@127.0.0.1:3306/mysql`, `postgres://postgres@127.0.0.1:5432/postgres`):
//! the driver then creates a fresh database next to it and drops it at the end.
//!
//! Only the API that the compared commits share is used, so the same source builds against
//! both. The measured part (building the migrator, `up` to the latest version, `down` to
//! empty) lies between calls of `runner_cmp_start` and `runner_cmp_end`, which callgrind's
//! `--zero-before` and `--dump-before` name; connecting, loading and dropping are outside.

use std::process::ExitCode;
use std::time::Instant;

use migrate_core::driver::{Driver, SqlxMySql, SqlxPostgres, SqlxSqlite};
use migrate_core::{Config, Dialect, Fingerprints, Migrator, Target};

/// The parsed command line.
struct Args {
    dialect: Dialect,
    tree: String,
    fingerprints: Fingerprints,
    url: String,
}

type Failure = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Failure> {
    let args = parse(std::env::args().skip(1).collect())?;
    let set = migrate_core::source::load_dir(&args.tree, &[args.dialect])?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (elapsed, applied, reverted) = match args.dialect {
        Dialect::Sqlite => {
            let url = format!("sqlite://{}", args.url);
            let mut driver = runtime.block_on(SqlxSqlite::connect(&url))?;
            measure(&runtime, &mut driver, &set, args.fingerprints)?
        }
        Dialect::MySql => {
            let name = fresh_name();
            let mut admin = runtime.block_on(SqlxMySql::connect(&args.url))?;
            runtime.block_on(admin.execute(&format!("CREATE DATABASE {name}")))?;
            let mut driver = runtime.block_on(SqlxMySql::connect(&sibling(&args.url, &name)))?;
            let outcome = measure(&runtime, &mut driver, &set, args.fingerprints);
            drop(driver);
            runtime.block_on(admin.execute(&format!("DROP DATABASE {name}")))?;
            outcome?
        }
        Dialect::Postgres => {
            let name = fresh_name();
            let mut admin = runtime.block_on(SqlxPostgres::connect(&args.url))?;
            runtime.block_on(admin.execute(&format!("CREATE DATABASE {name}")))?;
            let mut driver = runtime.block_on(SqlxPostgres::connect(&sibling(&args.url, &name)))?;
            let outcome = measure(&runtime, &mut driver, &set, args.fingerprints);
            drop(driver);
            runtime.block_on(admin.execute(&format!("DROP DATABASE {name}")))?;
            outcome?
        }
    };
    let expected = set.migrations().len();
    if applied != expected || reverted != expected {
        return Err(format!("applied {applied} and reverted {reverted} of {expected}").into());
    }
    println!("ns {}", elapsed.as_nanos());
    Ok(())
}

/// Applies every version and reverts every version on `driver`; the time it took and the
/// steps applied and reverted.
fn measure<D: Driver>(
    runtime: &tokio::runtime::Runtime,
    driver: &mut D,
    set: &migrate_core::MigrationSet,
    fingerprints: Fingerprints,
) -> Result<(std::time::Duration, usize, usize), Failure> {
    runner_cmp_start();
    let started = Instant::now();
    let (up, down) = runtime.block_on(async {
        let migrator = Migrator::with_config(set, Config::default().fingerprints(fingerprints));
        let up = migrator.up(&mut *driver, Target::Latest).await?;
        let down = migrator.down(&mut *driver, Target::Empty).await?;
        Ok::<_, migrate_core::Error>((up, down))
    })?;
    let elapsed = started.elapsed();
    runner_cmp_end();
    Ok((elapsed, up.steps.len(), down.steps.len()))
}

/// Where callgrind zeroes its counters (`--zero-before=runner_cmp_start`).
#[unsafe(no_mangle)]
#[inline(never)]
extern "C" fn runner_cmp_start() {
    // A body of its own, so that the two markers are never merged into one function.
    std::hint::black_box(1_u8);
}

/// Where callgrind dumps its counters (`--dump-before=runner_cmp_end`).
#[unsafe(no_mangle)]
#[inline(never)]
extern "C" fn runner_cmp_end() {
    std::hint::black_box(2_u8);
}

/// A database name no other run uses at the same time.
fn fresh_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("runner_cmp_{}_{nanos}", std::process::id())
}

/// `url` with its database (the last path segment) replaced by `name`.
fn sibling(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, ""), |(b, q)| (b, q));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    if query.is_empty() {
        format!("{base}/{name}")
    } else {
        format!("{base}/{name}?{query}")
    }
}

fn parse(words: Vec<String>) -> Result<Args, Failure> {
    let mut words = words.into_iter();
    let (mut dialect, mut tree, mut fingerprints, mut url) = (None, None, None, None);
    while let Some(flag) = words.next() {
        let value = words
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?;
        match (flag.as_str(), value.as_str()) {
            ("--backend", "sqlite") => dialect = Some(Dialect::Sqlite),
            ("--backend", "mysql") => dialect = Some(Dialect::MySql),
            ("--backend", "postgres") => dialect = Some(Dialect::Postgres),
            ("--fingerprints", "off") => fingerprints = Some(Fingerprints::Off),
            ("--fingerprints", "every") => fingerprints = Some(Fingerprints::EveryVersion),
            ("--tree", _) => tree = Some(value),
            ("--url", _) => url = Some(value),
            _ => return Err(format!("unknown argument {flag} {value}").into()),
        }
    }
    let missing = |what: &str| format!("missing {what}");
    Ok(Args {
        dialect: dialect.ok_or_else(|| missing("--backend"))?,
        tree: tree.ok_or_else(|| missing("--tree"))?,
        fingerprints: fingerprints.ok_or_else(|| missing("--fingerprints"))?,
        url: url.ok_or_else(|| missing("--url"))?,
    })
}
