//! `verify` at scale: the generator's history of N versions (default 500) followed by versions
//! that create stored programs — procedures, functions, triggers and views; dollar-quoted
//! PL/pgSQL bodies on PostgreSQL, compound `BEGIN … END` bodies with and without `DELIMITER` on
//! MySQL/MariaDB, trigger bodies on SQLite — verified round trip by round trip on scratch
//! databases, per backend. The runtime goes into its own section of `BENCHMARKS.md`.
//!
//! ```text
//! cargo run --release -p migrate-bench -- verify-scale [--versions 500]
//! ```

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use migrate_core::source;
use migrate_core::verify::{ScratchServer, Verifier, VerifyReport};
use migrate_core::Dialect;

use crate::scenarios::backend;
use crate::tree::{self, backend_name, GenVersion};

/// Where the section starts and ends in `BENCHMARKS.md`, so that it can be replaced alone.
pub(crate) const START: &str = "<!-- verify-scale:start -->";
/// See [`START`].
pub(crate) const END: &str = "<!-- verify-scale:end -->";

/// A stored-program version: description, up script, down script.
type Program = (&'static str, &'static str, &'static str);

/// MySQL/MariaDB: compound bodies without `DELIMITER`, then a trigger with it, and a view.
const MYSQL_PROGRAMS: [Program; 2] = [
    (
        "audit_procedures",
        "-- A procedure and a function as a tool sends them: compound bodies, no DELIMITER.\n\
         CREATE PROCEDURE bench_note(IN v INT, IN msg VARCHAR(100))\n\
         BEGIN\n\
         \x20 DECLARE n INT DEFAULT 0;\n\
         \x20 SELECT COUNT(*) INTO n FROM bench_audit WHERE version = v;\n\
         \x20 IF n = 0 THEN\n\
         \x20   INSERT INTO bench_audit (version, note) VALUES (v, CONCAT('proc; ', msg));\n\
         \x20 END IF;\n\
         END;\n\
         CREATE FUNCTION bench_double(x INT) RETURNS INT DETERMINISTIC\n\
         BEGIN\n\
         \x20 RETURN x * 2;\n\
         END;\n",
        "DROP FUNCTION bench_double;\nDROP PROCEDURE bench_note;\n",
    ),
    (
        "audit_trigger",
        "DELIMITER $$\n\
         CREATE TRIGGER bench_audit_note BEFORE INSERT ON bench_audit FOR EACH ROW\n\
         BEGIN\n\
         \x20 IF NEW.note IS NULL THEN\n\
         \x20   SET NEW.note = 'trigger; default';\n\
         \x20 END IF;\n\
         END$$\n\
         DELIMITER ;\n\
         CREATE VIEW bench_audit_recent AS SELECT version, note FROM bench_audit WHERE version > 10;\n",
        "DROP VIEW bench_audit_recent;\nDROP TRIGGER bench_audit_note;\n",
    ),
];

/// PostgreSQL: dollar-quoted PL/pgSQL functions and a procedure, a trigger, and a view.
const POSTGRES_PROGRAMS: [Program; 2] = [
    (
        "audit_functions",
        "CREATE FUNCTION bench_double(x integer) RETURNS integer LANGUAGE plpgsql AS $$\n\
         BEGIN\n\
         \x20 RETURN x * 2; -- a ; inside a dollar-quoted body\n\
         END;\n\
         $$;\n\
         CREATE PROCEDURE bench_note(v integer, msg text) LANGUAGE plpgsql AS $body$\n\
         BEGIN\n\
         \x20 INSERT INTO bench_audit (version, note) VALUES (v, 'proc; ' || msg || $q$'quoted'$q$);\n\
         END;\n\
         $body$;\n",
        "DROP PROCEDURE bench_note(integer, text);\nDROP FUNCTION bench_double(integer);\n",
    ),
    (
        "audit_trigger",
        "CREATE FUNCTION bench_audit_default() RETURNS trigger LANGUAGE plpgsql AS $$\n\
         BEGIN\n\
         \x20 IF NEW.note IS NULL THEN NEW.note := 'trigger; default'; END IF;\n\
         \x20 RETURN NEW;\n\
         END;\n\
         $$;\n\
         CREATE TRIGGER bench_audit_note BEFORE INSERT ON bench_audit\n\
         \x20 FOR EACH ROW EXECUTE FUNCTION bench_audit_default();\n\
         CREATE VIEW bench_audit_recent AS SELECT version, note FROM bench_audit WHERE version > 10;\n",
        "DROP VIEW bench_audit_recent;\nDROP TRIGGER bench_audit_note ON bench_audit;\nDROP FUNCTION bench_audit_default();\n",
    ),
];

/// SQLite: a trigger body, and a view.
const SQLITE_PROGRAMS: [Program; 2] = [
    (
        "audit_trigger",
        "CREATE TRIGGER bench_audit_note AFTER INSERT ON bench_audit\n\
         WHEN NEW.note IS NULL\n\
         BEGIN\n\
         \x20 UPDATE bench_audit SET note = 'trigger; default' WHERE rowid = NEW.rowid;\n\
         END;\n",
        "DROP TRIGGER bench_audit_note;\n",
    ),
    (
        "audit_view",
        "CREATE VIEW bench_audit_recent AS SELECT version, note FROM bench_audit WHERE version > 10;\n",
        "DROP VIEW bench_audit_recent;\n",
    ),
];

/// The stored-program versions appended after the generated history, for `dialect`.
pub(crate) fn program_versions(first: u32, dialect: Dialect) -> Vec<GenVersion> {
    let scripts: &[Program] = match dialect {
        Dialect::MySql => &MYSQL_PROGRAMS,
        Dialect::Postgres => &POSTGRES_PROGRAMS,
        Dialect::Sqlite => &SQLITE_PROGRAMS,
    };
    scripts
        .iter()
        .enumerate()
        .map(|(i, &(description, up, down))| GenVersion {
            number: first + i as u32,
            description: description.to_owned(),
            up: up.to_owned(),
            down: down.to_owned(),
        })
        .collect()
}

/// One backend's result.
pub(crate) struct ScaleResult {
    dialect: Dialect,
    outcome: Result<VerifyReport, String>,
}

impl ScaleResult {
    /// Whether verification ran and found every version sound.
    pub(crate) fn ok(&self) -> bool {
        self.outcome.as_ref().is_ok_and(VerifyReport::is_ok)
    }
}

/// Verifies the scale tree on each of `dialects`.
pub(crate) async fn run(
    versions: u32,
    seed: u64,
    dialects: &[Dialect],
    trees: &Path,
) -> Vec<ScaleResult> {
    let mut results = Vec::new();
    for &dialect in dialects {
        let name = backend_name(dialect);
        eprintln!("== verify-scale: {name}");
        let outcome = verify_one(versions, seed, dialect, trees)
            .await
            .map_err(|e| format!("{e:#}"));
        match &outcome {
            Ok(report) => eprintln!(
                "{name}: {} versions in {:.1?}, ok: {}",
                report.versions.len(),
                report.duration,
                report.is_ok()
            ),
            Err(e) => eprintln!("{name}: FAILED: {e}"),
        }
        results.push(ScaleResult { dialect, outcome });
    }
    results
}

async fn verify_one(
    versions: u32,
    seed: u64,
    dialect: Dialect,
    trees: &Path,
) -> anyhow::Result<VerifyReport> {
    let root = trees.join(tree::dialect_name(dialect)).join("verify");
    if root.exists() {
        std::fs::remove_dir_all(&root).with_context(|| format!("clearing {}", root.display()))?;
    }
    let mut all = tree::generate(versions, dialect, seed);
    all.extend(program_versions(versions + 1, dialect));
    for v in &all {
        tree::write_migrate_version(&root, v)?;
    }
    let set = source::load_dir(&root, &[dialect]).context("loading the scale tree")?;
    let server = backend(dialect)
        .server_url()
        .unwrap_or_else(|| "sqlite://scratch.db".to_owned());
    let mut scratch = ScratchServer::new(server);
    let total = all.len();
    let report = Verifier::new(&set)
        .run_observed(&mut scratch, |check| {
            let n = check.version.get() as usize;
            if !check.is_ok() || n.is_multiple_of(100) || n == total {
                eprint!("  {n}/{total}: {check}");
            }
        })
        .await?;
    Ok(report)
}

/// The markdown section, between [`START`] and [`END`].
pub(crate) fn markdown(versions: u32, seed: u64, command: &str, results: &[ScaleResult]) -> String {
    let mut out = String::new();
    out.push_str(START);
    out.push_str("\n## Round-trip verification at scale (`verify`)\n\n");
    out.push_str(&format!(
        "The generated history of {versions} versions (seed {seed}; the same generator as above) \
         followed by versions that create stored programs — on MariaDB a procedure and a \
         function with compound `BEGIN … END` bodies sent without `DELIMITER`, and a trigger \
         written with `DELIMITER $$`; on PostgreSQL a function and a procedure with \
         dollar-quoted PL/pgSQL bodies, a trigger function and its trigger; on SQLite a trigger \
         with a `BEGIN … END` body; a view on each — verified with `migrate_core::verify`: for \
         every version, up, describe, down, describe and compare, up again, describe and \
         compare, on scratch databases. Each round trip describes the whole schema three \
         times, so the total grows with the number of versions times the size of the schema \
         (the last versions run on a schema of a few hundred tables).\n\n\
         Command: `{command}`\n\n"
    ));
    out.push_str(
        "| backend | versions | result | total | per version |\n|---|---:|---|---:|---:|\n",
    );
    for r in results {
        match &r.outcome {
            Ok(report) => {
                let count = report.versions.len() + report.not_checked.len();
                let per = report.duration / u32::try_from(count.max(1)).unwrap_or(u32::MAX);
                let result = if report.is_ok() {
                    "every down restores its schema".to_owned()
                } else {
                    format!(
                        "{} with problems: {}",
                        report.failures().count(),
                        report
                            .failures()
                            .map(|c| c.version.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                out.push_str(&format!(
                    "| {} | {count} | {result} | {} | {} |\n",
                    backend_name(r.dialect),
                    seconds(report.duration),
                    millis(per)
                ));
            }
            Err(e) => out.push_str(&format!(
                "| {} | – | not run: {} | – | – |\n",
                backend_name(r.dialect),
                e.replace('|', "/").replace('\n', " ")
            )),
        }
    }
    out.push('\n');
    out.push_str(END);
    out.push('\n');
    out
}

/// `text` with its verify-scale section replaced by `section`, or `section` appended.
pub(crate) fn splice(text: &str, section: &str) -> String {
    crate::section::splice(text, (START, END), section)
}

/// The section already in `text`, if any (kept when the main benchmark rewrites the file).
pub(crate) fn existing(text: &str) -> Option<String> {
    crate::section::existing(text, (START, END))
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_versions_load_and_split_in_their_dialect() {
        for dialect in Dialect::ALL {
            let dir = tempfile::tempdir().expect("temp dir");
            let mut all = tree::generate(3, dialect, 1);
            all.extend(program_versions(4, dialect));
            for v in &all {
                tree::write_migrate_version(dir.path(), v).expect("write");
            }
            let set = source::load_dir(dir.path(), &[dialect]).expect("loads");
            assert_eq!(set.migrations().len(), all.len());
        }
    }

    #[test]
    fn the_section_is_replaced_in_place_and_kept_across_rewrites() {
        let a = format!("{START}\nold\n{END}\n");
        let text = format!("# B\n\n{a}\n## After\n");
        let b = format!("{START}\nnew\n{END}\n");
        let spliced = splice(&text, &b);
        assert_eq!(spliced, format!("# B\n\n{START}\nnew\n{END}\n\n## After\n"));
        assert_eq!(existing(&spliced), Some(b.clone()));
        assert_eq!(splice("# B\n", &b), format!("# B\n\n{b}"));
    }
}
