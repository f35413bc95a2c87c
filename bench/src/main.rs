//! # migrate-bench
//!
//! Measures migrate against the runners a team would pick instead — `sqlx::migrate::Migrator`
//! (0.8), refinery (0.10) — and against raw execution of the same statements with no
//! bookkeeping, in one run, on MariaDB, PostgreSQL and SQLite:
//!
//! - (a) apply all N versions, (b) no-op start-up with N applied, (c) revert all N — in
//!   rounds that run every runner once, each on a fresh database, and compare each runner with
//!   its baseline round by round;
//! - (d) K separate processes starting at once on one empty database;
//! - the build cost of embedding 1,000 versions with `embed_migrations!` and with
//!   `sqlx::migrate!`.
//!
//! It prints the results and writes them, with the targets, settings and versions, to
//! `BENCHMARKS.md` at the workspace root:
//!
//! ```text
//! cargo run --release -p migrate-bench
//! ```
//!
//! Servers: the same as the test suite (`MIGRATE_TEST_MYSQL_URL`, `MIGRATE_TEST_POSTGRES_URL`;
//! see `migrate_core::testing`). Nothing here runs as part of `cargo test`, except unit tests of
//! the pure parts: the generator, the statistics, the judging and the journal diagnostic.

mod build_cost;
mod checks;
mod concurrent;
mod cpu;
mod fleet;
mod journal_floor;
mod judge;
mod report;
mod results;
mod runners;
mod scenarios;
mod section;
mod sqlx_conn;
mod stats;
mod testdb;
mod tree;
mod verify_scale;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use migrate_core::Dialect;

use crate::report::Environment;
use crate::results::{BackendResult, RunReport, Settings, Timings};
use crate::runners::{Runner, Workload};
use crate::scenarios::FreshDb;
use crate::sqlx_conn::SqlxConn;
use crate::stats::Summary;
use crate::tree::{backend_name, TreeDirs};

/// Versions in the warm-up history.
const WARMUP_VERSIONS: u32 = 10;

#[derive(Debug, Parser)]
#[command(
    name = "migrate-bench",
    about = "Benchmark migrate against sqlx's migrator, refinery and raw execution",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Sub>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// One process of the concurrent scenario (started by the benchmark itself).
    #[command(hide = true)]
    Worker(WorkerArgs),
    /// Round-trip verification (`migrate_core::verify`) of a long generated history plus
    /// stored programs, per backend; writes its own section of BENCHMARKS.md.
    VerifyScale(VerifyScaleArgs),
    /// Test databases at version N (`TestDatabase::at`) against an empty database and a
    /// sqlx-style replay, per backend; writes its own section of BENCHMARKS.md.
    Testdb(TestdbArgs),
    /// Many tenant databases on MariaDB: a loop of the `startup` example against
    /// `migrate_core::fleet`; writes its own section of BENCHMARKS.md.
    Fleet(FleetArgs),
    /// Writes the generated history in migrate's layout, one folder per dialect
    /// (`DIR/mysql`, `DIR/postgres`, `DIR/sqlite`), for programs that load it at run time
    /// (`bench/compare-runner.sh`).
    WriteTree(WriteTreeArgs),
}

#[derive(Debug, Args)]
struct WriteTreeArgs {
    /// The folder to write (its dialect folders are replaced).
    dir: PathBuf,
    /// N: versions in the generated history.
    #[arg(long, default_value_t = 200)]
    versions: u32,
    /// Seed of the generated history.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Debug, Args)]
struct TestdbArgs {
    /// Repetitions of every variant.
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// The versions N measured.
    #[arg(long, value_delimiter = ',', default_value = "2,200")]
    versions: Vec<u32>,
    /// Seed of the generated history.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Backends to measure.
    #[arg(long, value_delimiter = ',', default_value = "mysql,postgres,sqlite")]
    backends: Vec<BackendArg>,
    /// The markdown file whose section is replaced (default: BENCHMARKS.md at the workspace root).
    #[arg(long)]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct FleetArgs {
    /// Tenant databases.
    #[arg(long, default_value_t = 200)]
    tenants: usize,
    /// The fleet's parallelism values to measure.
    #[arg(long, value_delimiter = ',', default_value = "2,4,8,16")]
    parallelism: Vec<usize>,
    /// Processes at once for the example under a pool (`xargs -P`).
    #[arg(long, default_value_t = 4)]
    processes: usize,
    /// A remark printed under the table.
    #[arg(long)]
    note: Option<String>,
    /// The markdown file whose fleet section is replaced (default: BENCHMARKS.md at the
    /// workspace root).
    #[arg(long)]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct VerifyScaleArgs {
    /// Versions generated before the stored-program versions.
    #[arg(long, default_value_t = 500)]
    versions: u32,
    /// Seed of the generated history.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Backends to verify on.
    #[arg(long, value_delimiter = ',', default_value = "mysql,postgres,sqlite")]
    backends: Vec<BackendArg>,
    /// The markdown file whose verify section is replaced (default: BENCHMARKS.md at the
    /// workspace root).
    #[arg(long)]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// N: versions in the generated history.
    #[arg(long, default_value_t = 200)]
    versions: u32,
    /// Rounds: in each, every runner applies, starts up with nothing to do and reverts once,
    /// on a fresh database, in an order rotated each round; ratios are taken within a round.
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Timed no-op start-ups per round.
    #[arg(long, default_value_t = 200)]
    noop_reps: usize,
    /// K: processes starting at once in the concurrent scenario.
    #[arg(long, default_value_t = 8)]
    processes: usize,
    /// Runs of the concurrent scenario (each also runs the K = 1 reference).
    #[arg(long, default_value_t = 3)]
    concurrent_runs: usize,
    /// Backends to measure.
    #[arg(long, value_delimiter = ',', default_value = "mysql,postgres,sqlite")]
    backends: Vec<BackendArg>,
    /// Only these runners (ids such as migrate-sqlx, migrate-mysql_async, sqlx, refinery,
    /// raw-statement-sqlx, raw-file-tx-mysql_async); all when empty.
    #[arg(long, value_delimiter = ',')]
    runners: Vec<String>,
    /// Seed of the generated history.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the markdown report (default: BENCHMARKS.md at the workspace root).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Versions in the build-cost tree; 0 skips the build-cost measurement.
    #[arg(long, default_value_t = 1000)]
    build_cost_versions: u32,
    /// Timed rebuilds per crate in the build-cost measurement.
    #[arg(long, default_value_t = 3)]
    build_cost_reps: usize,
    /// Where to write the generated trees, to inspect them (default: a temporary folder).
    #[arg(long)]
    trees: Option<PathBuf>,
    /// Repetitions of the test-database scenario (N = 2 and N); 0 skips it.
    #[arg(long, default_value_t = 3)]
    testdb_reps: usize,
    /// Seconds a concurrent worker may take before it is killed.
    #[arg(long, default_value_t = 600)]
    worker_timeout: u64,
}

#[derive(Debug, Args)]
struct WorkerArgs {
    #[arg(long)]
    dialect: BackendArg,
    #[arg(long)]
    runner: String,
    #[arg(long)]
    url: String,
    #[arg(long)]
    tree: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendArg {
    Mysql,
    Postgres,
    Sqlite,
}

impl BackendArg {
    fn dialect(self) -> Dialect {
        match self {
            BackendArg::Mysql => Dialect::MySql,
            BackendArg::Postgres => Dialect::Postgres,
            BackendArg::Sqlite => Dialect::Sqlite,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Some(Sub::Worker(args)) => runtime.block_on(worker(args)),
        Some(Sub::VerifyScale(args)) => runtime.block_on(verify_scale(args)),
        Some(Sub::Testdb(args)) => runtime.block_on(testdb(args)),
        Some(Sub::Fleet(args)) => runtime.block_on(fleet_bench(args)),
        Some(Sub::WriteTree(args)) => {
            tree::write_dialect_trees(&args.dir, args.versions, args.seed)
                .map(|()| ExitCode::SUCCESS)
        }
        None => runtime.block_on(run(cli.run)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn worker(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    let runner =
        Runner::parse(&args.runner).with_context(|| format!("unknown runner `{}`", args.runner))?;
    concurrent::worker(args.dialect.dialect(), runner, &args.url, args.tree).await?;
    Ok(ExitCode::SUCCESS)
}

async fn verify_scale(args: VerifyScaleArgs) -> anyhow::Result<ExitCode> {
    let workspace = workspace_root();
    let temporary = tempfile::tempdir().context("creating a folder for the generated trees")?;
    let dialects: Vec<Dialect> = args.backends.iter().map(|b| b.dialect()).collect();
    let results = verify_scale::run(args.versions, args.seed, &dialects, temporary.path()).await;
    let command = format!(
        "cargo run --release -p migrate-bench -- {}",
        std::env::args().skip(1).collect::<Vec<_>>().join(" ")
    );
    let section = verify_scale::markdown(args.versions, args.seed, &command, &results);
    println!("{section}");
    let output = args
        .output
        .unwrap_or_else(|| workspace.join("BENCHMARKS.md"));
    let current = std::fs::read_to_string(&output).unwrap_or_default();
    std::fs::write(&output, verify_scale::splice(&current, &section))
        .with_context(|| format!("writing {}", output.display()))?;
    eprintln!("wrote {}", output.display());
    let failed = results.iter().any(|r| !r.ok());
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn testdb(args: TestdbArgs) -> anyhow::Result<ExitCode> {
    let dialects: Vec<Dialect> = args.backends.iter().map(|b| b.dialect()).collect();
    let command = format!(
        "cargo run --release -p migrate-bench -- {}",
        std::env::args().skip(1).collect::<Vec<_>>().join(" ")
    );
    let section =
        testdb::section(&dialects, &args.versions, args.reps, args.seed, &command).await?;
    println!("{section}");
    let output = args
        .output
        .unwrap_or_else(|| workspace_root().join("BENCHMARKS.md"));
    let current = std::fs::read_to_string(&output).unwrap_or_default();
    std::fs::write(&output, testdb::splice(&current, &section))
        .with_context(|| format!("writing {}", output.display()))?;
    eprintln!("wrote {}", output.display());
    Ok(ExitCode::SUCCESS)
}

async fn fleet_bench(args: FleetArgs) -> anyhow::Result<ExitCode> {
    let workspace = workspace_root();
    let settings = fleet::Settings {
        tenants: args.tenants,
        parallelism: args.parallelism,
        processes: args.processes,
        command: format!(
            "cargo run --release -p migrate-bench -- {}",
            std::env::args()
                .skip(1)
                .map(|a| if a.contains(' ') { format!("'{a}'") } else { a })
                .collect::<Vec<_>>()
                .join(" ")
        ),
        note: args.note,
    };
    let outcome = fleet::run(&settings, &workspace).await?;
    let section = fleet::markdown(&settings, &outcome);
    println!("{section}");
    let output = args
        .output
        .unwrap_or_else(|| workspace.join("BENCHMARKS.md"));
    let current = std::fs::read_to_string(&output).unwrap_or_default();
    std::fs::write(&output, fleet::splice(&current, &section))
        .with_context(|| format!("writing {}", output.display()))?;
    eprintln!("wrote {}", output.display());
    Ok(ExitCode::SUCCESS)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let workspace = workspace_root();
    let settings = Settings {
        versions: args.versions,
        reps: args.reps,
        noop_reps: args.noop_reps,
        processes: args.processes,
        concurrent_runs: args.concurrent_runs,
        seed: args.seed,
        command: run_command(),
    };
    for id in &args.runners {
        Runner::parse(id).with_context(|| format!("unknown runner `{id}`"))?;
    }

    let temporary = tempfile::tempdir().context("creating a folder for the generated trees")?;
    let trees = args
        .trees
        .clone()
        .unwrap_or_else(|| temporary.path().to_path_buf());
    let (backends, skipped) = measure_backends(&args, &settings, &trees).await;
    let build_cost = measure_build_cost(&args, &workspace);

    let dialects: Vec<Dialect> = args.backends.iter().map(|b| b.dialect()).collect();
    let versions = [2, args.versions];
    let testdb = (args.testdb_reps > 0).then_some(
        testdb::section(
            &dialects,
            &versions,
            args.testdb_reps,
            args.seed,
            &settings.command,
        )
        .await?,
    );
    let report = RunReport {
        settings,
        backends,
        skipped,
        build_cost,
    };
    let markdown = report.markdown(&Environment::collect(&workspace));
    println!("{markdown}");
    let output = args
        .output
        .unwrap_or_else(|| workspace.join("BENCHMARKS.md"));
    let markdown = keep_other_sections(markdown, &output, testdb);
    std::fs::write(&output, &markdown).with_context(|| format!("writing {}", output.display()))?;
    eprintln!("wrote {}", output.display());

    let servers_missing = !report.skipped.is_empty() && migrate_core::testing::servers_required();
    if report.has_own_failures() || servers_missing {
        eprintln!("error: migrate or the raw baseline failed a run, or a required server was missing (see the report)");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The command line of this run, as the report shows it.
fn run_command() -> String {
    std::iter::once(format!(
        "cargo run{} -p migrate-bench",
        if cfg!(debug_assertions) {
            ""
        } else {
            " --release"
        }
    ))
    .chain((!std::env::args().skip(1).collect::<Vec<_>>().is_empty()).then(|| "--".to_owned()))
    .chain(std::env::args().skip(1))
    .collect::<Vec<_>>()
    .join(" ")
}

/// Measures every backend asked for, in order; a backend that cannot be measured is skipped
/// with the reason.
async fn measure_backends(
    args: &RunArgs,
    settings: &Settings,
    trees: &Path,
) -> (Vec<BackendResult>, Vec<(Dialect, String)>) {
    let warmup_root = trees.join("warmup");
    let mut backends = Vec::new();
    let mut skipped = Vec::new();
    for dialect in args.backends.iter().map(|b| b.dialect()) {
        let name = backend_name(dialect);
        eprintln!("== {name}");
        match measure_backend(dialect, args, settings, trees, &warmup_root).await {
            Ok(result) => backends.push(result),
            Err(e) => {
                eprintln!("{name}: not measured: {e:#}");
                skipped.push((dialect, format!("{e:#}")));
            }
        }
    }
    (backends, skipped)
}

/// The build-cost measurement, unless `--build-cost-versions 0`; its error as text.
fn measure_build_cost(
    args: &RunArgs,
    workspace: &Path,
) -> Option<Result<build_cost::BuildCost, String>> {
    (args.build_cost_versions > 0).then(|| {
        eprintln!(
            "== build cost ({} versions, {} rebuilds per crate)",
            args.build_cost_versions, args.build_cost_reps
        );
        build_cost::measure(
            workspace,
            args.build_cost_versions,
            args.build_cost_reps,
            args.seed,
        )
        .map_err(|e| format!("{e:#}"))
    })
}

/// The before/after comparison of the runner's own cost, written by `bench/compare-runner.sh`.
const RUNNER_CHANGE: (&str, &str) = ("<!-- runner-change:start -->", "<!-- runner-change:end -->");

/// `markdown` with the sections other commands measure put back from the current `output`:
/// verify-scale, fleet, the runner comparison and the hand counts always, the test-database
/// one when this run did not measure it.
fn keep_other_sections(mut markdown: String, output: &Path, testdb: Option<String>) -> String {
    // The verify-scale section is measured by its own command; keep it.
    if let Some(section) = std::fs::read_to_string(output)
        .ok()
        .and_then(|text| verify_scale::existing(&text))
    {
        markdown = verify_scale::splice(&markdown, &section);
    }
    // The test-database section: this run's, else the one measured before.
    let old = std::fs::read_to_string(output).ok();
    if let Some(section) = testdb.or_else(|| old.as_deref().and_then(testdb::existing)) {
        markdown = testdb::splice(&markdown, &section);
    }
    // The fleet section is measured by its own command; keep it.
    if let Some(section) = std::fs::read_to_string(output)
        .ok()
        .and_then(|text| fleet::existing(&text))
    {
        markdown = fleet::splice(&markdown, &section);
    }
    // The runner comparison is measured by `bench/compare-runner.sh`; keep it, before the counts.
    if let Some(section) = std::fs::read_to_string(output)
        .ok()
        .and_then(|text| section::existing(&text, RUNNER_CHANGE))
    {
        markdown = section::splice(&markdown, RUNNER_CHANGE, &section);
    }
    // What each runner sends, counted on private servers by hand (see the section): kept.
    let counts = ("<!-- counts:start -->", "<!-- counts:end -->");
    if let Some(section) = std::fs::read_to_string(output)
        .ok()
        .and_then(|text| section::existing(&text, counts))
    {
        markdown = section::splice(&markdown, counts, &section);
    }
    markdown
}

async fn measure_backend(
    dialect: Dialect,
    args: &RunArgs,
    settings: &Settings,
    trees: &Path,
    warmup_root: &Path,
) -> anyhow::Result<BackendResult> {
    let name = backend_name(dialect);
    // Reachable? And which version?
    let probe = FreshDb::create(dialect).await?;
    let mut conn = SqlxConn::connect(dialect, probe.url()).await?;
    let server = checks::server_version(&mut conn, dialect).await?;
    conn.close().await;
    probe.drop_database().await;

    let dirs = TreeDirs::under(trees, dialect);
    dirs.write(&tree::generate(args.versions, dialect, args.seed))?;
    let warm_dirs = TreeDirs::under(warmup_root, dialect);
    warm_dirs.write(&tree::generate(
        WARMUP_VERSIONS.min(args.versions),
        dialect,
        args.seed,
    ))?;
    let w = Workload::load(&dirs, dialect).await?;
    let warm = Workload::load(&warm_dirs, dialect).await?;
    let statements = (
        w.up_statements.iter().map(Vec::len).sum(),
        w.down_statements.iter().map(Vec::len).sum(),
    );

    let runners: Vec<Runner> = Runner::for_dialect(dialect)
        .into_iter()
        .filter(|r| args.runners.is_empty() || args.runners.contains(&r.id()))
        .collect();

    eprintln!("{name}: warm-up ({} versions, untimed)", warm.versions());
    for &runner in &runners {
        let mut discard = Timings::default();
        if let Err(e) = scenarios::measure(runner, &warm, 5, &mut discard).await {
            eprintln!("  warm-up of {}: {e:#}", runner.label(dialect));
        }
    }

    let results = scenarios::rounds(&runners, &w, settings.reps, settings.noop_reps).await;
    let timeout = Duration::from_secs(args.worker_timeout);
    let concurrent_results =
        concurrent::measure_all(&runners, dialect, trees, warmup_root, settings, timeout).await;

    for r in &results {
        if let Some(apply) = Summary::of(&r.timings().apply) {
            eprintln!("{name}: {}: apply {apply}", r.runner.label(dialect));
        }
    }
    Ok(BackendResult {
        dialect,
        server,
        statements,
        runners: results,
        concurrent: concurrent_results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_run_keeps_the_runner_comparison_before_the_counts() {
        let dir = tempfile::tempdir().expect("temp dir");
        let output = dir.path().join("BENCHMARKS.md");
        let runner = "<!-- runner-change:start -->\nold vs new\n<!-- runner-change:end -->";
        let counts = "<!-- counts:start -->\ncounted\n<!-- counts:end -->";
        std::fs::write(&output, format!("# Old report\n\n{runner}\n\n{counts}\n")).expect("writes");
        let kept = keep_other_sections("# New report\n".to_owned(), &output, None);
        assert!(kept.starts_with("# New report\n"), "{kept}");
        let at_runner = kept.find(runner).expect("runner section kept");
        let at_counts = kept.find(counts).expect("counts kept");
        assert!(at_runner < at_counts, "{kept}");
    }
}
