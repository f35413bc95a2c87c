//! `up --json` and `down --json`: what a run applied or reverted, and where it left the database.

use std::io::{self, Write};

use serde::Serialize;

use super::document::{json, Database, DiffJson};
use crate::runner::Report;
use crate::schema::Drift;
use crate::{Direction, Version};

#[derive(Serialize)]
struct RunJson<'a> {
    database: &'a str,
    dialect: &'static str,
    history_table: &'a str,
    direction: &'static str,
    steps: Vec<RunStepJson<'a>>,
    drift: Option<DriftJson>,
    schema_recorded: Option<u32>,
    current: Option<u32>,
    latest: Option<u32>,
    pending: &'a [u32],
}

#[derive(Serialize)]
struct RunStepJson<'a> {
    version: u32,
    description: &'a str,
    script: &'a str,
    statements: usize,
    duration_ms: u64,
}

#[derive(Serialize)]
struct DriftJson {
    version: u32,
    recorded: String,
    live: String,
    diff: Option<DiffJson>,
}

impl DriftJson {
    fn new(drift: &Drift) -> DriftJson {
        DriftJson {
            version: drift.version.get(),
            recorded: drift.recorded.to_string(),
            live: drift.live.to_string(),
            diff: drift.diff.as_ref().map(DiffJson::new),
        }
    }
}

/// Where the database stands after a run.
#[derive(Debug)]
pub(in crate::cli) struct Standing<'a> {
    pub(in crate::cli) current: Option<Version>,
    pub(in crate::cli) latest: Option<Version>,
    pub(in crate::cli) pending: &'a [u32],
}

/// The run's document: its steps in the order they ran, the drift it found, the standing.
pub(in crate::cli) fn run_json(
    out: &mut impl Write,
    db: &Database<'_>,
    direction: Direction,
    report: &Report,
    standing: &Standing<'_>,
) -> io::Result<()> {
    let steps = report
        .steps
        .iter()
        .map(|step| RunStepJson {
            version: step.version.get(),
            description: &step.description,
            script: &step.script,
            statements: step.statements,
            duration_ms: u64::try_from(step.duration.as_millis()).unwrap_or(u64::MAX),
        })
        .collect();
    json(
        out,
        &RunJson {
            database: db.url,
            dialect: db.dialect.tag(),
            history_table: db.history_table,
            direction: direction.stem(),
            steps,
            drift: report.drift.as_ref().map(DriftJson::new),
            schema_recorded: report.schema_recorded.map(Version::get),
            current: standing.current.map(Version::get),
            latest: standing.latest.map(Version::get),
            pending: standing.pending,
        },
    )
}
