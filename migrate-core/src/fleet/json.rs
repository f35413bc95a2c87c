//! The JSON documents of fleet reports (feature `cli`), built only here. The shapes are
//! documented on [`FleetReport::to_json`] and [`FleetStatus::to_json`]; fields may be added.

use serde::Serialize;

use super::options::OnFailure;
use super::report::{
    FleetReport, FleetStatus, StatusOutcome, StopCause, TenantStatus, TenantUp, UpOutcome,
};
use crate::driver::LockState;
use crate::{Error, Version};

#[derive(Serialize)]
struct UpJson<'a> {
    command: &'static str,
    ok: bool,
    parallelism: usize,
    canaries: usize,
    on_failure: &'static str,
    stopped: Option<StoppedJson<'a>>,
    duration_ms: u128,
    summary: UpSummaryJson,
    databases: Vec<TenantUpJson<'a>>,
}

#[derive(Serialize)]
struct StoppedJson<'a> {
    cause: &'static str,
    database: &'a str,
}

#[derive(Serialize)]
struct UpSummaryJson {
    total: usize,
    applied: usize,
    current: usize,
    failed: usize,
    skipped: usize,
}

#[derive(Serialize)]
struct TenantUpJson<'a> {
    database: &'a str,
    outcome: &'static str,
    before: Option<u32>,
    after: Option<u32>,
    applied: Vec<u32>,
    duration_ms: u128,
    error: Option<String>,
}

/// The error and its causes, `: `-separated, on one line.
fn error_text(e: &Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn num(v: Option<Version>) -> Option<u32> {
    v.map(Version::get)
}

impl<'a> TenantUpJson<'a> {
    fn new(t: &'a TenantUp) -> TenantUpJson<'a> {
        TenantUpJson {
            database: t.database.redacted(),
            outcome: t.outcome.as_str(),
            before: num(t.before),
            after: num(t.after),
            applied: t.applied().into_iter().map(Version::get).collect(),
            duration_ms: t.duration.as_millis(),
            error: match &t.outcome {
                UpOutcome::Failed(e) => Some(error_text(e)),
                _ => None,
            },
        }
    }
}

impl FleetReport {
    /// The report as one JSON document:
    ///
    /// ```json
    /// {
    ///   "command": "up",
    ///   "ok": false,
    ///   "parallelism": 4,
    ///   "canaries": 1,
    ///   "on_failure": "stop",
    ///   "stopped": { "cause": "failure", "database": "mysql://app:***@db:3306/tenant_7" },
    ///   "duration_ms": 1234,
    ///   "summary": { "total": 12, "applied": 9, "current": 0, "failed": 1, "skipped": 2 },
    ///   "databases": [
    ///     { "database": "mysql://app:***@db:3306/tenant_1", "outcome": "applied", "before": 1,
    ///       "after": 2, "applied": [2], "duration_ms": 41, "error": null }
    ///   ]
    /// }
    /// ```
    ///
    /// `ok` is [`FleetReport::is_success`]; `outcome` is `applied`, `current`, `failed` or
    /// `skipped`; `on_failure` is `stop` or `continue`; `stopped` is `null` or has `cause`
    /// `canary` or `failure`; `before` and `after` are the newest applied versions (`null`:
    /// none, or not read); `error` is the error and its causes on one line.
    pub fn to_json(&self) -> String {
        let summary = self.summary();
        let doc = UpJson {
            command: "up",
            ok: self.is_success(),
            parallelism: self.parallelism,
            canaries: self.canaries,
            on_failure: match self.on_failure {
                OnFailure::Stop => "stop",
                OnFailure::Continue => "continue",
            },
            stopped: self.stopped.as_ref().map(|s| match s {
                StopCause::Canary { database } => StoppedJson {
                    cause: "canary",
                    database: database.redacted(),
                },
                StopCause::Failure { database } => StoppedJson {
                    cause: "failure",
                    database: database.redacted(),
                },
            }),
            duration_ms: self.duration.as_millis(),
            summary: UpSummaryJson {
                total: summary.total,
                applied: summary.applied,
                current: summary.current,
                failed: summary.failed,
                skipped: summary.skipped,
            },
            databases: self.tenants.iter().map(TenantUpJson::new).collect(),
        };
        to_string(&doc)
    }
}

#[derive(Serialize)]
struct StatusJson<'a> {
    command: &'static str,
    duration_ms: u128,
    summary: StatusSummaryJson,
    databases: Vec<TenantStatusJson<'a>>,
}

#[derive(Serialize)]
struct StatusSummaryJson {
    total: usize,
    current: usize,
    behind: usize,
    problems: usize,
    unreadable: usize,
}

#[derive(Serialize)]
struct TenantStatusJson<'a> {
    database: &'a str,
    current: Option<u32>,
    latest: Option<u32>,
    pending: Vec<u32>,
    failed: Vec<u32>,
    checksum_changed: Vec<u32>,
    not_embedded: Vec<u32>,
    schema: Option<&'static str>,
    lock: Option<&'static str>,
    lock_holder: Option<&'a str>,
    duration_ms: u128,
    error: Option<String>,
}

fn nums(vs: &[Version]) -> Vec<u32> {
    vs.iter().map(|v| v.get()).collect()
}

impl<'a> TenantStatusJson<'a> {
    fn new(t: &'a TenantStatus) -> TenantStatusJson<'a> {
        let mut json = TenantStatusJson {
            database: t.database.redacted(),
            current: None,
            latest: None,
            pending: Vec::new(),
            failed: Vec::new(),
            checksum_changed: Vec::new(),
            not_embedded: Vec::new(),
            schema: None,
            lock: None,
            lock_holder: None,
            duration_ms: t.duration.as_millis(),
            error: None,
        };
        match &t.outcome {
            StatusOutcome::Read(s) => {
                json.current = num(s.current);
                json.latest = num(s.latest);
                json.pending = nums(&s.pending);
                json.failed = nums(&s.failed);
                json.checksum_changed = nums(&s.checksum_changed);
                json.not_embedded = nums(&s.not_embedded);
                json.schema = Some(s.schema_state());
                json.lock = Some(s.lock.as_str());
                if let LockState::Held(holder) = &s.lock {
                    json.lock_holder = Some(&holder.description);
                }
            }
            StatusOutcome::Failed(e) => json.error = Some(error_text(e)),
        }
        json
    }
}

impl FleetStatus {
    /// The status as one JSON document:
    ///
    /// ```json
    /// {
    ///   "command": "status",
    ///   "duration_ms": 310,
    ///   "summary": { "total": 12, "current": 10, "behind": 1, "problems": 1, "unreadable": 0 },
    ///   "databases": [
    ///     { "database": "postgres://postgres@db:5432/tenant_1", "current": 2, "latest": 3,
    ///       "pending": [3], "failed": [], "checksum_changed": [], "not_embedded": [],
    ///       "schema": "matches", "lock": "free", "lock_holder": null, "duration_ms": 12,
    ///       "error": null }
    ///   ]
    /// }
    /// ```
    ///
    /// `schema` is `matches`, `drift`, `not_recorded`, `interrupted` or `nothing_applied`
    /// (see the `cli` module docs); `lock` is `free`, `held` (with `lock_holder` describing the
    /// session) or `not_tracked`; a database that could not be read has `error` set and
    /// every other field empty or `null`.
    pub fn to_json(&self) -> String {
        let summary = self.summary();
        let doc = StatusJson {
            command: "status",
            duration_ms: self.duration.as_millis(),
            summary: StatusSummaryJson {
                total: summary.total,
                current: summary.current,
                behind: summary.behind,
                problems: summary.problems,
                unreadable: summary.unreadable,
            },
            databases: self.tenants.iter().map(TenantStatusJson::new).collect(),
        };
        to_string(&doc)
    }
}

fn to_string(doc: &impl Serialize) -> String {
    // Plain structs of strings and numbers: serialising cannot fail.
    serde_json::to_string_pretty(doc).unwrap_or_default()
}
