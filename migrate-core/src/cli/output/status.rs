//! `status`: the table for people and the JSON document for machines.

use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment, LineStyle, Table, TableStyle};
use serde::Serialize;

use super::document::{json, Database, DiffJson};
use super::versions::{current, pending, standing};
use crate::driver::{LockHolder, LockState};
use crate::history::AppliedMigration;
use crate::schema::SchemaCheck;
use crate::status::{ChecksumState, VersionState, VersionStatus};
use crate::timestamp;
use crate::{Error, Version};

#[derive(Serialize)]
struct StatusJson<'a> {
    database: &'a str,
    dialect: &'static str,
    history_table: &'a str,
    current: Option<u32>,
    latest: Option<u32>,
    pending: Vec<u32>,
    versions: Vec<VersionJson<'a>>,
    schema: SchemaJson,
    lock: LockJson<'a>,
}

/// Who holds the migration lock, in `status --json`.
#[derive(Serialize)]
pub(in crate::cli) struct LockJson<'a> {
    state: &'static str,
    holder: Option<HolderJson<'a>>,
    error: Option<String>,
}

#[derive(Serialize)]
struct HolderJson<'a> {
    description: &'a str,
    session: Option<&'a str>,
    user: Option<&'a str>,
    client: Option<&'a str>,
    node: Option<&'a str>,
    connection: Option<&'a str>,
    application: Option<&'a str>,
    process: Option<u64>,
    since: Option<&'a str>,
    lease_renewed_ms_ago: Option<u64>,
    lease_expires_in_ms: Option<u64>,
    activity: Option<&'a str>,
}

impl<'a> LockJson<'a> {
    /// The reading of the lock, or why it could not be read (`state` `unknown`).
    pub(in crate::cli) fn new(read: &'a Result<LockState, Error>) -> LockJson<'a> {
        let (state, holder, error) = match read {
            Ok(state) => (state.as_str(), None, None),
            Err(e) => ("unknown", None, Some(chain(e))),
        };
        let holder = match read {
            Ok(LockState::Held(holder)) => Some(HolderJson::new(holder)),
            _ => holder,
        };
        LockJson {
            state,
            holder,
            error,
        }
    }
}

impl<'a> HolderJson<'a> {
    fn new(h: &'a LockHolder) -> HolderJson<'a> {
        let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        HolderJson {
            description: &h.description,
            session: h.session.as_deref(),
            user: h.user.as_deref(),
            client: h.client.as_deref(),
            node: h.node.as_deref(),
            connection: h.connection.as_deref(),
            application: h.application.as_deref(),
            process: h.process,
            since: h.since.as_deref(),
            lease_renewed_ms_ago: h.lease.map(|l| ms(l.renewed_ago)),
            lease_expires_in_ms: h.lease.map(|l| l.expires_in().map_or(0, ms)),
            activity: h.activity.as_deref(),
        }
    }
}

/// `migration lock: free`, `migration lock: held by …`, or why it could not be read.
pub(in crate::cli) struct LockLine<'a>(pub(in crate::cli) &'a Result<LockState, Error>);

impl std::fmt::Display for LockLine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Ok(state) => write!(f, "migration lock: {state}"),
            Err(e) => write!(f, "migration lock: could not be read: {}", chain(e)),
        }
    }
}

/// `e` and its sources, `: `-separated.
fn chain(e: &Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[derive(Serialize)]
struct SchemaJson {
    state: &'static str,
    version: Option<u32>,
    recorded: Option<String>,
    live: Option<String>,
    diff: Option<DiffJson>,
}

impl SchemaJson {
    fn new(check: &SchemaCheck) -> SchemaJson {
        let (state, version, recorded, live, diff) = match check {
            SchemaCheck::NothingApplied => ("nothing_applied", None, None, None, None),
            SchemaCheck::NotRecorded { version } => {
                ("not_recorded", Some(*version), None, None, None)
            }
            SchemaCheck::Interrupted { version } => {
                ("interrupted", Some(*version), None, None, None)
            }
            SchemaCheck::Matches {
                version,
                fingerprint,
            } => (
                "matches",
                Some(*version),
                Some(fingerprint.to_string()),
                Some(fingerprint.to_string()),
                None,
            ),
            SchemaCheck::Drifted(drift) => (
                "drift",
                Some(drift.version),
                Some(drift.recorded.to_string()),
                Some(drift.live.to_string()),
                drift.diff.as_ref().map(DiffJson::new),
            ),
        };
        SchemaJson {
            state,
            version: version.map(Version::get),
            recorded,
            live,
            diff,
        }
    }
}

#[derive(Serialize)]
struct VersionJson<'a> {
    version: u32,
    description: &'a str,
    state: &'static str,
    checksum: Option<&'static str>,
    script: Option<&'a str>,
    applied_at: Option<String>,
    applied_by: Option<&'a str>,
    duration_ms: Option<u64>,
    statements_done: Option<u32>,
    statements_total: Option<u32>,
    error: Option<&'a str>,
}

fn checksum_json(state: ChecksumState) -> Option<&'static str> {
    match state {
        ChecksumState::Ok => Some("ok"),
        ChecksumState::Changed => Some("changed"),
        ChecksumState::DownChanged => Some("down_changed"),
        ChecksumState::NotEmbedded => Some("not_embedded"),
        ChecksumState::NotApplied => None,
    }
}

pub(in crate::cli) fn status_json(
    out: &mut impl Write,
    db: &Database<'_>,
    lines: &[VersionStatus],
    schema: &SchemaCheck,
    latest: Option<Version>,
    lock: LockJson<'_>,
) -> io::Result<()> {
    let versions = lines
        .iter()
        .map(|line| {
            let row = line.applied.as_ref();
            VersionJson {
                version: line.version.get(),
                description: &line.description,
                state: line.state.as_str(),
                checksum: checksum_json(line.checksum),
                script: row.map(|r| r.script.as_str()),
                applied_at: row.map(|r| timestamp::rfc3339(&r.applied_at)),
                applied_by: row.map(|r| r.applied_by.as_str()),
                duration_ms: row.map(|r| r.execution_ms),
                statements_done: row.map(|r| r.statements_done),
                statements_total: row.map(|r| r.statements_total),
                error: row.and_then(|r| r.error.as_deref()),
            }
        })
        .collect();
    let recorded: Vec<AppliedMigration> = lines.iter().filter_map(|l| l.applied.clone()).collect();
    json(
        out,
        &StatusJson {
            database: db.url,
            dialect: db.dialect.tag(),
            history_table: db.history_table,
            current: current(&recorded).map(Version::get),
            latest: latest.map(Version::get),
            pending: pending(lines),
            versions,
            schema: SchemaJson::new(schema),
            lock,
        },
    )
}

/// The status table, then what to do about failed rows, then where the database stands.
pub(in crate::cli) fn status_table(
    out: &mut impl Write,
    db: &Database<'_>,
    lines: &[VersionStatus],
    failures: &[(Version, Error)],
    latest: Option<Version>,
) -> io::Result<()> {
    writeln!(
        out,
        "{} ({}), history table {}\n",
        db.url, db.dialect, db.history_table
    )?;
    let header = [
        "version",
        "description",
        "state",
        "applied at",
        "applied by",
        "duration",
        "checksum",
    ];
    let rendered = table(&header, lines.iter().map(status_row)).to_string();
    for line in rendered.lines() {
        // The last column's padding.
        writeln!(out, "{}", line.trim_end())?;
    }
    if lines.is_empty() {
        writeln!(out, "(no versions)")?;
    }
    for (version, error) in failures {
        writeln!(out, "\nversion {version}: {error}")?;
    }
    let recorded: Vec<AppliedMigration> = lines.iter().filter_map(|l| l.applied.clone()).collect();
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        standing(current(&recorded), latest, &pending(lines))
    )
}

/// The cells of one version's line of the status table.
fn status_row(line: &VersionStatus) -> Vec<Cell> {
    let row = line.applied.as_ref();
    let state = match (line.state, row) {
        (VersionState::Failed, Some(r)) if r.statements_done >= r.statements_total => {
            format!("failed after all {}", r.statements_total)
        }
        (VersionState::Failed, Some(r)) => format!(
            "failed at {} of {}",
            r.statements_done + 1,
            r.statements_total
        ),
        (state, _) => state.as_str().to_owned(),
    };
    let or_dash = |cell: Option<String>| cell.unwrap_or_else(|| "-".to_owned());
    vec![
        Cell::new(line.version).set_alignment(CellAlignment::Right),
        Cell::new(&line.description),
        Cell::new(state),
        Cell::new(or_dash(row.map(|r| timestamp::rfc3339(&r.applied_at)))),
        Cell::new(or_dash(row.map(|r| r.applied_by.clone()))),
        Cell::new(or_dash(row.map(|r| format!("{} ms", r.execution_ms))))
            .set_alignment(CellAlignment::Right),
        Cell::new(line.checksum.as_str()),
    ]
}

/// Columns as wide as their widest cell, two spaces apart, and a rule under the header:
/// readable on a terminal, in a log file and to `grep` (no box drawing around the cells).
fn table(header: &[&str], rows: impl IntoIterator<Item = Vec<Cell>>) -> Table {
    let mut table = Table::new();
    table.load_style(TableStyle::new().header_separator(LineStyle::none().fill('-')));
    table.set_header(header.iter().copied());
    for row in rows {
        table.add_row(row);
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns_under_a_rule() {
        let rows = [
            vec![Cell::new("1"), Cell::new("apps"), Cell::new("applied")],
            vec![Cell::new("10"), Cell::new("x"), Cell::new("pending")],
        ];
        let text = table(&["version", "description", "state"], rows).to_string();
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        assert_eq!(
            lines,
            [
                "version  description  state",
                "-------------------------------",
                "1        apps         applied",
                "10       x            pending",
            ]
        );
    }
}
