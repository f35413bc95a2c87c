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

/// The history of a database a newer binary migrated: versions 1 to 3, which `three()` embeds,
/// then 4 and 5, which it does not.
fn newer_history(set: &MigrationSet, dialect: Dialect) -> Vec<AppliedMigration> {
    let mut rows: Vec<_> = (1..=3).map(|n| row(set, n, dialect)).collect();
    for n in [4, 5] {
        let mut unknown = row(set, 3, dialect);
        unknown.version = v(n);
        unknown.script = format!("V{n}/up.sql");
        unknown.checksum = crate::Checksum::of_script(&format!("CREATE TABLE t{n} (id INT);"));
        rows.push(unknown);
    }
    rows
}

fn up_under(
    set: &MigrationSet,
    applied: &[AppliedMigration],
    target: Target,
    out_of_order: OutOfOrder,
    unknown: UnknownVersions,
) -> Result<Vec<u32>, Error> {
    plan_up_with(set, applied, Dialect::Sqlite, target, out_of_order, unknown)
        .map(|plan| versions(&plan).into_iter().map(|(n, _)| n).collect())
}

#[test]
fn unknown_versions_are_refused_by_default_naming_the_first() {
    let (_dir, set) = three();
    let applied = newer_history(&set, Dialect::Sqlite);
    assert_eq!(UnknownVersions::default(), UnknownVersions::Refuse);
    let err = plan_up(
        &set,
        &applied,
        Dialect::Sqlite,
        Target::Latest,
        OutOfOrder::Reject,
    )
    .expect_err("refused");
    assert!(
        matches!(err, Error::UnknownVersion { version, latest_known: Some(known) }
            if version == v(4) && known == v(3)),
        "{err}"
    );
    let err = check_history(&set, &applied, Dialect::Sqlite).expect_err("refused");
    assert!(matches!(err, Error::UnknownVersion { .. }), "{err}");
}

#[test]
fn plan_up_ignoring_unknown_versions_plans_nothing_and_lists_them() {
    let (_dir, set) = three();
    let applied = newer_history(&set, Dialect::Sqlite);
    for target in [Target::Latest, Target::Version(v(2)), Target::Empty] {
        let plan = plan_up_with(
            &set,
            &applied,
            Dialect::Sqlite,
            target,
            OutOfOrder::Reject,
            UnknownVersions::Ignore,
        )
        .expect("ignored");
        assert!(plan.is_empty(), "{target:?}");
        assert_eq!(plan.unknown_versions, [v(4), v(5)], "{target:?}");
    }
    let ignored = check_history_with(&set, &applied, Dialect::Sqlite, UnknownVersions::Ignore);
    assert_eq!(ignored.expect("ignored"), [v(4), v(5)]);
    assert_eq!(unknown_versions(&set, &applied), [v(4), v(5)]);
    assert!(unknown_versions(&set, &applied[..3]).is_empty());
}

#[test]
fn ignoring_unknown_versions_still_checks_the_known_checksums() {
    let (_dir, set) = three();
    let mut applied = newer_history(&set, Dialect::Sqlite);
    applied[1].checksum = crate::Checksum::of_script("CREATE TABLE b_old (id INT);");
    let err = up_under(
        &set,
        &applied,
        Target::Latest,
        OutOfOrder::Reject,
        UnknownVersions::Ignore,
    )
    .expect_err("changed");
    assert!(
        matches!(err, Error::ChecksumMismatch { version, .. } if version == v(2)),
        "{err}"
    );
}

#[test]
fn a_failed_unknown_version_is_refused_even_when_ignoring() {
    let (_dir, set) = three();
    let mut applied = newer_history(&set, Dialect::Sqlite);
    applied[4].state = State::Failed;
    applied[4].error = Some("duplicate column".to_owned());
    for err in [
        up_under(
            &set,
            &applied,
            Target::Latest,
            OutOfOrder::Allow,
            UnknownVersions::Ignore,
        )
        .expect_err("failed unknown"),
        check_history_with(&set, &applied, Dialect::Sqlite, UnknownVersions::Ignore)
            .expect_err("failed unknown"),
    ] {
        assert!(
            matches!(err, Error::FailedUnknownVersion { version, latest_known: Some(known) }
                if version == v(5) && known == v(3)),
            "{err}"
        );
        let message = err.to_string();
        assert!(
            message.contains("resume") && message.contains("includes version 5"),
            "{message}"
        );
    }
    // Refusing names the first unknown version, as for any other.
    let err = up_under(
        &set,
        &applied,
        Target::Latest,
        OutOfOrder::Reject,
        UnknownVersions::Refuse,
    )
    .expect_err("refused");
    assert!(
        matches!(err, Error::UnknownVersion { version, .. } if version == v(4)),
        "{err}"
    );
}

#[test]
fn a_pending_version_below_an_unknown_one_is_refused_even_out_of_order() {
    let (_dir, set) = three();
    // Embedded 1 to 3; the database has 1, 2 and the unknown 4, 5: version 3 is pending below.
    let mut applied = newer_history(&set, Dialect::Sqlite);
    applied.remove(2);
    for out_of_order in [OutOfOrder::Reject, OutOfOrder::Allow] {
        let err = up_under(
            &set,
            &applied,
            Target::Latest,
            out_of_order,
            UnknownVersions::Ignore,
        )
        .expect_err("pending below");
        assert!(
            matches!(err, Error::PendingBelowUnknown { version, unknown }
                if version == v(3) && unknown == v(4)),
            "{out_of_order:?}: {err}"
        );
        assert!(err.to_string().contains("includes version 4"), "{err}");
    }
    // A target below the pending version has nothing to apply.
    let below = up_under(
        &set,
        &applied,
        Target::Version(v(2)),
        OutOfOrder::Reject,
        UnknownVersions::Ignore,
    );
    assert_eq!(below.expect("nothing"), Vec::<u32>::new());
}

#[test]
fn a_revert_that_would_undo_unknown_versions_is_refused_naming_them() {
    let (_dir, set) = three();
    let applied = newer_history(&set, Dialect::Sqlite);
    let down = |target| {
        plan_down_with(
            &set,
            &applied,
            Dialect::Sqlite,
            target,
            UnknownVersions::Ignore,
        )
    };
    for target in [Target::Empty, Target::Version(v(3)), Target::Version(v(1))] {
        let err = down(target).expect_err("crosses unknown versions");
        assert!(
            matches!(&err, Error::RevertUnknown { versions, latest_known: Some(known) }
                if *versions == [v(4), v(5)] && *known == v(3)),
            "{target:?}: {err}"
        );
        let message = err.to_string();
        assert!(
            message.contains("(4, 5; they go up to 3)") && message.contains("no down scripts"),
            "{message}"
        );
    }
    // Keeping version 4 would still undo 5 (what `redo` of the newest version asks for).
    let err = down(Target::Version(v(4))).expect_err("crosses 5");
    assert!(
        matches!(&err, Error::RevertUnknown { versions, .. } if *versions == [v(5)]),
        "{err}"
    );
    assert!(err.to_string().contains("this run has (5; "), "{err}");
    // Keeping them all reverts nothing, but a target the binary lacks is still a mistake.
    let err = down(Target::Version(v(5))).expect_err("unknown target");
    assert!(matches!(err, Error::UnknownTarget { .. }), "{err}");
    let plan = down(Target::Latest).expect("nothing to revert");
    assert!(plan.is_empty());
    assert_eq!(plan.unknown_versions, [v(4), v(5)]);
    // Refusing keeps naming the first unknown version.
    let err = plan_down(&set, &applied, Dialect::Sqlite, Target::Empty).expect_err("refused");
    assert!(
        matches!(err, Error::UnknownVersion { version, .. } if version == v(4)),
        "{err}"
    );
}

#[test]
fn ignoring_changes_nothing_without_unknown_versions() {
    let (_dir, set) = three();
    let applied = vec![row(&set, 1, Dialect::Sqlite)];
    for unknown in [UnknownVersions::Refuse, UnknownVersions::Ignore] {
        let plan = up_under(&set, &applied, Target::Latest, OutOfOrder::Reject, unknown);
        assert_eq!(plan.expect("plan"), [2, 3]);
        let down = plan_down_with(&set, &applied, Dialect::Sqlite, Target::Empty, unknown);
        let down = down.expect("plan down");
        assert_eq!(versions(&down), [(1, Direction::Down)]);
        assert!(down.unknown_versions.is_empty());
    }
}
