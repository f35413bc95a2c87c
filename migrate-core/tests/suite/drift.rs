//! Schema records on every backend: long object names described in full, and drift findings
//! that are true and actionable (resume, baseline then revert, `up` on a drifted schema,
//! `repair`, an edited down script).

use migrate_core::driver::Driver;
use migrate_core::history::HistoryTable;
use migrate_core::schema::{describe, Drift, ObjectKind, SchemaCheck, SchemaDiff};
use migrate_core::status::{ChecksumState, VersionStatus};
use migrate_core::{Error, Resume, Target};

use super::{
    apply_by_hand, drift_of, every_version, fingerprinted, journaled_failure, log_actions,
    migrator, user_tables, v, versions, Connect, Ctx, Tree, BASIC, FIVE,
};

/// A table whose qualified object names are longer than PostgreSQL's 63-byte `name` type.
const LONG_TABLE: &str = "a_table_with_a_rather_long_name_for_testing";
const LONG_COLUMN_ONE: &str = "a_column_with_a_rather_long_name_number_one";
const LONG_COLUMN_TWO: &str = "a_column_with_a_rather_long_name_number_two";
const LONG_CHECK_ONE: &str = "a_table_with_a_rather_long_name_for_testing_id_check_one";
const LONG_CHECK_TWO: &str = "a_table_with_a_rather_long_name_for_testing_id_check_two";
const LONG_INDEX_ONE: &str = "a_rather_long_index_name_for_testing_number_one";
const LONG_INDEX_TWO: &str = "a_rather_long_index_name_for_testing_number_two";
const LONG_TRIGGER_ONE: &str = "a_rather_long_trigger_name_for_testing_number_one";
const LONG_TRIGGER_TWO: &str = "a_rather_long_trigger_name_for_testing_number_two";

/// One version creating [`LONG_TABLE`] with two columns, two CHECKs, two indexes and two
/// triggers, each pair differing only after the 63rd byte of `table.object`.
fn long_names_tree() -> Tree {
    let (t, c1, c2) = (LONG_TABLE, LONG_COLUMN_ONE, LONG_COLUMN_TWO);
    let table = format!(
        "CREATE TABLE {t} (\n  {c1} INTEGER NOT NULL,\n  {c2} INTEGER NOT NULL,\n  \
         CONSTRAINT {LONG_CHECK_ONE} CHECK ({c1} > 0),\n  \
         CONSTRAINT {LONG_CHECK_TWO} CHECK ({c2} > 0)\n);\n\
         CREATE INDEX {LONG_INDEX_ONE} ON {t} ({c1});\n\
         CREATE INDEX {LONG_INDEX_TWO} ON {t} ({c2});\n"
    );
    let mysql = format!(
        "{table}CREATE TRIGGER {LONG_TRIGGER_ONE} BEFORE INSERT ON {t} FOR EACH ROW SET NEW.{c1} = NEW.{c1};\n\
         CREATE TRIGGER {LONG_TRIGGER_TWO} BEFORE UPDATE ON {t} FOR EACH ROW SET NEW.{c2} = NEW.{c2};\n"
    );
    let postgres = format!(
        "{table}CREATE FUNCTION long_names_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n\
         CREATE TRIGGER {LONG_TRIGGER_ONE} BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION long_names_noop();\n\
         CREATE TRIGGER {LONG_TRIGGER_TWO} BEFORE UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION long_names_noop();\n"
    );
    let sqlite = format!(
        "{table}CREATE TRIGGER {LONG_TRIGGER_ONE} BEFORE INSERT ON {t} BEGIN SELECT 1; END;\n\
         CREATE TRIGGER {LONG_TRIGGER_TWO} BEFORE UPDATE ON {t} BEGIN SELECT 1; END;\n"
    );
    let tree = Tree::new(&[
        ("V1__long/up.mysql.sql", &mysql),
        ("V1__long/up.postgres.sql", &postgres),
        ("V1__long/up.sqlite.sql", &sqlite),
        ("V1__long/down.sql", &format!("DROP TABLE {t};\n")),
    ]);
    tree.write(
        "V1__long/down.postgres.sql",
        &format!("DROP TABLE {t};\nDROP FUNCTION long_names_noop();\n"),
    );
    tree
}

pub async fn long_object_names_are_recorded_in_full<C: Connect>(ctx: &Ctx<C>) {
    let tree = long_names_tree();
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    m.status(&mut d).await.expect("status");
    m.validate(&mut d).await.expect("validate");
    assert!(
        matches!(
            m.check_schema(&mut d).await.expect("check"),
            SchemaCheck::Matches { .. }
        ),
        "the recorded schema is the live one"
    );
    let description = describe(&mut d, &HistoryTable::default())
        .await
        .expect("describe");
    let t = LONG_TABLE;
    let mut expected = vec![
        (ObjectKind::Table, t.to_owned()),
        (ObjectKind::Column, format!("{t}.{LONG_COLUMN_ONE}")),
        (ObjectKind::Column, format!("{t}.{LONG_COLUMN_TWO}")),
        (ObjectKind::Index, format!("{t}.{LONG_INDEX_ONE}")),
        (ObjectKind::Index, format!("{t}.{LONG_INDEX_TWO}")),
        (ObjectKind::Trigger, format!("{t}.{LONG_TRIGGER_ONE}")),
        (ObjectKind::Trigger, format!("{t}.{LONG_TRIGGER_TWO}")),
    ];
    if C::BACKEND != migrate_core::testing::Backend::Sqlite {
        // SQLite keeps CHECK constraints in the table's text, not as objects of their own.
        expected.push((ObjectKind::Constraint, format!("{t}.{LONG_CHECK_ONE}")));
        expected.push((ObjectKind::Constraint, format!("{t}.{LONG_CHECK_TWO}")));
    }
    for (kind, name) in expected {
        assert!(
            description.get(kind, &name).is_some(),
            "{kind} {name} is described in full:\n{description}"
        );
    }
    m.down(&mut d, Target::Empty).await.expect("down");
}

pub async fn edited_down_script_is_refused_until_accepted<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let mut d = ctx.driver().await;
    migrator(&set).up(&mut d, Target::Latest).await.expect("up");
    // The down script of V3 edited after it was applied.
    tree.write(
        "V3__tags/down.sql",
        "ALTER TABLE users DROP COLUMN email;\nDROP TABLE tags;\nDROP TABLE posts;\n",
    );
    let edited = tree.set();
    let m = migrator(&edited);
    let is_refusal = |e: &Error| {
        matches!(e, Error::DownChecksumMismatch { version, .. } if *version == v(3))
            && e.to_string().contains("version 3")
            && e.to_string().contains("V3__tags/down.sql")
    };
    let refused = m.validate(&mut d).await.expect_err("validate refuses");
    assert!(is_refusal(&refused), "{refused}");
    let refused = m
        .down(&mut d, Target::Version(v(2)))
        .await
        .expect_err("the revert refuses");
    assert!(is_refusal(&refused), "{refused}");
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2, 3],
        "nothing was reverted"
    );
    assert!(user_tables(&mut d).await.contains(&"tags".to_owned()));
    let line = |lines: Vec<VersionStatus>| {
        lines
            .into_iter()
            .find(|l| l.version == v(3))
            .expect("V3")
            .checksum
    };
    assert_eq!(
        line(m.status(&mut d).await.expect("status")),
        ChecksumState::DownChanged
    );

    m.accept_checksum(&mut d, v(3)).await.expect("accept");
    assert_eq!(
        line(m.status(&mut d).await.expect("status")),
        ChecksumState::Ok
    );
    m.validate(&mut d).await.expect("accepted");
    m.down(&mut d, Target::Version(v(2)))
        .await
        .expect("the edited script reverts");
    assert_eq!(user_tables(&mut d).await, ["users"]);
}

/// The diff of the drift a command reported, which must exist.
fn reported_diff(drift: Option<&Drift>) -> &SchemaDiff {
    drift
        .expect("drift reported")
        .diff
        .as_ref()
        .expect("the history rebuilds the recorded schema")
}

fn added(diff: &SchemaDiff, kind: ObjectKind, name: &str) -> bool {
    diff.added.iter().any(|o| o.kind == kind && o.name == name)
}

pub async fn resume_does_not_report_its_own_changes_as_drift<C: Connect>(ctx: &Ctx<C>) {
    let mut d = ctx.driver().await;
    let tree = journaled_failure(d.dialect()).expect("generated for journaling backends only");
    let set = tree.set();
    let m = migrator(&set);
    m.up(&mut d, Target::Latest).await.expect_err("fails");
    // Statement 1 (CREATE TABLE first_part) ran; the cause of statement 3 is fixed by hand.
    d.execute("CREATE TABLE missing_table (id INTEGER)")
        .await
        .expect("fix");
    let report = m.resume(&mut d, Resume::AfterFix).await.expect("resume");
    assert!(
        report.drift.is_none(),
        "the version's own changes are not drift: {}",
        report
            .drift
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    );
    assert!(matches!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::Matches { .. }
    ));
}

pub async fn baseline_then_revert_reports_no_false_drift<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    apply_by_hand(&set, &mut d, 3).await;
    m.baseline(&mut d, v(3)).await.expect("baseline");
    let report = m.down(&mut d, Target::Version(v(2))).await.expect("down");
    assert_eq!(report.steps.len(), 1);
    // V2 has no fingerprint: the revert compared before it, with V3's, and recorded V2's.
    assert_eq!(report.schema_recorded, Some(v(2)));
    assert!(
        report.drift.is_none(),
        "V2's schema has no fingerprint to compare with: {}",
        report
            .drift
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    );
    let report = m.up(&mut d, Target::Latest).await.expect("up");
    assert!(report.drift.is_none());
    assert!(matches!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::Matches { .. }
    ));
}

pub async fn drift_before_up_stays_reported_until_accepted<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Version(v(2))).await.expect("up to 2");
    d.execute("ALTER TABLE posts ADD COLUMN hotfix INTEGER NULL")
        .await
        .expect("by hand");
    let report = m.up(&mut d, Target::Latest).await.expect("up");
    assert_eq!(report.steps.len(), 1);
    let diff = reported_diff(report.drift.as_ref());
    assert!(added(diff, ObjectKind::Column, "posts.hotfix"), "{diff}");
    assert_eq!(
        diff.added.len() + diff.removed.len() + diff.changed.len(),
        1,
        "{diff}"
    );

    // Still reported after the `up`, with V3's own changes not among it.
    let drift = match m.check_schema(&mut d).await.expect("check") {
        SchemaCheck::Drifted(drift) => drift,
        other => panic!("the drift is still reported, got {other:?}"),
    };
    assert_eq!(drift.version, v(3));
    let diff = reported_diff(Some(&drift));
    assert!(added(diff, ObjectKind::Column, "posts.hotfix"), "{diff}");
    assert_eq!(
        diff.added.len() + diff.removed.len() + diff.changed.len(),
        1,
        "{diff}"
    );
    let refused = m.validate(&mut d).await.expect_err("validate reports it");
    assert!(matches!(refused, Error::SchemaDrift { .. }), "{refused}");
    assert!(refused.to_string().contains("accept-schema"), "{refused}");

    m.accept_schema(&mut d).await.expect("accept");
    assert!(matches!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::Matches { version, .. } if version == v(3)
    ));
    m.validate(&mut d).await.expect("accepted");
    assert_eq!(
        log_actions(&m, &mut d).await.last().map(String::as_str),
        Some("accept-schema:3:ok")
    );
    // The accepted column is not V3's to revert: reverting to V2, whose recorded schema does
    // not have it, reports it again.
    let report = m.down(&mut d, Target::Version(v(2))).await.expect("down");
    let diff = reported_diff(report.drift.as_ref());
    assert!(added(diff, ObjectKind::Column, "posts.hotfix"), "{diff}");
    assert_eq!(
        diff.added.len() + diff.removed.len() + diff.changed.len(),
        1,
        "{diff}"
    );
}

/// With fingerprints per run, V1 (applied in the same run as the failed V2, which stopped after
/// a statement that created a table) has none, so `repair` has nothing to compare with: see
/// `failed_run_records_the_schema_after_its_last_applied_version`.
pub async fn repair_reports_what_was_not_undone<C: Connect>(ctx: &Ctx<C>) {
    let mut d = ctx.driver().await;
    let tree = journaled_failure(d.dialect()).expect("generated for journaling backends only");
    let set = tree.set();
    let m = every_version(&set);
    m.up(&mut d, Target::Latest).await.expect_err("fails");
    // Only the data statement is undone; the table of statement 1 is left.
    d.execute("DELETE FROM base").await.expect("clean up");
    let report = m.repair(&mut d).await.expect("repair");
    let diff = reported_diff(report.drift.as_ref());
    assert!(added(diff, ObjectKind::Table, "first_part"), "{diff}");
    assert!(matches!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::Drifted(_)
    ));
    // Finished by hand: nothing left to report.
    d.execute("DROP TABLE first_part").await.expect("clean up");
    assert!(matches!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::Matches { version, .. } if version == v(1)
    ));
}

pub async fn accept_schema_works_with_sparse_fingerprints<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(FIVE);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    d.execute("ALTER TABLE posts ADD COLUMN hotfix INTEGER NULL")
        .await
        .expect("by hand");
    let (version, size, diff) = drift_of(m.check_schema(&mut d).await.expect("check"));
    assert_eq!((version, size), (v(5), 1), "{diff}");

    m.accept_schema(&mut d).await.expect("accept");
    assert!(matches!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::Matches { version, .. } if version == v(5)
    ));
    m.validate(&mut d).await.expect("accepted");
    assert_eq!(
        fingerprinted(&m.history(&mut d).await.expect("history")),
        [5]
    );
    assert_eq!(
        log_actions(&m, &mut d).await.last().map(String::as_str),
        Some("accept-schema:5:ok")
    );
    // The accepted change, kept by the down scripts, is what a revert to V4 finds there.
    let report = m.down(&mut d, Target::Version(v(4))).await.expect("down");
    assert_eq!((report.schema_recorded, report.drift), (Some(v(4)), None));
    assert!(matches!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::Matches { version, .. } if version == v(4)
    ));
    // The history still rebuilds each recorded schema: a change by hand now has its diff.
    d.execute(
        "DROP INDEX posts_user_idx"
            .replace(
                "idx",
                if d.dialect() == migrate_core::Dialect::MySql {
                    "idx ON posts"
                } else {
                    "idx"
                },
            )
            .as_str(),
    )
    .await
    .expect("by hand");
    let (version, size, diff) = drift_of(m.check_schema(&mut d).await.expect("check"));
    assert_eq!((version, size), (v(4), 1), "{diff}");
}
