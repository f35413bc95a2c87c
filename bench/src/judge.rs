//! How runners are compared: each with its baseline round by round, and the targets judged on
//! the median of those per-round ratios.
//!
//! Every runner runs once per round ([`crate::scenarios::rounds`]), so a runner and its
//! baseline in the same round ran minutes apart under the same load. A ratio is taken within
//! each round, and the median over the rounds is what a target is judged on; the lowest and
//! highest round show how far the machine moved the ratio.

use std::fmt::Write as _;
use std::time::Duration;

use migrate_core::{Dialect, Fingerprints};

use crate::results::{BackendResult, ConcurrentResult, RunReport, RunnerResult, Timings};
use crate::runners::Runner;
use crate::scenarios::floor_client;
use crate::stats::{count, ratio, Human, Ratio, Summary};

/// No-op start-up: at most this many times the raw one-query floor.
pub(crate) const NOOP_TARGET: f64 = 1.3;
/// Apply and revert on PostgreSQL and SQLite: at most this many times the best raw variant.
pub(crate) const APPLY_TARGET: f64 = 1.10;
/// Apply and revert on MariaDB: at most this many times the "raw + same journal writes"
/// diagnostic.
pub(crate) const JOURNAL_TARGET: f64 = 1.05;
/// Apply and revert on MariaDB: not slower than sqlx's migrator in the same run.
pub(crate) const SQLX_TARGET: f64 = 1.0;
/// Concurrent start-up: at most this many times the single-process start-up.
pub(crate) const CONCURRENT_TARGET: f64 = 1.3;

/// What is compared in one round: one duration from that round's timings.
pub(crate) type Measure = fn(&Timings) -> Option<Duration>;

/// (a) applying all N.
pub(crate) fn apply(t: &Timings) -> Option<Duration> {
    t.apply.first().copied()
}

/// (c) reverting all N.
pub(crate) fn revert(t: &Timings) -> Option<Duration> {
    t.revert.first().copied()
}

/// (b) the round's median no-op start-up.
pub(crate) fn noop(t: &Timings) -> Option<Duration> {
    Summary::of(&t.noop).map(|s| s.median)
}

/// The round's median raw one-query floor.
pub(crate) fn floor_history(t: &Timings) -> Option<Duration> {
    Summary::of(&t.floor_history).map(|s| s.median)
}

/// The round's median `SELECT 1`.
pub(crate) fn floor_select1(t: &Timings) -> Option<Duration> {
    Summary::of(&t.floor_select1).map(|s| s.median)
}

/// The round's median history query through migrate's driver.
pub(crate) fn floor_decoded(t: &Timings) -> Option<Duration> {
    Summary::of(&t.floor_decoded).map(|s| s.median)
}

/// The per-round ratios of `a`'s `measure` to `base`'s `base_measure`, over the rounds both
/// completed; `None` when there is no such round.
pub(crate) fn paired(
    a: &RunnerResult,
    measure: Measure,
    base: &RunnerResult,
    base_measure: Measure,
) -> Option<Ratio> {
    let ratios: Vec<f64> = a
        .rounds
        .iter()
        .filter_map(|round| {
            let own = measure(&round.timings)?;
            let other = base.rounds.iter().find(|b| b.index == round.index)?;
            Some(ratio(own, base_measure(&other.timings)?))
        })
        .collect();
    Ratio::of(&ratios)
}

/// Whether `runner` is migrate in its default configuration.
pub(crate) fn is_default(runner: Runner) -> bool {
    matches!(runner, Runner::Migrate(_, fp) if fp == Fingerprints::default())
}

impl BackendResult {
    /// The result of `runner`, if it was measured.
    pub(crate) fn result(&self, runner: Runner) -> Option<&RunnerResult> {
        self.runners.iter().find(|r| r.runner == runner)
    }

    /// The raw variant with the lowest median `measure`.
    pub(crate) fn best_raw(&self, measure: Measure) -> Option<&RunnerResult> {
        self.runners
            .iter()
            .filter(|r| matches!(r.runner, Runner::Raw(..)))
            .filter_map(|r| r.summary(measure).map(|s| (r, s.median)))
            .min_by_key(|&(_, median)| median)
            .map(|(r, _)| r)
    }

    /// Whose raw one-query floor `runner`'s no-op start-up is compared with: for migrate, its
    /// own, measured on its connection, interleaved with its no-ops; for the others, that of
    /// migrate (fingerprints off) on the same client.
    pub(crate) fn floor_owner(&self, runner: Runner) -> Option<&RunnerResult> {
        match runner {
            Runner::Migrate(..) => self.result(runner),
            _ => self.result(Runner::Migrate(floor_client(runner), Fingerprints::Off)),
        }
        .filter(|r| {
            r.rounds
                .iter()
                .any(|round| !round.timings.floor_history.is_empty())
        })
    }
}

impl RunnerResult {
    /// The median (min–max) of `measure` over the rounds.
    pub(crate) fn summary(&self, measure: Measure) -> Option<Summary> {
        let values: Vec<Duration> = self
            .rounds
            .iter()
            .filter_map(|r| measure(&r.timings))
            .collect();
        Summary::of(&values)
    }
}

/// One target checked for one migrate runner on one backend.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    /// Backend.
    pub(crate) dialect: Dialect,
    /// The migrate runner.
    pub(crate) runner: Runner,
    /// Which target, in words.
    pub(crate) target: String,
    /// What was measured, in words.
    pub(crate) measured: String,
    /// The per-round ratios compared with `limit`, when there are any.
    pub(crate) ratio: Option<Ratio>,
    /// The limit.
    pub(crate) limit: f64,
    /// Whether it is met.
    pub(crate) met: bool,
}

impl Verdict {
    /// The result column: met, or by how much the median ratio missed.
    pub(crate) fn outcome(&self) -> String {
        match (self.met, self.ratio) {
            (true, _) => "met".to_owned(),
            (false, Some(r)) => format!(
                "**missed** by {:.1} % ({:.2}× vs ≤ {:.2}×)",
                (r.median / self.limit - 1.0) * 100.0,
                r.median,
                self.limit
            ),
            (false, None) => "**missed**".to_owned(),
        }
    }
}

/// What a ratio reads as in a verdict: `a vs b (baseline) → ratio over n rounds`.
fn measured(own: Option<Summary>, base: Option<Summary>, what: &str, r: Option<Ratio>) -> String {
    let time = |s: Option<Summary>| s.map_or("–".to_owned(), |s| Human(s.median).to_string());
    let ratio = match r {
        Some(r) => format!("{r} over {}", count(r.rounds, "round")),
        None => "no round where both completed".to_owned(),
    };
    format!("{} vs {} ({what}) → {ratio}", time(own), time(base))
}

impl RunReport {
    /// Every target: the no-op start-up and concurrent start-up for every migrate runner, and
    /// apply and revert for migrate's default configuration.
    pub(crate) fn verdicts(&self) -> Vec<Verdict> {
        let mut out = Vec::new();
        for b in &self.backends {
            for r in b
                .runners
                .iter()
                .filter(|r| matches!(r.runner, Runner::Migrate(..)))
            {
                out.extend(noop_verdict(b, r));
                if is_default(r.runner) {
                    out.extend(apply_revert_verdicts(b, r));
                }
            }
            for c in b
                .concurrent
                .iter()
                .filter(|c| matches!(c.runner, Runner::Migrate(..)))
            {
                out.push(self.concurrent_verdict(b.dialect, c));
            }
        }
        out
    }

    fn concurrent_verdict(&self, dialect: Dialect, c: &ConcurrentResult) -> Verdict {
        let n = self.settings.versions as usize;
        let correct = c.many.iter().filter(|o| o.correct(n)).count();
        let all = c.many.len();
        let many = Summary::of(&c.many.iter().map(|o| o.wall).collect::<Vec<_>>());
        let single = Summary::of(&c.single.iter().map(|o| o.wall).collect::<Vec<_>>());
        let ratio = Ratio::of(&c.ratios);
        let all_correct = correct == all && all > 0 && c.errors.is_empty();
        let time = |s: Option<Summary>| s.map_or("–".to_owned(), |s| Human(s.median).to_string());
        Verdict {
            dialect,
            runner: c.runner,
            target: format!(
                "concurrent: all K succeed, exactly once, ≤ {CONCURRENT_TARGET}× single process"
            ),
            measured: format!(
                "{correct}/{all} runs correct; {} vs {} → {}",
                time(many),
                time(single),
                ratio.map_or("–".to_owned(), |r| format!(
                    "{r} over {}",
                    count(r.rounds, "run")
                ))
            ),
            ratio,
            limit: CONCURRENT_TARGET,
            met: all_correct && ratio.is_some_and(|r| r.median <= CONCURRENT_TARGET),
        }
    }
}

/// A verdict on `r` against `limit`: met when the median per-round ratio is within it and
/// the runner failed no round.
fn judged(
    dialect: Dialect,
    r: &RunnerResult,
    target: String,
    measured: String,
    ratio: Option<Ratio>,
    limit: f64,
) -> Verdict {
    Verdict {
        dialect,
        runner: r.runner,
        target,
        met: ratio.is_some_and(|x| x.median <= limit) && r.errors.is_empty(),
        measured,
        ratio,
        limit,
    }
}

/// The no-op start-up against the raw one-query floor, round by round.
fn noop_verdict(b: &BackendResult, r: &RunnerResult) -> Option<Verdict> {
    let floor = b.floor_owner(r.runner)?;
    let own = Summary::of(&r.timings().noop)?;
    let base = Summary::of(&floor.timings().floor_history);
    let ratio = paired(r, noop, floor, floor_history);
    Some(judged(
        b.dialect,
        r,
        format!("no-op start-up ≤ {NOOP_TARGET}× raw one-query floor"),
        measured(Some(own), base, "raw one-query floor", ratio),
        ratio,
        NOOP_TARGET,
    ))
}

/// Apply and revert: against the best raw variant on PostgreSQL and SQLite; on MariaDB,
/// where migrate journals every statement, against the diagnostic that makes the same
/// journal writes, and against sqlx's migrator.
fn apply_revert_verdicts(b: &BackendResult, r: &RunnerResult) -> Vec<Verdict> {
    let mut out = Vec::new();
    for (what, measure) in [("apply", apply as Measure), ("revert", revert as Measure)] {
        let baselines = match b.dialect {
            Dialect::MySql => vec![
                (
                    b.result(Runner::JournalFloor),
                    format!("{what} all N ≤ {JOURNAL_TARGET:.2}× raw + same journal writes"),
                    JOURNAL_TARGET,
                ),
                (
                    b.result(Runner::SqlxMigrator),
                    format!("{what} all N not slower than sqlx's migrator (≤ {SQLX_TARGET:.2}×)"),
                    SQLX_TARGET,
                ),
            ],
            Dialect::Postgres | Dialect::Sqlite => vec![(
                b.best_raw(measure),
                format!("{what} all N ≤ {APPLY_TARGET:.2}× best raw"),
                APPLY_TARGET,
            )],
        };
        for (base, target, limit) in baselines {
            let Some(base) = base else { continue };
            let ratio = paired(r, measure, base, measure);
            let text = measured(
                r.summary(measure),
                base.summary(measure),
                &base.runner.label(b.dialect),
                ratio,
            );
            out.push(judged(b.dialect, r, target, text, ratio, limit));
        }
    }
    out
}

/// The method section: how runners are interleaved and how ratios and targets are read.
pub(crate) fn method_markdown(md: &mut String, rounds: usize) {
    let _ = writeln!(md, "## Method\n");
    let _ = writeln!(
        md,
        "- **Interleaved rounds.** The sequential scenarios run in {}. In each round \
         every runner runs once, each on a fresh database: apply all N, the no-op start-ups, \
         revert all N. The order rotates by one runner per round, so that no runner always goes \
         first or last and a change in the machine's load during the run touches every runner \
         alike.",
        count(rounds, "round")
    );
    let _ = writeln!(
        md,
        "- **Ratios within a round.** Each ratio is a runner's time over its baseline's time in \
         the same round; the ratio shown is the median of those per-round ratios, followed in \
         parentheses by their spread (lowest–highest round; n/a from a single round). Times \
         are medians (min–max) over the rounds."
    );
    let _ = writeln!(
        md,
        "- **Baselines.** Apply and revert: the raw variant with the lowest median time, taken \
         round by round. No-op start-up: the raw one-query floor, timed alternately with the \
         no-op start-ups; per round, the median no-op over the median floor. Concurrent \
         start-up: per run, K processes over the K = 1 reference run next to it."
    );
    let _ = writeln!(
        md,
        "- **Targets.** For migrate's default configuration, apply and revert ≤ {APPLY_TARGET:.2}× \
         best raw on PostgreSQL and SQLite. On MariaDB, where migrate journals every statement, \
         ≤ {JOURNAL_TARGET:.2}× the diagnostic that sends the same statements with the same \
         journal writes in the same round trips (planned by migrate's own journal plan), and \
         not slower than sqlx's migrator in the same run (≤ {SQLX_TARGET:.2}×). No-op start-up \
         ≤ {NOOP_TARGET}× the floor and concurrent start-up ≤ {CONCURRENT_TARGET}× the single \
         process, for every migrate runner. A target is met when the median ratio is within it \
         and the runner failed no round.\n"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Round, Settings};
    use crate::runners::{Client, RawMode};

    const DEFAULT: Runner = Runner::Migrate(Client::Sqlx, Fingerprints::PerRun);
    const RAW: Runner = Runner::Raw(RawMode::File, Client::Sqlx);

    /// A runner that applied and reverted in `ms[i].1` milliseconds in round `ms[i].0`.
    fn ran(runner: Runner, ms: &[(usize, u64)]) -> RunnerResult {
        let rounds = ms
            .iter()
            .map(|&(index, ms)| Round {
                index,
                timings: Timings {
                    apply: vec![Duration::from_millis(ms)],
                    revert: vec![Duration::from_millis(ms)],
                    ..Timings::default()
                },
            })
            .collect();
        RunnerResult {
            runner,
            rounds,
            errors: Vec::new(),
        }
    }

    fn report(dialect: Dialect, runners: Vec<RunnerResult>) -> RunReport {
        RunReport {
            settings: Settings {
                versions: 200,
                reps: 5,
                noop_reps: 0,
                processes: 2,
                concurrent_runs: 0,
                seed: 1,
                command: String::new(),
            },
            backends: vec![BackendResult {
                dialect,
                server: String::new(),
                statements: (0, 0),
                runners,
                concurrent: Vec::new(),
            }],
            skipped: Vec::new(),
            build_cost: None,
        }
    }

    #[test]
    fn paired_ratios_take_each_round_against_the_same_round() {
        // The runner is 10 % slower in every round, while the rounds themselves vary twofold.
        let own = ran(DEFAULT, &[(0, 110), (1, 220), (2, 165)]);
        let base = ran(RAW, &[(0, 100), (1, 200), (2, 150)]);
        let r = paired(&own, apply, &base, apply).expect("ratio");
        assert_eq!(r.rounds, 3);
        assert!((r.median - 1.1).abs() < 1e-9 && (r.max - r.min).abs() < 1e-9);
    }

    #[test]
    fn paired_ratios_skip_rounds_either_side_missed() {
        let own = ran(DEFAULT, &[(0, 120), (2, 130)]);
        let base = ran(RAW, &[(0, 100), (1, 100)]);
        let r = paired(&own, apply, &base, apply).expect("ratio");
        assert_eq!((r.rounds, r.spread()), (1, "n/a".to_owned()));
        assert_eq!(paired(&own, apply, &ran(RAW, &[(1, 100)]), apply), None);
    }

    #[test]
    fn best_raw_is_the_variant_with_the_lowest_median() {
        let slow = ran(
            Runner::Raw(RawMode::Statement, Client::Sqlx),
            &[(0, 90), (1, 300)],
        );
        let fast = ran(RAW, &[(0, 100), (1, 110)]);
        let b = &report(Dialect::Postgres, vec![slow, fast]).backends[0];
        assert_eq!(b.best_raw(apply).map(|r| r.runner), Some(RAW));
    }

    #[test]
    fn postgres_judges_the_default_against_best_raw() {
        let off = Runner::Migrate(Client::Sqlx, Fingerprints::Off);
        let rounds = |ms: [u64; 5]| ms.into_iter().enumerate().collect::<Vec<_>>();
        let report = report(
            Dialect::Postgres,
            vec![
                ran(DEFAULT, &rounds([105, 108, 150, 104, 109])),
                ran(off, &rounds([200; 5])),
                ran(RAW, &rounds([100; 5])),
            ],
        );
        let verdicts = report.verdicts();
        let targets: Vec<&str> = verdicts.iter().map(|v| v.target.as_str()).collect();
        assert_eq!(
            targets,
            [
                "apply all N ≤ 1.10× best raw",
                "revert all N ≤ 1.10× best raw"
            ]
        );
        // One slow round (1.50×) does not decide: the median is 1.08×.
        assert!(verdicts.iter().all(|v| v.met && v.runner == DEFAULT));
        assert!(verdicts[0]
            .measured
            .ends_with("1.08× (1.04–1.50) over 5 rounds"));
    }

    #[test]
    fn mariadb_judges_against_the_journal_diagnostic_and_sqlx() {
        let report = report(
            Dialect::MySql,
            vec![
                ran(DEFAULT, &[(0, 104), (1, 104)]),
                ran(Runner::JournalFloor, &[(0, 100), (1, 100)]),
                ran(Runner::SqlxMigrator, &[(0, 100), (1, 100)]),
                ran(RAW, &[(0, 50), (1, 50)]),
            ],
        );
        let verdicts = report.verdicts();
        let outcome: Vec<(&str, bool)> = verdicts
            .iter()
            .map(|v| (v.target.as_str(), v.met))
            .collect();
        assert_eq!(
            outcome,
            [
                ("apply all N ≤ 1.05× raw + same journal writes", true),
                (
                    "apply all N not slower than sqlx's migrator (≤ 1.00×)",
                    false
                ),
                ("revert all N ≤ 1.05× raw + same journal writes", true),
                (
                    "revert all N not slower than sqlx's migrator (≤ 1.00×)",
                    false
                ),
            ]
        );
        assert_eq!(
            verdicts[1].outcome(),
            "**missed** by 4.0 % (1.04× vs ≤ 1.00×)"
        );
    }

    #[test]
    fn a_failed_round_fails_the_target() {
        let mut own = ran(DEFAULT, &[(0, 100), (1, 100)]);
        own.errors.push("boom".to_owned());
        let report = report(Dialect::Sqlite, vec![own, ran(RAW, &[(0, 100), (1, 100)])]);
        assert!(report.verdicts().iter().all(|v| !v.met));
    }
}
