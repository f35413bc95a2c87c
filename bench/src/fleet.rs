//! Fleets: N tenant databases (default 200) on MariaDB, each migrated to the example
//! application's latest version (`sql/versions`), four ways, each on freshly created empty
//! databases:
//!
//! - (a) a sequential loop in one process: connect, `Migrator::up`, close, per database;
//! - (b) a sequential loop of the `startup` example, one process per database — the shell loop
//!   operators write today, and the baseline of the target;
//! - the same example under a pool of P processes at once (what `xargs -P` gives);
//! - (c) `migrate_core::fleet::Fleet::up` with parallelism P, for a few P, on a multi-thread
//!   runtime (as under `#[tokio::main]` or the `migrate fleet` command), and at the default P
//!   on a single-thread one, where every database's work shares one thread.
//!
//! The databases are named `migrate_fleet_bench_<pid>_<i>`, created before each scenario and
//! dropped after it (and leftovers of a killed run are dropped first). After every scenario a
//! fleet run checks that each database is current. The section goes into `BENCHMARKS.md`
//! between its markers:
//!
//! ```text
//! cargo run --release -p migrate-bench -- fleet [--tenants 200] [--parallelism 2,4,8,16]
//! ```

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use migrate_core::database_url::DatabaseUrl;
use migrate_core::driver::{AnyDriver, Driver};
use migrate_core::fleet::Fleet;
use migrate_core::testing::Backend;
use migrate_core::{source, Dialect, MigrationSet, Migrator, Target};

use crate::cpu;

/// Where the section starts and ends in `BENCHMARKS.md`, so that it can be replaced alone.
pub(crate) const START: &str = "<!-- fleet:start -->";
/// See [`START`].
pub(crate) const END: &str = "<!-- fleet:end -->";

/// The prefix of every benchmark tenant database.
const PREFIX: &str = "migrate_fleet_bench_";

/// What to measure.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// How many tenant databases.
    pub(crate) tenants: usize,
    /// The fleet's parallelism values to measure.
    pub(crate) parallelism: Vec<usize>,
    /// Processes at once for the example under a pool.
    pub(crate) processes: usize,
    /// The command line, for the report.
    pub(crate) command: String,
    /// A remark printed under the table (e.g. the machine's load).
    pub(crate) note: Option<String>,
}

/// One scenario's time.
#[derive(Debug, Clone)]
pub(crate) struct Measured {
    label: String,
    kind: Kind,
    duration: Duration,
    /// The machine's and the server's CPU use meanwhile, where `/proc` could be read.
    cpu: Option<cpu::Use>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    InProcessLoop,
    /// `cargo run --example startup` per database, cargo's check in every call.
    CargoLoop,
    ExampleLoop,
    ExamplePool,
    Fleet {
        parallelism: usize,
        default: bool,
    },
    /// The fleet on a single-thread runtime.
    FleetOneThread {
        parallelism: usize,
    },
}

/// The run's results and its context.
#[derive(Debug)]
pub(crate) struct Outcome {
    measured: Vec<Measured>,
    server: String,
    load: String,
    profile: &'static str,
}

/// The tenant databases on the server, created and dropped by the benchmark.
struct Tenants {
    admin: AnyDriver,
    server: DatabaseUrl,
    names: Vec<String>,
    /// The server's process, from its pid file, when this machine runs it.
    server_pid: Option<u32>,
}

impl Tenants {
    async fn connect(count: usize) -> anyhow::Result<Tenants> {
        let server = Backend::MySql
            .server_url()
            .context("no MariaDB server URL")?;
        let server = DatabaseUrl::parse(&server)?;
        let mut admin = AnyDriver::connect(server.connection_string())
            .await
            .with_context(|| format!("connecting to {server}"))?;
        let names = (0..count)
            .map(|i| format!("{PREFIX}{}_{i:04}", std::process::id()))
            .collect();
        let pid_file = admin.query("SELECT @@pid_file").await?;
        let server_pid = pid_file
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten())
            .and_then(|path| cpu::pid_from_file(&path));
        let mut tenants = Tenants {
            admin,
            server,
            names,
            server_pid,
        };
        tenants.drop_leftovers().await?;
        Ok(tenants)
    }

    fn urls(&self) -> Vec<String> {
        self.names
            .iter()
            .map(|n| self.server.with_database(n).connection_string().to_owned())
            .collect()
    }

    /// Drops every database with the benchmark's prefix (this run's and a killed run's).
    async fn drop_leftovers(&mut self) -> anyhow::Result<()> {
        let rows = self
            .admin
            .query(&format!(
                "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE '{}%'",
                PREFIX.replace('_', "\\_")
            ))
            .await?;
        for name in rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
        {
            self.admin
                .execute(&format!("DROP DATABASE IF EXISTS `{name}`"))
                .await?;
        }
        Ok(())
    }

    /// Every tenant database, empty.
    async fn recreate(&mut self) -> anyhow::Result<()> {
        self.drop_leftovers().await?;
        for name in &self.names {
            self.admin
                .execute(&format!("CREATE DATABASE `{name}`"))
                .await
                .with_context(|| format!("creating {name}"))?;
        }
        Ok(())
    }
}

/// The cargo that runs the benchmark (`cargo run` sets CARGO), else the one on the PATH,
/// which honours the workspace's toolchain.
fn cargo_program() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The README's run command once per database, in turn: `cargo run --example startup` (its
/// debug build, made once before the clock starts), so that every call pays cargo's own
/// up-to-date check as a shell loop of that command does.
async fn cargo_loop(workspace: &Path, urls: &[String]) -> anyhow::Result<Duration> {
    let built = std::process::Command::new(cargo_program())
        .current_dir(workspace)
        .args(["build", "-q", "--example", "startup"])
        .status()
        .context("running cargo build")?;
    if !built.success() {
        bail!("cargo build --example startup failed");
    }
    let started = Instant::now();
    for url in urls {
        let mut command = example(cargo_program(), url);
        command
            .current_dir(workspace)
            .args(["run", "-q", "--example", "startup"]);
        wait_ok(command.spawn().context("starting cargo run")?).await?;
    }
    Ok(started.elapsed())
}

/// Builds the `startup` example with the benchmark's profile and returns the binary. The
/// benchmark's package is selected too, so that features unify as in its own build and
/// nothing is rebuilt.
fn build_example(workspace: &Path) -> anyhow::Result<(PathBuf, &'static str)> {
    let release = !cfg!(debug_assertions);
    let mut cargo = std::process::Command::new(cargo_program());
    cargo.current_dir(workspace).args([
        "build",
        "-p",
        "db",
        "-p",
        "migrate-bench",
        "--example",
        "startup",
    ]);
    if release {
        cargo.arg("--release");
    }
    let status = cargo.status().context("running cargo build")?;
    if !status.success() {
        bail!("cargo build --example startup failed");
    }
    let profile = if release { "release" } else { "debug" };
    let bin = workspace
        .join("target")
        .join(profile)
        .join("examples")
        .join("startup");
    Ok((bin, profile))
}

/// (a): one connection and one `Migrator::up` per database, in turn.
async fn in_process_loop(set: &MigrationSet, urls: &[String]) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let migrator = Migrator::new(set);
    for url in urls {
        let mut driver = AnyDriver::connect(url).await?;
        migrator.up(&mut driver, Target::Latest).await?;
    }
    Ok(started.elapsed())
}

/// `program` (the example, or cargo running it) set up for `url`: quiet, its errors kept.
fn example(program: impl AsRef<std::ffi::OsStr>, url: &str) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(program);
    command
        .env("DATABASE_URL", url)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

async fn wait_ok(child: tokio::process::Child) -> anyhow::Result<()> {
    let output = child.wait_with_output().await?;
    if !output.status.success() {
        bail!(
            "the startup example failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// (b) with `processes` = 1, else the pool: the example once per database, at most
/// `processes` at a time.
async fn example_processes(
    bin: &Path,
    urls: &[String],
    processes: usize,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    for url in urls {
        if running.len() >= processes {
            running.join_next().await.context("a running process")???;
        }
        let child = example(bin, url).spawn().context("starting the example")?;
        running.spawn(wait_ok(child));
    }
    while let Some(done) = running.join_next().await {
        done??;
    }
    Ok(started.elapsed())
}

/// The runtime a fleet scenario runs on.
#[derive(Debug, Clone, Copy)]
enum Runtime {
    /// Multi-thread, one worker per core (Tokio's default).
    Multi,
    /// One thread.
    Single,
}

/// (c): the fleet, on a runtime of its own, built and dropped on a thread of its own (the
/// benchmark's single-thread runtime waits meanwhile: nothing else runs on it).
fn fleet(
    set: &MigrationSet,
    urls: &[String],
    parallelism: usize,
    runtime: Runtime,
) -> anyhow::Result<Duration> {
    let fleet = Fleet::from_urls(urls)?.parallelism(parallelism);
    let run = || -> anyhow::Result<migrate_core::fleet::FleetReport> {
        let mut builder = match runtime {
            Runtime::Multi => tokio::runtime::Builder::new_multi_thread(),
            Runtime::Single => tokio::runtime::Builder::new_current_thread(),
        };
        let rt = builder.enable_all().build()?;
        Ok(rt.block_on(fleet.up(set, Target::Latest)))
    };
    let report = std::thread::scope(|s| s.spawn(run).join())
        .map_err(|_| anyhow::anyhow!("the fleet run panicked"))??;
    if !report.is_success() {
        bail!("the fleet failed:\n{report}");
    }
    Ok(report.duration)
}

/// Checks that every database is at the latest version (nothing left for a fleet to apply).
async fn check_current(set: &MigrationSet, urls: &[String]) -> anyhow::Result<()> {
    let report = Fleet::from_urls(urls)?
        .parallelism(8)
        .up(set, Target::Latest)
        .await;
    let s = report.summary();
    if s.current != s.total {
        bail!("after the scenario, not every database was current:\n{report}");
    }
    Ok(())
}

/// Measures every scenario on fresh databases; drops them whatever happens.
pub(crate) async fn run(settings: &Settings, workspace: &Path) -> anyhow::Result<Outcome> {
    let (bin, profile) = build_example(workspace)?;
    let set = source::load_dir(workspace.join("sql/versions"), &[Dialect::MySql])
        .context("loading sql/versions")?;
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    let mut tenants = Tenants::connect(settings.tenants).await?;
    let server = tenants
        .admin
        .query("SELECT VERSION()")
        .await?
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
        .unwrap_or_default();
    let measured = scenarios(settings, &set, (workspace, &bin), &mut tenants).await;
    tenants.drop_leftovers().await?;
    Ok(Outcome {
        measured: measured?,
        server,
        load,
        profile,
    })
}

/// The scenarios to measure, in order, each with its label.
fn kinds(settings: &Settings) -> Vec<(Kind, String)> {
    let default = migrate_core::fleet::default_parallelism();
    let mut kinds = vec![
        (
            Kind::InProcessLoop,
            "(a) in-process loop: `Migrator::up` per database".to_owned(),
        ),
        (
            Kind::CargoLoop,
            "`cargo run --example startup` per database, in turn (the README's command)".to_owned(),
        ),
        (
            Kind::ExampleLoop,
            "(b) `startup` example, one process per database, in turn".to_owned(),
        ),
        (
            Kind::ExamplePool,
            format!(
                "`startup` example, {} processes at once (`xargs -P{}`)",
                settings.processes, settings.processes
            ),
        ),
    ];
    for &p in &settings.parallelism {
        let default = p == default;
        let label = format!(
            "(c) fleet, parallelism {p}{}",
            if default { " (default)" } else { "" }
        );
        kinds.push((
            Kind::Fleet {
                parallelism: p,
                default,
            },
            label,
        ));
        if default {
            kinds.push((
                Kind::FleetOneThread { parallelism: p },
                format!("fleet, parallelism {p}, on a single-thread runtime"),
            ));
        }
    }
    kinds
}

async fn scenarios(
    settings: &Settings,
    set: &MigrationSet,
    (workspace, bin): (&Path, &Path),
    tenants: &mut Tenants,
) -> anyhow::Result<Vec<Measured>> {
    let urls = tenants.urls();
    let mut measured = Vec::new();
    for (kind, label) in kinds(settings) {
        tenants.recreate().await?;
        eprintln!("fleet bench: {label} …");
        let before = cpu::sample(tenants.server_pid);
        let duration = match kind {
            Kind::InProcessLoop => in_process_loop(set, &urls).await?,
            Kind::CargoLoop => cargo_loop(workspace, &urls).await?,
            Kind::ExampleLoop => example_processes(bin, &urls, 1).await?,
            Kind::ExamplePool => example_processes(bin, &urls, settings.processes).await?,
            Kind::Fleet { parallelism, .. } => fleet(set, &urls, parallelism, Runtime::Multi)?,
            Kind::FleetOneThread { parallelism } => {
                fleet(set, &urls, parallelism, Runtime::Single)?
            }
        };
        let cpu = before
            .zip(cpu::sample(tenants.server_pid))
            .map(|(a, b)| cpu::between(a, b));
        eprintln!("fleet bench: {label}: {:.2} s", duration.as_secs_f64());
        check_current(set, &urls).await?;
        measured.push(Measured {
            label,
            kind,
            duration,
            cpu,
        });
    }
    Ok(measured)
}

fn seconds(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn ratio(base: Option<Duration>, d: Duration) -> String {
    base.map_or_else(
        || "–".to_owned(),
        |b| format!("{:.1}×", b.as_secs_f64() / d.as_secs_f64().max(1e-9)),
    )
}

/// The target line: the fleet at the default parallelism, and at its best, against (b).
fn verdict(measured: &[Measured], baseline: Option<Duration>) -> String {
    let Some(baseline) = baseline else {
        return "Target (≥ 4× faster than the sequential loop of the example): not judged, (b) did not run.".to_owned();
    };
    let fleets = || {
        measured
            .iter()
            .filter(|m| matches!(m.kind, Kind::Fleet { .. }))
    };
    let judge = |m: &Measured| {
        let speed = baseline.as_secs_f64() / m.duration.as_secs_f64().max(1e-9);
        let met = if speed >= 4.0 { "met" } else { "missed" };
        format!(
            "{speed:.1}× with {} — **{met}**",
            m.label.trim_start_matches("(c) ")
        )
    };
    let default = fleets().find(|m| matches!(m.kind, Kind::Fleet { default: true, .. }));
    let best = fleets().min_by_key(|m| m.duration);
    let mut line = "Target (≥ 4× faster than (b), the sequential loop of the example):".to_owned();
    if let Some(m) = default {
        line.push_str(&format!(" {};", judge(m)));
    }
    if let Some(m) = best {
        line.push_str(&format!(" best: {}.", judge(m)));
    }
    line
}

/// Each fleet run's speed-up over `baseline`, `, `-separated.
fn speedups(measured: &[Measured], baseline: Duration) -> String {
    measured
        .iter()
        .filter(|m| matches!(m.kind, Kind::Fleet { .. }))
        .map(|m| {
            let speed = baseline.as_secs_f64() / m.duration.as_secs_f64().max(1e-9);
            format!("{speed:.1}× with {}", m.label.trim_start_matches("(c) "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the CPU columns mean, under the table.
const CPU_NOTE: &str = "\n*Machine busy*: the share of all cores' time spent neither idle \
     nor waiting for I/O during the scenario (`/proc/stat`), the benchmark's own work included. \
     *Server CPU*: the MariaDB server process's CPU time over the scenario's wall time, in \
     cores (`/proc/<pid>/stat`).\n";

/// The machine-busy and server-CPU cells of `m`, `–` where unknown.
fn cpu_cells(m: &Measured) -> (String, String) {
    let Some(cpu) = m.cpu else {
        return ("–".to_owned(), "–".to_owned());
    };
    let busy = format!("{:.0} %", cpu.machine_busy * 100.0);
    let server = cpu.process.map_or_else(
        || "–".to_owned(),
        |t| {
            let cores = t.as_secs_f64() / m.duration.as_secs_f64().max(1e-9);
            format!("{cores:.2} cores")
        },
    );
    (busy, server)
}

/// The markdown section, between [`START`] and [`END`].
pub(crate) fn markdown(settings: &Settings, outcome: &Outcome) -> String {
    let find = |kind: Kind| {
        outcome
            .measured
            .iter()
            .find(|m| m.kind == kind)
            .map(|m| m.duration)
    };
    let (a, b) = (find(Kind::InProcessLoop), find(Kind::ExampleLoop));
    let mut out = format!("{START}\n## Fleets (one database per tenant)\n\n");
    out.push_str(&format!(
        "{} tenant databases on MariaDB {}, each migrated from empty to the example \
         application's latest version (`sql/versions`: 2 versions). Every scenario starts on \
         freshly created databases; afterwards a fleet run checks that each one is current. \
         The `startup` example ({} build) also prints the status and writes through both API \
         versions, as the issue's shell loop did; (a) is the migration alone. The first row \
         runs the README's command, `cargo run --example startup`, per database (debug build, \
         built before the clock starts), so each call also pays cargo's up-to-date check; (b) \
         runs the built binary directly, without cargo. (c) runs on a \
         multi-thread runtime, one worker per core. Times are one run each, on {} cores, load \
         average {} at the start.\n\nCommand: `{}`\n\n",
        settings.tenants,
        outcome.server,
        outcome.profile,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        outcome.load,
        settings.command,
    ));
    out.push_str(
        "| scenario | total | per database | vs (b) | vs (a) | machine busy | server CPU |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for m in &outcome.measured {
        let per = m.duration / u32::try_from(settings.tenants.max(1)).unwrap_or(u32::MAX);
        let (busy, server) = cpu_cells(m);
        out.push_str(&format!(
            "| {} | {} | {:.1} ms | {} | {} | {busy} | {server} |\n",
            m.label,
            seconds(m.duration),
            per.as_secs_f64() * 1000.0,
            ratio(b, m.duration),
            ratio(a, m.duration),
        ));
    }
    out.push_str(CPU_NOTE);
    out.push_str(&format!("\n{}\n", verdict(&outcome.measured, b)));
    if let Some(cargo_loop) = find(Kind::CargoLoop) {
        out.push_str(&format!(
            "\nAgainst the loop of the README's command (`cargo run --example startup` per \
             database, {}): {}\n",
            seconds(cargo_loop),
            speedups(&outcome.measured, cargo_loop),
        ));
    }
    if let Some(note) = &settings.note {
        out.push_str(&format!("\n{note}\n"));
    }
    out.push('\n');
    out.push_str(END);
    out.push('\n');
    out
}

/// `text` with its fleet section replaced by `section`, or `section` appended.
pub(crate) fn splice(text: &str, section: &str) -> String {
    crate::section::splice(text, (START, END), section)
}

/// The section already in `text`, if any (kept when the main benchmark rewrites the file).
pub(crate) fn existing(text: &str) -> Option<String> {
    crate::section::existing(text, (START, END))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(kind: Kind, label: &str, secs: u64) -> Measured {
        Measured {
            label: label.to_owned(),
            kind,
            duration: Duration::from_secs(secs),
            cpu: None,
        }
    }

    #[test]
    fn verdict_judges_the_default_and_the_best_fleet_against_the_example_loop() {
        let m = vec![
            measured(Kind::ExampleLoop, "(b) loop", 60),
            measured(
                Kind::Fleet {
                    parallelism: 4,
                    default: true,
                },
                "(c) fleet, parallelism 4",
                20,
            ),
            measured(
                Kind::Fleet {
                    parallelism: 8,
                    default: false,
                },
                "(c) fleet, parallelism 8",
                10,
            ),
        ];
        let line = verdict(&m, Some(Duration::from_secs(60)));
        assert!(
            line.contains("3.0× with fleet, parallelism 4 — **missed**"),
            "{line}"
        );
        assert!(
            line.contains("best: 6.0× with fleet, parallelism 8 — **met**"),
            "{line}"
        );
    }

    #[test]
    fn the_section_is_replaced_in_place_and_kept_across_rewrites() {
        let text = format!("# B\n\n{START}\nold\n{END}\n\n## After\n");
        let new = format!("{START}\nnew\n{END}\n");
        let spliced = splice(&text, &new);
        assert_eq!(spliced, format!("# B\n\n{START}\nnew\n{END}\n\n## After\n"));
        assert_eq!(existing(&spliced), Some(new.clone()));
        assert_eq!(splice("# B\n", &new), format!("# B\n\n{new}"));
    }
}
