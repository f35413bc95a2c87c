//! Scenario (d): K separate processes start at once on one empty database, as replicas of a
//! service do.
//!
//! The benchmark re-executes itself (`worker` subcommand) K times. Each worker loads the tree,
//! prints `ready` and waits; when all are ready the parent writes `go` to every one and starts
//! the clock. A worker then connects, runs its runner's start-up (apply whatever is pending)
//! and exits, printing how many versions it applied where the runner says. The wall time ends
//! when the last worker exits. Afterwards the parent checks the database: every worker
//! succeeded, the audit ledger has each version exactly once, and the runner's history agrees.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use migrate_core::Dialect;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, ChildStdout, Command};

use crate::checks;
use crate::results::{ConcurrentResult, Outcome, Settings};
use crate::runners::{Runner, Session, Workload};
use crate::scenarios::FreshDb;
use crate::sqlx_conn::SqlxConn;
use crate::stats::{ratio, Human};
use crate::tree::{backend_name, dialect_name, TreeDirs};

/// Measures every runner of `runners` that keeps a history, `settings.concurrent_runs` times:
/// each run starts K processes and, next to them (which goes first alternates), the K = 1
/// reference, so that each run gives its own ratio. The tree is under `trees`; one untimed run
/// on the warm-up tree under `warmup_root` comes first.
pub(crate) async fn measure_all(
    runners: &[Runner],
    dialect: Dialect,
    trees: &Path,
    warmup_root: &Path,
    settings: &Settings,
    timeout: Duration,
) -> Vec<ConcurrentResult> {
    let name = backend_name(dialect);
    let runners: Vec<Runner> = runners
        .iter()
        .copied()
        .filter(|r| r.keeps_history())
        .collect();
    if let Some(&first) = runners.first() {
        // Warm the executable and the server's connection path; untimed.
        if let Err(e) = run(first, dialect, warmup_root, settings.processes, timeout).await {
            eprintln!("  concurrent warm-up: {e:#}");
        }
    }
    let mut results = Vec::new();
    for runner in runners {
        let mut result = ConcurrentResult {
            runner,
            many: Vec::new(),
            single: Vec::new(),
            ratios: Vec::new(),
            errors: Vec::new(),
        };
        for index in 0..settings.concurrent_runs {
            // (processes, whether this is the K = 1 reference); alternate which goes first.
            let mut order = [(settings.processes, false), (1, true)];
            if index % 2 == 1 {
                order.reverse();
            }
            let (mut many, mut single) = (None, None);
            for (k, reference) in order {
                match run(runner, dialect, trees, k, timeout).await {
                    Ok(outcome) => {
                        eprintln!(
                            "{name} concurrent {}/{}: {}: K={k}: {}/{k} succeeded, exactly once: {}, {}",
                            index + 1,
                            settings.concurrent_runs,
                            runner.label(dialect),
                            outcome.succeeded,
                            outcome.correct(settings.versions as usize),
                            Human(outcome.wall)
                        );
                        let (slot, into) = match reference {
                            true => (&mut single, &mut result.single),
                            false => (&mut many, &mut result.many),
                        };
                        *slot = Some(outcome.wall);
                        into.push(outcome);
                    }
                    Err(e) => {
                        eprintln!("{name} concurrent: {}: K={k}: {e:#}", runner.label(dialect));
                        result.errors.push(format!("{e:#}"));
                    }
                }
            }
            if let (Some(many), Some(single)) = (many, single) {
                result.ratios.push(ratio(many, single));
            }
        }
        results.push(result);
    }
    results
}

/// Starts `processes` workers of `runner` at once on a fresh database.
pub(crate) async fn run(
    runner: Runner,
    dialect: Dialect,
    tree_root: &Path,
    processes: usize,
    timeout: Duration,
) -> anyhow::Result<Outcome> {
    let db = FreshDb::create(dialect).await?;
    let result = run_on(runner, dialect, tree_root, processes, timeout, db.url()).await;
    db.drop_database().await;
    result
}

async fn run_on(
    runner: Runner,
    dialect: Dialect,
    tree_root: &Path,
    processes: usize,
    timeout: Duration,
    url: &str,
) -> anyhow::Result<Outcome> {
    let exe = std::env::current_exe().context("finding the benchmark's own executable")?;
    let mut workers = Vec::with_capacity(processes);
    for _ in 0..processes {
        let mut child = Command::new(&exe)
            .args(["worker", "--dialect", dialect_name(dialect), "--runner"])
            .arg(runner.id())
            .arg("--url")
            .arg(url)
            .arg("--tree")
            .arg(tree_root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("starting a worker process")?;
        let mut stdout = BufReader::new(child.stdout.take().context("worker stdout")?);
        let mut line = String::new();
        stdout.read_line(&mut line).await?;
        if line.trim() != "ready" {
            let mut err = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                let _ = stderr.read_to_string(&mut err).await;
            }
            bail!("a worker did not get ready: {}{}", line.trim(), err.trim());
        }
        workers.push((child, stdout));
    }

    let started = Instant::now();
    for (child, _) in &mut workers {
        let stdin = child.stdin.as_mut().context("worker stdin")?;
        stdin.write_all(b"go\n").await?;
        stdin.flush().await?;
    }
    let waits: Vec<_> = workers
        .into_iter()
        .map(|(child, stdout)| tokio::spawn(finish(child, stdout, timeout)))
        .collect();
    let mut ends = Vec::with_capacity(processes);
    for wait in waits {
        ends.push(wait.await.context("waiting for a worker")?);
    }
    let wall = ends
        .iter()
        .map(|end| end.exited.duration_since(started))
        .max()
        .unwrap_or_default();

    let succeeded = ends.iter().filter(|end| end.error.is_none()).count();
    let applied_sum = ends.iter().map(|end| end.applied).sum::<Option<usize>>();
    let errors = ends.iter().filter_map(|end| end.error.clone()).collect();
    let mut check = SqlxConn::connect(dialect, url).await?;
    let applied = checks::applied(&mut check, runner).await.ok();
    check.close().await;
    Ok(Outcome {
        wall,
        processes,
        succeeded,
        applied_sum,
        applied,
        errors,
    })
}

/// How one worker ended.
struct End {
    exited: Instant,
    applied: Option<usize>,
    error: Option<String>,
}

async fn finish(mut child: Child, mut stdout: BufReader<ChildStdout>, timeout: Duration) -> End {
    let waited = tokio::time::timeout(timeout, child.wait()).await;
    let exited = Instant::now();
    let mut out = String::new();
    let _ = stdout.read_to_string(&mut out).await;
    let mut err = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut err).await;
    }
    let applied = out
        .lines()
        .find_map(|l| l.strip_prefix("applied "))
        .and_then(|n| n.trim().parse().ok());
    let error = match waited {
        Err(_) => {
            let _ = child.kill().await;
            Some(format!("timed out after {} s", timeout.as_secs()))
        }
        Ok(Ok(status)) if status.success() => None,
        Ok(Ok(status)) => Some(
            err.lines()
                .find(|l| !l.trim().is_empty())
                .map_or_else(|| format!("exited with {status}"), str::to_owned),
        ),
        Ok(Err(e)) => Some(format!("could not wait for the worker: {e}")),
    };
    End {
        exited,
        applied,
        error,
    }
}

/// The worker's side: load, say `ready`, wait for `go`, start up once, report, exit.
pub(crate) async fn worker(
    dialect: Dialect,
    runner: Runner,
    url: &str,
    tree_root: PathBuf,
) -> anyhow::Result<()> {
    let w = Workload::load(&TreeDirs::under(&tree_root, dialect), dialect).await?;
    println!("ready");
    let mut line = String::new();
    // Nothing else runs in this process while it waits.
    std::io::stdin().read_line(&mut line)?;
    if line.trim() != "go" {
        bail!("expected `go` on stdin, got {line:?}");
    }
    let mut session = Session::connect(runner, dialect, url).await?;
    let applied = session.apply(&w).await?;
    session.close().await;
    match applied {
        Some(n) => println!("applied {n}"),
        None => println!("applied unknown"),
    }
    Ok(())
}
