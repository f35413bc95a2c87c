//! What the commands print: tables and SQL for people, JSON for machines (the shapes are
//! documented in the `cli` module docs and built only here).

use std::io::{self, Write};

use serde::Serialize;

use crate::implicit_commit::commits_implicitly;
use crate::plan::{Plan, PlanWarning};
use crate::{Dialect, Direction, Error, Script, Version};

mod document;
mod run;
mod status;
mod verify;
mod versions;

use self::document::json;

pub(super) use self::document::Database;
pub(super) use self::run::{run_json, Standing};
pub(super) use self::status::{status_json, status_table, LockJson, LockLine};
pub(super) use self::verify::verify_json;
pub(super) use self::versions::{current, standing};

/// One thing `validate` found wrong.
#[derive(Debug, Serialize)]
pub(super) struct Problem {
    pub(super) version: Option<u32>,
    pub(super) kind: &'static str,
    pub(super) message: String,
}

impl Problem {
    pub(super) fn new(version: Option<Version>, error: &Error) -> Problem {
        let kind = match error {
            Error::ChecksumMismatch { .. } => "checksum_changed",
            Error::DownChecksumMismatch { .. } => "down_checksum_changed",
            Error::UnknownVersion { .. } => "not_embedded",
            Error::FailedUnknownVersion { .. } => "failed",
            Error::PendingBelowUnknown { .. } => "pending_below_unknown",
            Error::FailedMigration { .. } => "failed",
            Error::OutOfOrder { .. } => "out_of_order",
            Error::MissingDialectScript { .. } => "missing_script",
            Error::StaleBinary { .. } => "stale_binary",
            Error::SchemaDrift { .. } => "schema_drift",
            _ => "other",
        };
        Problem {
            version: version.map(Version::get),
            kind,
            message: error.to_string(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// plan

#[derive(Serialize)]
struct PlanJson<'a> {
    database: &'a str,
    dialect: &'static str,
    direction: &'static str,
    steps: Vec<StepJson<'a>>,
    warnings: Vec<WarningJson>,
}

/// One [`PlanWarning`] in `plan --json`.
#[derive(Serialize)]
struct WarningJson {
    version: u32,
    kind: &'static str,
    direction: &'static str,
    script: String,
    message: String,
}

impl WarningJson {
    fn new(warning: &PlanWarning) -> WarningJson {
        let message = warning.to_string();
        match warning {
            PlanWarning::NoOpScript {
                version,
                direction,
                script,
            } => WarningJson {
                version: version.get(),
                kind: "no_op_script",
                direction: direction.stem(),
                script: script.clone(),
                message,
            },
        }
    }
}

#[derive(Serialize)]
struct StepJson<'a> {
    version: u32,
    description: &'a str,
    direction: &'static str,
    script: &'a str,
    transaction: &'static str,
    statements: Vec<StatementJson<'a>>,
}

#[derive(Serialize)]
struct StatementJson<'a> {
    number: usize,
    line: u32,
    sql: &'a str,
    implicit_commit: Option<bool>,
}

/// `atomic` or `journaled`, as the runner decides it.
fn transaction(dialect: Dialect, script: &Script) -> &'static str {
    crate::plan::execution(dialect, script).as_str()
}

fn implicit_commit(dialect: Dialect, sql: &str) -> Option<bool> {
    dialect.journals().then(|| commits_implicitly(sql))
}

pub(super) fn plan_json(
    out: &mut impl Write,
    db: &Database<'_>,
    direction: Direction,
    plan: &Plan<'_>,
) -> io::Result<()> {
    let steps = plan
        .steps
        .iter()
        .map(|step| StepJson {
            version: step.migration.version().get(),
            description: step.migration.description(),
            direction: step.direction.stem(),
            script: step.script.path(),
            transaction: transaction(db.dialect, step.script),
            statements: step
                .statements
                .iter()
                .enumerate()
                .skip(step.start)
                .map(|(i, s)| StatementJson {
                    number: i + 1,
                    line: s.line,
                    sql: s.sql,
                    implicit_commit: implicit_commit(db.dialect, s.sql),
                })
                .collect(),
        })
        .collect();
    json(
        out,
        &PlanJson {
            database: db.url,
            dialect: db.dialect.tag(),
            direction: direction.stem(),
            steps,
            warnings: plan.warnings().iter().map(WarningJson::new).collect(),
        },
    )
}

/// The plan as an SQL script an operator can read (or run by hand): every statement, with its
/// file and line in a comment before it.
pub(super) fn plan_text(
    out: &mut impl Write,
    db: &Database<'_>,
    direction: Direction,
    plan: &Plan<'_>,
) -> io::Result<()> {
    let verb = match direction {
        Direction::Up => "apply",
        Direction::Down => "revert",
    };
    if plan.is_empty() {
        return writeln!(out, "-- nothing to {verb} on {} ({})", db.url, db.dialect);
    }
    let count = plan.steps.len();
    let noun = if count == 1 {
        "migration"
    } else {
        "migrations"
    };
    writeln!(
        out,
        "-- plan: {verb} {count} {noun} on {} ({}); nothing has run",
        db.url, db.dialect
    )?;
    if db.dialect.journals() {
        writeln!(
            out,
            "-- [implicit commit]: the server commits this statement at once; a failure after it cannot roll it back"
        )?;
    }
    for warning in plan.warnings() {
        writeln!(out, "-- warning: {warning}")?;
    }
    for step in &plan.steps {
        let statements = step.statements.len().saturating_sub(step.start);
        let description = step.migration.description();
        writeln!(
            out,
            "\n-- V{} {description}: {}, {} statements, {}",
            step.migration.version(),
            step.direction,
            statements,
            transaction(db.dialect, step.script),
        )?;
        for statement in step.statements.iter().skip(step.start) {
            let mark = match implicit_commit(db.dialect, statement.sql) {
                Some(true) => " [implicit commit]",
                _ => "",
            };
            writeln!(
                out,
                "-- {}:{}{mark}\n{};",
                step.script.path(),
                statement.line,
                statement.sql
            )?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// validate

#[derive(Serialize)]
struct ValidateJson<'a> {
    database: &'a str,
    dialect: &'static str,
    ok: bool,
    problems: &'a [Problem],
    pending: &'a [u32],
}

pub(super) fn validate_json(
    out: &mut impl Write,
    db: &Database<'_>,
    problems: &[Problem],
    pending: &[u32],
) -> io::Result<()> {
    json(
        out,
        &ValidateJson {
            database: db.url,
            dialect: db.dialect.tag(),
            ok: problems.is_empty(),
            problems,
            pending,
        },
    )
}

pub(super) fn validate_text(
    out: &mut impl Write,
    db: &Database<'_>,
    problems: &[Problem],
    standing: &str,
) -> io::Result<()> {
    if problems.is_empty() {
        writeln!(
            out,
            "ok: the history of {} matches the migrations here",
            db.url
        )?;
    } else {
        let noun = if problems.len() == 1 {
            "problem"
        } else {
            "problems"
        };
        writeln!(
            out,
            "{} {noun} in the history of {}:",
            problems.len(),
            db.url
        )?;
        for problem in problems {
            writeln!(out, "- {}", problem.message)?;
        }
    }
    writeln!(out, "{standing}")
}
