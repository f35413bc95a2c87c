//! The planner's rules, without a database.

use super::*;
use crate::history::AppliedMigration;
use crate::source::load_dir;

fn set(files: &[(&str, &str)]) -> (tempfile::TempDir, MigrationSet) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let set = load_dir(dir.path(), &Dialect::ALL).expect("valid");
    (dir, set)
}

fn three() -> (tempfile::TempDir, MigrationSet) {
    set(&[
        (
            "V1/up.sql",
            "CREATE TABLE a (id INT);\nINSERT INTO a VALUES (1);",
        ),
        ("V1/down.sql", "DROP TABLE a;"),
        ("V2/up.sql", "CREATE TABLE b (id INT);"),
        ("V2/up.mysql.sql", "CREATE TABLE b (id INT) ENGINE=InnoDB;"),
        ("V2/down.sql", "-- migrate:irreversible"),
        ("V3/up.sql", "CREATE TABLE c (id INT);"),
        ("V3/down.sql", "DROP TABLE c;"),
    ])
}

fn v(n: u32) -> Version {
    Version::new(n).expect("positive")
}

fn row(set: &MigrationSet, n: u32, dialect: Dialect) -> AppliedMigration {
    let m = set.get(v(n)).expect("known");
    let script = m.script(Direction::Up, dialect).expect("script");
    AppliedMigration {
        version: v(n),
        description: String::new(),
        script: script.path().to_owned(),
        checksum: script.checksum(),
        down_checksum: None,
        state: State::Applied,
        direction: Direction::Up,
        statements_done: 1,
        statements_total: 1,
        error: None,
        applied_by: "me".into(),
        applied_at: "2026-01-01".into(),
        execution_ms: 1,
        fingerprint: None,
    }
}

fn versions(plan: &Plan<'_>) -> Vec<(u32, Direction)> {
    plan.steps
        .iter()
        .map(|s| (s.migration.version().get(), s.direction))
        .collect()
}

#[test]
fn plan_up_on_empty_history_applies_everything_in_order() {
    let (_dir, set) = three();
    let plan = plan_up(
        &set,
        &[],
        Dialect::Postgres,
        Target::Latest,
        OutOfOrder::Reject,
    )
    .expect("plan");
    assert_eq!(
        versions(&plan),
        [(1, Direction::Up), (2, Direction::Up), (3, Direction::Up)]
    );
    assert_eq!(plan.steps[0].statements.len(), 2);
    assert_eq!(plan.steps[0].statements[1].line, 2);
}

#[test]
fn plan_up_stops_at_the_target() {
    let (_dir, set) = three();
    let plan = plan_up(
        &set,
        &[],
        Dialect::Sqlite,
        Target::Version(v(2)),
        OutOfOrder::Reject,
    )
    .expect("plan");
    assert_eq!(versions(&plan), [(1, Direction::Up), (2, Direction::Up)]);
}

#[test]
fn plan_up_picks_the_dialect_override() {
    let (_dir, set) = three();
    let plan = plan_up(
        &set,
        &[],
        Dialect::MySql,
        Target::Latest,
        OutOfOrder::Reject,
    )
    .expect("plan");
    assert_eq!(plan.steps[1].script.path(), "V2/up.mysql.sql");
    let plan = plan_up(
        &set,
        &[],
        Dialect::Sqlite,
        Target::Latest,
        OutOfOrder::Reject,
    )
    .expect("plan");
    assert_eq!(plan.steps[1].script.path(), "V2/up.sql");
}

#[test]
fn plan_up_with_everything_applied_is_empty() {
    let (_dir, set) = three();
    let applied: Vec<_> = (1..=3).map(|n| row(&set, n, Dialect::Postgres)).collect();
    let plan = plan_up(
        &set,
        &applied,
        Dialect::Postgres,
        Target::Latest,
        OutOfOrder::Reject,
    )
    .expect("plan");
    assert!(plan.is_empty());
}

#[test]
fn plan_rejects_changed_checksum() {
    let (_dir, set) = three();
    let mut applied = vec![row(&set, 1, Dialect::Postgres)];
    applied[0].checksum = crate::Checksum::of_script("something else");
    let err = plan_up(
        &set,
        &applied,
        Dialect::Postgres,
        Target::Latest,
        OutOfOrder::Reject,
    )
    .expect_err("mismatch");
    assert!(
        matches!(err, Error::ChecksumMismatch { version, .. } if version == v(1)),
        "{err}"
    );
}

#[test]
fn plan_rejects_a_version_the_binary_does_not_know() {
    let (_dir, set) = three();
    let mut unknown = row(&set, 3, Dialect::Postgres);
    unknown.version = v(4);
    let applied = vec![row(&set, 1, Dialect::Postgres), unknown];
    let err = plan_down(&set, &applied, Dialect::Postgres, Target::Empty).expect_err("unknown");
    assert!(
        matches!(err, Error::UnknownVersion { version, .. } if version == v(4)),
        "{err}"
    );
}

#[test]
fn plan_rejects_out_of_order_unless_allowed() {
    let (_dir, set) = three();
    let applied = vec![row(&set, 1, Dialect::Sqlite), row(&set, 3, Dialect::Sqlite)];
    let err = plan_up(
        &set,
        &applied,
        Dialect::Sqlite,
        Target::Latest,
        OutOfOrder::Reject,
    )
    .expect_err("out of order");
    assert!(
        matches!(err, Error::OutOfOrder { version, newest_applied } if version == v(2) && newest_applied == v(3))
    );
    let plan = plan_up(
        &set,
        &applied,
        Dialect::Sqlite,
        Target::Latest,
        OutOfOrder::Allow,
    )
    .expect("allowed");
    assert_eq!(versions(&plan), [(2, Direction::Up)]);
}

#[test]
fn plan_rejects_failed_rows_naming_resume_and_repair() {
    let (_dir, set) = three();
    let mut failed = row(&set, 1, Dialect::MySql);
    failed.state = State::Failed;
    failed.statements_done = 1;
    failed.statements_total = 2;
    failed.error = Some("duplicate key".into());
    let err = plan_up(
        &set,
        &[failed.clone()],
        Dialect::MySql,
        Target::Latest,
        OutOfOrder::Reject,
    )
    .expect_err("failed");
    let message = err.to_string();
    assert!(
        message.contains("statement 2 of 2")
            && message.contains("resume")
            && message.contains("repair"),
        "{message}"
    );
    assert!(message.contains("`V1/up.sql` line 2"), "{message}");
    failed.error = None;
    let interrupted = reject_failed(&set, &[failed], Dialect::MySql)
        .expect_err("interrupted")
        .to_string();
    assert!(
        interrupted.contains("in flight") && interrupted.contains("unknown"),
        "{interrupted}"
    );
}

#[test]
fn plan_down_reverts_newest_first_and_refuses_irreversible() {
    let (_dir, set) = three();
    let applied: Vec<_> = (1..=3).map(|n| row(&set, n, Dialect::Sqlite)).collect();
    let plan = plan_down(&set, &applied, Dialect::Sqlite, Target::Version(v(2))).expect("plan");
    assert_eq!(versions(&plan), [(3, Direction::Down)]);
    let err = plan_down(&set, &applied, Dialect::Sqlite, Target::Version(v(1)))
        .expect_err("irreversible");
    assert!(
        matches!(err, Error::Irreversible { version, .. } if version == v(2)),
        "{err}"
    );
    assert!(plan_down(&set, &applied, Dialect::Sqlite, Target::Latest)
        .expect("nothing")
        .is_empty());
}

#[test]
fn plan_names_a_missing_dialect_script() {
    let (_dir, set) = set(&[
        ("V1/up.postgres.sql", "SELECT 1;"),
        ("V1/down.sql", "SELECT 1;"),
    ]);
    let err = plan_up(
        &set,
        &[],
        Dialect::Sqlite,
        Target::Latest,
        OutOfOrder::Reject,
    )
    .expect_err("missing");
    assert!(
        matches!(
            err,
            Error::MissingDialectScript {
                dialect: Dialect::Sqlite,
                direction: Direction::Up,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("up.sqlite.sql"), "{err}");
}

#[test]
fn plan_rejects_unknown_target() {
    let (_dir, set) = three();
    let err = plan_up(
        &set,
        &[],
        Dialect::Sqlite,
        Target::Version(v(7)),
        OutOfOrder::Reject,
    )
    .expect_err("unknown");
    assert!(matches!(err, Error::UnknownTarget { .. }), "{err}");
}

#[test]
fn plan_resume_continues_from_the_failed_statement() {
    let (_dir, set) = three();
    let mut failed = row(&set, 1, Dialect::MySql);
    failed.state = State::Failed;
    failed.statements_done = 1;
    failed.statements_total = 2;
    failed.error = Some("duplicate column".to_owned());
    let plan =
        plan_resume(&set, &[failed.clone()], Dialect::MySql, Resume::AfterFix).expect("resume");
    assert_eq!(plan.steps[0].start, 1);
    let plan = plan_resume(&set, &[failed.clone()], Dialect::MySql, Resume::Skip).expect("skip");
    assert_eq!(plan.steps[0].start, 2);
    failed.statements_total = 5;
    let err = plan_resume(&set, &[failed], Dialect::MySql, Resume::AfterFix).expect_err("changed");
    assert!(matches!(err, Error::ResumeScriptChanged { .. }), "{err}");
    assert!(matches!(
        plan_resume(&set, &[], Dialect::MySql, Resume::AfterFix),
        Err(Error::NothingToResume)
    ));
}

#[test]
fn plan_resume_refuses_an_unknown_outcome_without_a_choice() {
    let (_dir, set) = three();
    let mut failed = row(&set, 1, Dialect::MySql);
    failed.state = State::Failed;
    failed.statements_done = 1;
    failed.statements_total = 2;
    failed.error = None;
    let err = plan_resume(&set, &[failed.clone()], Dialect::MySql, Resume::AfterFix)
        .expect_err("unknown outcome");
    assert!(
        matches!(err, Error::ResumeOutcomeUnknown { statement: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("--rerun"), "{err}");
    let rerun = plan_resume(&set, &[failed.clone()], Dialect::MySql, Resume::Rerun);
    assert_eq!(rerun.expect("rerun").steps[0].start, 1);
    let skip = plan_resume(&set, &[failed.clone()], Dialect::MySql, Resume::Skip);
    assert_eq!(skip.expect("skip").steps[0].start, 2);
    // Every statement done, only the closing record missing: nothing is unknown.
    failed.statements_done = 2;
    let closing = plan_resume(&set, &[failed], Dialect::MySql, Resume::AfterFix);
    assert_eq!(closing.expect("closing").steps[0].start, 2);
}

#[test]
fn plan_down_rejects_an_edited_down_script_and_up_does_not() {
    let (_dir, set) = three();
    let mut applied: Vec<AppliedMigration> = [1, 3]
        .iter()
        .map(|&n| row(&set, n, Dialect::Sqlite))
        .collect();
    applied.insert(1, row(&set, 2, Dialect::Sqlite));
    applied[2].down_checksum = Some(crate::Checksum::of_script("DROP TABLE c_old;"));
    let err = plan_down(&set, &applied, Dialect::Sqlite, Target::Version(v(2)))
        .expect_err("edited down script");
    assert!(
        matches!(&err, Error::DownChecksumMismatch { version, script, .. }
            if *version == v(3) && script == "V3/down.sql"),
        "{err}"
    );
    let err = check_down_checksums(&set, &applied, Dialect::Sqlite).expect_err("validate");
    assert!(matches!(err, Error::DownChecksumMismatch { .. }), "{err}");
    // Applying is not a revert: the up scripts are unchanged.
    plan_up(
        &set,
        &applied,
        Dialect::Sqlite,
        Target::Latest,
        OutOfOrder::Reject,
    )
    .expect("up plans");
    // A row recorded without a down checksum is not checked.
    applied[2].down_checksum = None;
    check_down_checksums(&set, &applied, Dialect::Sqlite).expect("nothing recorded");
}
