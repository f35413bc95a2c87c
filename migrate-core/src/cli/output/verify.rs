//! `verify --json`.

use std::io::{self, Write};

use serde::Serialize;

use super::document::{json, DiffJson};
use crate::verify::{RoundTrip, RoundTripProblem, VerifyReport};

#[derive(Serialize)]
struct VerifyJson<'a> {
    server: &'a str,
    dialect: &'static str,
    ok: bool,
    duration_ms: u64,
    versions: Vec<VersionCheckJson<'a>>,
    not_checked: Vec<u32>,
}

#[derive(Serialize)]
struct VersionCheckJson<'a> {
    version: u32,
    description: &'a str,
    round_trip: &'static str,
    ok: bool,
    duration_ms: u64,
    problems: Vec<RoundTripJson<'a>>,
}

#[derive(Serialize)]
struct RoundTripJson<'a> {
    kind: &'static str,
    step: Option<String>,
    error: Option<&'a str>,
    diff: Option<DiffJson>,
}

pub(in crate::cli) fn verify_json(
    out: &mut impl Write,
    server: &str,
    report: &VerifyReport,
) -> io::Result<()> {
    let millis = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let versions = report
        .versions
        .iter()
        .map(|check| VersionCheckJson {
            version: check.version.get(),
            description: &check.description,
            round_trip: match check.round_trip {
                RoundTrip::Checked => "checked",
                RoundTrip::Irreversible => "irreversible",
            },
            ok: check.is_ok(),
            duration_ms: millis(check.duration),
            problems: check
                .problems
                .iter()
                .map(|problem| match problem {
                    RoundTripProblem::DownDoesNotRestore { diff } => RoundTripJson {
                        kind: "down_does_not_restore",
                        step: None,
                        error: None,
                        diff: Some(DiffJson::new(diff)),
                    },
                    RoundTripProblem::UpNotRepeatable { diff } => RoundTripJson {
                        kind: "up_not_repeatable",
                        step: None,
                        error: None,
                        diff: Some(DiffJson::new(diff)),
                    },
                    RoundTripProblem::Failed { step, error } => RoundTripJson {
                        kind: "failed",
                        step: Some(step.to_string()),
                        error: Some(error),
                        diff: None,
                    },
                })
                .collect(),
        })
        .collect();
    json(
        out,
        &VerifyJson {
            server,
            dialect: report.dialect.tag(),
            ok: report.is_ok(),
            duration_ms: millis(report.duration),
            versions,
            not_checked: report.not_checked.iter().map(|v| v.get()).collect(),
        },
    )
}
