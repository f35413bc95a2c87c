//! The measured results as plain data: what the scenarios produce, the judging reads and the
//! report writes. Kept apart from all three so that none of them depends on another for its
//! types.

use std::time::Duration;

use migrate_core::Dialect;

use crate::build_cost::BuildCost;
use crate::checks::Applied;
use crate::runners::Runner;

/// The knobs of one run.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// N.
    pub(crate) versions: u32,
    /// Rounds of the sequential scenarios.
    pub(crate) reps: usize,
    /// Timed no-op start-ups per round.
    pub(crate) noop_reps: usize,
    /// K.
    pub(crate) processes: usize,
    /// Runs of the concurrent scenario (and of its K=1 reference).
    pub(crate) concurrent_runs: usize,
    /// The generator's seed.
    pub(crate) seed: u64,
    /// The command line, as run.
    pub(crate) command: String,
}

/// One runner's sequential results on one backend.
#[derive(Debug, Clone)]
pub(crate) struct RunnerResult {
    /// The runner.
    pub(crate) runner: Runner,
    /// Its timings in each round it completed.
    pub(crate) rounds: Vec<Round>,
    /// Errors of failed rounds.
    pub(crate) errors: Vec<String>,
}

impl RunnerResult {
    /// Its timings over every round.
    pub(crate) fn timings(&self) -> Timings {
        let mut all = Timings::default();
        for t in self.rounds.iter().map(|r| &r.timings) {
            all.apply.extend(&t.apply);
            all.noop.extend(&t.noop);
            all.revert.extend(&t.revert);
            all.floor_history.extend(&t.floor_history);
            all.floor_select1.extend(&t.floor_select1);
            all.floor_decoded.extend(&t.floor_decoded);
        }
        all
    }
}

/// One runner's concurrent results on one backend.
#[derive(Debug, Clone)]
pub(crate) struct ConcurrentResult {
    /// The runner.
    pub(crate) runner: Runner,
    /// K processes at once.
    pub(crate) many: Vec<Outcome>,
    /// One process, through the same harness: the reference.
    pub(crate) single: Vec<Outcome>,
    /// K processes over the reference, per run where both completed.
    pub(crate) ratios: Vec<f64>,
    /// Errors of the harness itself.
    pub(crate) errors: Vec<String>,
}

/// Everything measured on one backend.
#[derive(Debug, Clone)]
pub(crate) struct BackendResult {
    /// The backend's dialect.
    pub(crate) dialect: Dialect,
    /// The server's version.
    pub(crate) server: String,
    /// Up and down statements in the generated history.
    pub(crate) statements: (usize, usize),
    /// Sequential results per runner.
    pub(crate) runners: Vec<RunnerResult>,
    /// Concurrent results per runner.
    pub(crate) concurrent: Vec<ConcurrentResult>,
}

/// The whole run.
#[derive(Debug, Clone)]
pub(crate) struct RunReport {
    /// The knobs.
    pub(crate) settings: Settings,
    /// Per backend.
    pub(crate) backends: Vec<BackendResult>,
    /// Backends that could not be measured, and why.
    pub(crate) skipped: Vec<(Dialect, String)>,
    /// The build-cost measurement, if run.
    pub(crate) build_cost: Option<Result<BuildCost, String>>,
}

/// The timings of one runner's sequential scenarios, in one round or over several.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timings {
    /// (a) applying all N, one per round.
    pub(crate) apply: Vec<Duration>,
    /// (b) no-op start-ups, `noop_reps` per round.
    pub(crate) noop: Vec<Duration>,
    /// (c) reverting all N, one per round.
    pub(crate) revert: Vec<Duration>,
    /// The raw one-query floor, timed alternately with migrate's no-op: the no-op's own
    /// history query sent raw through the same client on the same connection, rows fetched
    /// and not decoded.
    pub(crate) floor_history: Vec<Duration>,
    /// `SELECT 1` through the same client: one bare round trip.
    pub(crate) floor_select1: Vec<Duration>,
    /// The same history query through migrate's driver (`Driver::query_each`: rows fetched and
    /// their cells borrowed as text, not checked), on migrate's own connection.
    pub(crate) floor_decoded: Vec<Duration>,
}

/// One round's timings of one runner.
#[derive(Debug, Clone)]
pub(crate) struct Round {
    /// Which round, from 0.
    pub(crate) index: usize,
    /// What it measured.
    pub(crate) timings: Timings,
}

/// What one concurrent start-up came to.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// From `go` to the last worker's exit.
    pub(crate) wall: Duration,
    /// How many workers ran.
    pub(crate) processes: usize,
    /// How many exited successfully.
    pub(crate) succeeded: usize,
    /// The sum of the versions each worker says it applied, when every worker says.
    pub(crate) applied_sum: Option<usize>,
    /// What the database says afterwards (`None` when it could not be read: no ledger).
    pub(crate) applied: Option<Applied>,
    /// The first line of each failed worker's error.
    pub(crate) errors: Vec<String>,
}

impl Outcome {
    /// Every worker succeeded and every version was applied exactly once.
    pub(crate) fn correct(&self, versions: usize) -> bool {
        self.succeeded == self.processes
            && self.applied.is_some_and(|a| a.exactly_once(versions))
            && self.applied_sum.is_none_or(|sum| sum == versions)
    }
}
