//! The results, the targets, and the markdown written to `BENCHMARKS.md` (and printed).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use migrate_core::Dialect;

use crate::build_cost::BuildCost;
use crate::judge::{self, paired};
use crate::results::{BackendResult, ConcurrentResult, RunReport, RunnerResult};
use crate::runners::Runner;
use crate::scenarios::NOOP_WARMUP;
use crate::stats::{Ratio, Summary};
use crate::tree::backend_name;

impl RunReport {
    /// Whether any migrate or raw run failed (a bug in migrate or in the benchmark), as opposed
    /// to another runner failing a scenario it does not support.
    pub(crate) fn has_own_failures(&self) -> bool {
        let n = self.settings.versions as usize;
        self.backends.iter().any(|b| {
            b.runners.iter().any(|r| {
                !r.errors.is_empty()
                    && matches!(
                        r.runner,
                        Runner::Migrate(..) | Runner::Raw(..) | Runner::JournalFloor
                    )
            }) || b.concurrent.iter().any(|c| {
                matches!(c.runner, Runner::Migrate(..))
                    && (!c.errors.is_empty()
                        || c.many.iter().chain(&c.single).any(|o| !o.correct(n)))
            })
        }) || matches!(self.build_cost, Some(Err(_)))
    }

    /// The markdown document.
    pub(crate) fn markdown(&self, env: &Environment) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Benchmarks\n");
        let _ = writeln!(
            md,
            "Written by the benchmark (`bench/`, package `migrate-bench`) on {}; every number below \
             comes from that run on this machine. Re-run with the command under *Settings*.\n",
            env.date
        );
        self.targets_markdown(&mut md);
        judge::method_markdown(&mut md, self.settings.reps);
        for b in &self.backends {
            self.backend_markdown(&mut md, b);
        }
        for (dialect, why) in &self.skipped {
            let _ = writeln!(md, "## {}\n\nNot measured: {why}\n", backend_name(*dialect));
        }
        if let Some(cost) = &self.build_cost {
            build_cost_markdown(&mut md, cost);
        }
        self.settings_markdown(&mut md, env);
        self.versions_markdown(&mut md, env);
        md
    }

    /// The targets table: one verdict per row.
    fn targets_markdown(&self, md: &mut String) {
        let _ = writeln!(md, "## Targets\n");
        let _ = writeln!(
            md,
            "| backend | migrate driver | target | measured | result |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|");
        for v in self.verdicts() {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                backend_name(v.dialect),
                v.runner.label(v.dialect),
                v.target,
                v.measured,
                v.outcome()
            );
        }
        md.push('\n');
    }

    /// The settings table: the command, the history and how each scenario was run.
    fn settings_markdown(&self, md: &mut String, env: &Environment) {
        let s = &self.settings;
        let _ = writeln!(md, "## Settings\n");
        let _ = writeln!(md, "| setting | value |\n|---|---|");
        let _ = writeln!(md, "| command | `{}` |", s.command);
        let _ = writeln!(md, "| build profile | {} |", env.profile);
        let _ = writeln!(
            md,
            "| history | N = {} versions, generated with seed {} (3–6 statements per up script: tables with a foreign key, added columns and indexes, lookup tables, inserts and updates whose literals hold `;`, quotes and comment markers; exact down scripts; one audit-ledger row per version) |",
            s.versions, s.seed
        );
        for b in &self.backends {
            let _ = writeln!(
                md,
                "| statements on {} | {} up, {} down |",
                backend_name(b.dialect),
                b.statements.0,
                b.statements.1
            );
        }
        let _ = writeln!(
            md,
            "| (a)–(c) | {} rounds; in each, every runner once, on a fresh database: apply all N, then no-op start-ups, then revert all N, each checked against the database (ledger, history, leftover tables); runner order rotated by one each round; ratios taken within a round (see *Method*); one untimed warm-up pass of every runner on a 10-version history first |",
            s.reps
        );
        let _ = writeln!(
            md,
            "| (b) | {} timed no-op start-ups per round after {NOOP_WARMUP} untimed, on an open connection (connecting is not timed, for any runner); runner objects are built before timing |",
            s.noop_reps
        );
        let _ = writeln!(
            md,
            "| raw one-query floor | the exact query migrate's no-op start-up sends (each history row's version, state and checksum), sent raw through the same client on the same connection as migrate's no-op, rows fetched but not decoded, timed alternately with migrate's no-op start-ups; `SELECT 1` timed the same way for a bare round trip |"
        );
        let _ = writeln!(
            md,
            "| (d) | K = {} worker processes (this binary re-executed) per run, {} runs on fresh databases; each worker loads the tree, then waits for `go`; wall time from `go` to the last exit, connecting included; reference: the same harness with K = 1 |",
            s.processes, s.concurrent_runs
        );
        let _ = writeln!(
            md,
            "| runtime | tokio current-thread runtime in every process; sqlx connections with default options (SQLite: rollback journal, `synchronous=FULL`, foreign keys on); refinery's rusqlite connection given the same foreign-key and busy-timeout settings |"
        );
        let _ = writeln!(md, "| machine | {} |", env.machine);
        let _ = writeln!(md, "| rustc | {} |", env.rustc);
        md.push('\n');
    }

    /// The versions table: crates, then each backend's server or library.
    fn versions_markdown(&self, md: &mut String, env: &Environment) {
        let _ = writeln!(md, "## Versions\n");
        let _ = writeln!(md, "| component | version |\n|---|---|");
        for (name, version) in &env.crates {
            let _ = writeln!(md, "| {name} | {version} |");
        }
        for b in &self.backends {
            let what = match b.dialect {
                Dialect::Sqlite => "SQLite library (bundled by libsqlite3-sys)",
                Dialect::MySql => "MariaDB server",
                Dialect::Postgres => "PostgreSQL server",
            };
            let _ = writeln!(md, "| {what} | {} |", b.server);
        }
    }

    /// The table of the sequential scenarios on one backend.
    fn sequential_markdown(&self, md: &mut String, b: &BackendResult) {
        let _ = writeln!(md, "## {}\n", backend_name(b.dialect));
        let _ = writeln!(
            md,
            "Times: median (min–max) over the rounds. Ratios: median of the per-round ratios (lowest–highest round; n/a from one round; see *Method*): apply and revert to the best raw variant; no-op start-up to the raw one-query floor: for migrate, measured on its own connection, interleaved with its no-ops; for sqlx and refinery, that of migrate with fingerprints off on the same client.\n"
        );
        let _ = writeln!(
            md,
            "| runner | (a) apply all {n} | × best raw | (b) no-op start-up | × floor | (c) revert all {n} | × best raw |",
            n = self.settings.versions
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|");
        let (best_apply, best_revert) = (b.best_raw(judge::apply), b.best_raw(judge::revert));
        let show = |r: Option<Ratio>| r.map_or("–".to_owned(), |r| r.to_string());
        for r in &b.runners {
            let t = r.timings();
            let time = |samples: &[Duration]| {
                Summary::of(samples).map_or("–".to_owned(), |s| s.to_string())
            };
            let x = |measure: judge::Measure, base: Option<&RunnerResult>, base_measure| {
                show(base.and_then(|base| paired(r, measure, base, base_measure)))
            };
            let apply_x = x(judge::apply, best_apply, judge::apply);
            let noop_x = x(judge::noop, b.floor_owner(r.runner), judge::floor_history);
            let (revert, revert_x) = match r.runner.reverts() {
                true => (
                    time(&t.revert),
                    x(judge::revert, best_revert, judge::revert),
                ),
                false => ("no down migrations".to_owned(), "–".to_owned()),
            };
            let _ = writeln!(
                md,
                "| {} | {} | {apply_x} | {} | {noop_x} | {revert} | {revert_x} |",
                r.runner.label(b.dialect),
                time(&t.apply),
                time(&t.noop)
            );
        }
        floor_markdown(md, b);
        md.push('\n');
        for r in b.runners.iter().filter(|r| !r.errors.is_empty()) {
            let _ = writeln!(
                md,
                "- {} failed {} of {} rounds: {}",
                r.runner.label(b.dialect),
                r.errors.len(),
                self.settings.reps,
                one_line(&r.errors[0])
            );
        }
    }

    /// One backend's sections: the sequential table, then the concurrent one.
    fn backend_markdown(&self, md: &mut String, b: &BackendResult) {
        let name = backend_name(b.dialect);
        self.sequential_markdown(md, b);
        let _ = writeln!(
            md,
            "\n### {name}: K = {} processes starting at once on one empty database\n",
            self.settings.processes
        );
        let _ = writeln!(
            md,
            "| runner | all K succeeded | each version exactly once | wall time, K = {} | wall time, K = 1 | × K = 1 | failures |",
            self.settings.processes
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|");
        let n = self.settings.versions as usize;
        for c in &b.concurrent {
            let runs = c.many.len();
            let all_ok = c.many.iter().filter(|o| o.succeeded == o.processes).count();
            let once = c.many.iter().filter(|o| o.correct(n)).count();
            let many = Summary::of(&c.many.iter().map(|o| o.wall).collect::<Vec<_>>());
            let single = Summary::of(&c.single.iter().map(|o| o.wall).collect::<Vec<_>>());
            let ratio = Ratio::of(&c.ratios).map_or("–".to_owned(), |r| r.to_string());
            let failures = concurrent_failures(c, n);
            let show = |s: Option<Summary>| s.map_or("–".to_owned(), |s| s.to_string());
            let _ = writeln!(
                md,
                "| {} | {all_ok}/{runs} runs | {once}/{runs} runs | {} | {} | {ratio} | {failures} |",
                c.runner.label(b.dialect),
                show(many),
                show(single)
            );
        }
        md.push('\n');
    }
}

/// The failures column of one runner's concurrent row: how many processes failed and the
/// first distinct error, or `none`.
fn concurrent_failures(c: &ConcurrentResult, n: usize) -> String {
    let mut failures: Vec<String> = c
        .many
        .iter()
        .chain(&c.single)
        .flat_map(|o| {
            let mut f: Vec<String> = o.errors.iter().map(|e| one_line(e)).collect();
            if o.succeeded == o.processes && !o.correct(n) {
                f.push(format!("not exactly once: {:?}", o.applied));
            }
            f
        })
        .chain(c.errors.iter().map(|e| one_line(e)))
        .collect();
    let failed_processes: usize = c
        .many
        .iter()
        .chain(&c.single)
        .map(|o| o.processes - o.succeeded)
        .sum();
    failures.sort();
    failures.dedup();
    match failures.first() {
        None => "none".to_owned(),
        Some(first) => format!(
            "{failed_processes} processes failed; e.g. {}",
            first.replace('|', "\\|")
        ),
    }
}

/// The floor rows under the sequential table: for each migrate runner, the raw history query
/// on its connection, the same query through migrate's driver, and `SELECT 1`.
fn floor_markdown(md: &mut String, b: &BackendResult) {
    let show = |r: Option<Ratio>| r.map_or("–".to_owned(), |r| r.to_string());
    for r in b
        .runners
        .iter()
        .filter(|r| matches!(r.runner, Runner::Migrate(..)))
    {
        let t = r.timings();
        let Some(history) = Summary::of(&t.floor_history) else {
            continue;
        };
        let on = format!("on the connection of {}", r.runner.label(b.dialect));
        let _ = writeln!(
            md,
            "| raw one-query floor: the no-op's history query, {on} | | | {history} | 1.00× | | |"
        );
        if let Some(decoded) = Summary::of(&t.floor_decoded) {
            let _ = writeln!(
                md,
                "| same query through migrate's driver, cells read as text, {on} | | | {decoded} | {} | | |",
                show(paired(r, judge::floor_decoded, r, judge::floor_history))
            );
        }
        if let Some(select1) = Summary::of(&t.floor_select1) {
            let _ = writeln!(
                md,
                "| raw round trip: `SELECT 1`, {on} | | | {select1} | {} | | |",
                show(paired(r, judge::floor_select1, r, judge::floor_history))
            );
        }
    }
}

fn build_cost_markdown(md: &mut String, cost: &Result<BuildCost, String>) {
    let _ = writeln!(md, "## Build cost\n");
    match cost {
        Err(e) => {
            let _ = writeln!(md, "Not measured: {}\n", one_line(e));
        }
        Ok(cost) => {
            let _ = writeln!(
                md,
                "The same tree of {} versions ({} KiB of SQL, up and down), embedded in a release binary. \
                 Time: `cargo build --release -p <crate>` after touching the crate's `main.rs` \
                 (dependencies already built; macro expansion and codegen of the crate itself), median (min–max). \
                 Size: the release binary as Cargo leaves it.\n",
                cost.versions,
                cost.tree_bytes / 1024
            );
            let _ = writeln!(
                md,
                "| embeds | rebuild time | binary size | size over baseline |"
            );
            let _ = writeln!(md, "|---|---|---|---|");
            let base = cost.crates.first().map_or(0, |c| c.size);
            for c in &cost.crates {
                let _ = writeln!(
                    md,
                    "| {} | {} | {:.0} KiB | {:+.0} KiB |",
                    c.what,
                    c.build,
                    c.size as f64 / 1024.0,
                    (c.size as f64 - base as f64) / 1024.0
                );
            }
            md.push('\n');
        }
    }
}

fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let mut short: String = line.chars().take(200).collect();
    if line.chars().count() > 200 {
        short.push('…');
    }
    short.replace('|', "\\|")
}

/// What the run ran on.
#[derive(Debug, Clone)]
pub(crate) struct Environment {
    /// UTC date and time.
    pub(crate) date: String,
    /// `release` or `debug`.
    pub(crate) profile: &'static str,
    /// CPU and cores.
    pub(crate) machine: String,
    /// `rustc --version`.
    pub(crate) rustc: String,
    /// Crate versions from Cargo.lock, and migrate's commit.
    pub(crate) crates: Vec<(String, String)>,
}

impl Environment {
    /// Collects the environment of a run from the workspace at `workspace`.
    pub(crate) fn collect(workspace: &Path) -> Environment {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, m)| m.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown CPU".to_owned());
        let lock = std::fs::read_to_string(workspace.join("Cargo.lock")).unwrap_or_default();
        let commit = command_output(workspace, "git", &["rev-parse", "--short", "HEAD"]);
        let dirty = command_output(workspace, "git", &["status", "--porcelain"])
            .is_some_and(|s| !s.is_empty());
        let mut crates = vec![(
            "migrate-core".to_owned(),
            format!(
                "{} (commit {}{})",
                env!("CARGO_PKG_VERSION"),
                commit.as_deref().unwrap_or("unknown"),
                if dirty {
                    ", with uncommitted changes"
                } else {
                    ""
                }
            ),
        )];
        for name in [
            "sqlx",
            "refinery",
            "refinery-core",
            "mysql_async",
            "tokio-postgres",
            "rusqlite",
            "libsqlite3-sys",
            "tokio",
        ] {
            crates.push((name.to_owned(), locked_versions(&lock, name)));
        }
        Environment {
            date: utc_now(),
            profile: if cfg!(debug_assertions) {
                "debug (numbers from a debug build are not representative)"
            } else {
                "release"
            },
            machine: format!("{cores} cores ({cpu}), shared with other work"),
            rustc: command_output(workspace, "rustc", &["--version"])
                .unwrap_or_else(|| "unknown".to_owned()),
            crates,
        }
    }
}

fn command_output(dir: &Path, program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The versions of `name` in a Cargo.lock.
fn locked_versions(lock: &str, name: &str) -> String {
    let mut versions = Vec::new();
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{name}\"") {
            if let Some(version) = lines
                .next()
                .and_then(|l| l.strip_prefix("version = \""))
                .and_then(|l| l.strip_suffix('"'))
            {
                versions.push(version.to_owned());
            }
        }
    }
    if versions.is_empty() {
        "unknown".to_owned()
    } else {
        versions.join(", ")
    }
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC`.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_versions_lists_every_version_of_a_crate() {
        let lock = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"a\"\nversion = \"2.0.0\"\n";
        assert_eq!(locked_versions(lock, "a"), "1.0.0, 2.0.0");
        assert_eq!(locked_versions(lock, "b"), "unknown");
    }

    #[test]
    fn one_line_keeps_tables_intact() {
        assert_eq!(one_line("a | b\nsecond"), "a \\| b");
    }
}
