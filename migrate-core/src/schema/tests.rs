use super::*;

fn object(kind: ObjectKind, name: &str, definition: &str) -> SchemaObject {
    SchemaObject {
        kind,
        name: name.to_owned(),
        definition: definition.to_owned(),
    }
}

fn v1() -> SchemaDescription {
    SchemaDescription::from_objects([
        object(ObjectKind::Table, "apps", "InnoDB utf8mb4_general_ci"),
        object(
            ObjectKind::Column,
            "apps.id",
            "1 bigint NOT NULL auto_increment",
        ),
        object(ObjectKind::Column, "apps.name", "2 varchar(255) NOT NULL"),
        object(ObjectKind::Index, "apps.PRIMARY", "UNIQUE BTREE (id)"),
    ])
}

#[test]
fn fingerprint_does_not_depend_on_the_order_objects_arrive_in() {
    let mut reversed: Vec<SchemaObject> = v1().objects().collect();
    reversed.reverse();
    assert_eq!(
        SchemaDescription::from_objects(reversed).fingerprint(),
        v1().fingerprint()
    );
}

#[test]
fn fingerprint_changes_with_any_definition() {
    let mut changed = v1();
    changed.apply(&SchemaChange {
        removed: vec![],
        set: vec![object(
            ObjectKind::Column,
            "apps.name",
            "2 varchar(256) NOT NULL",
        )],
    });
    assert_ne!(changed.fingerprint(), v1().fingerprint());
}

#[test]
fn canonical_text_cannot_be_confused_by_separators_in_names() {
    let a = SchemaDescription::from_objects([object(ObjectKind::View, "a\tb", "c")]);
    let b = SchemaDescription::from_objects([object(ObjectKind::View, "a", "b\tc")]);
    assert_ne!(a.canonical_text(), b.canonical_text());
    assert_ne!(a.fingerprint(), b.fingerprint());
    assert_eq!(a.canonical_text(), "view\ta\\tb\tc\n");
}

#[test]
fn fingerprint_is_written_like_a_checksum_and_parses_back() {
    let fingerprint = SchemaDescription::default().fingerprint();
    let text = fingerprint.to_string();
    // SHA-256 of the empty string.
    assert_eq!(
        text,
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(text.parse::<Fingerprint>(), Ok(fingerprint));
    assert!("md5:00".parse::<Fingerprint>().is_err());
}

#[test]
fn diff_names_added_removed_and_changed_objects() {
    let mut after = v1();
    after.apply(&SchemaChange {
        removed: vec![(ObjectKind::Index, "apps.PRIMARY".to_owned())],
        set: vec![
            object(ObjectKind::Column, "apps.extra", "3 int NULL"),
            object(ObjectKind::Column, "apps.name", "2 varchar(300) NOT NULL"),
        ],
    });
    let diff = v1().diff(&after);
    assert_eq!(
        diff.added,
        vec![object(ObjectKind::Column, "apps.extra", "3 int NULL")]
    );
    assert_eq!(
        diff.removed,
        vec![object(
            ObjectKind::Index,
            "apps.PRIMARY",
            "UNIQUE BTREE (id)"
        )]
    );
    assert_eq!(diff.changed.len(), 1);
    assert_eq!(diff.changed[0].before, "2 varchar(255) NOT NULL");
    let text = diff.to_string();
    assert!(text.contains("+ column apps.extra: 3 int NULL"), "{text}");
    assert!(
        text.contains("- index apps.PRIMARY: UNIQUE BTREE (id)"),
        "{text}"
    );
    assert!(
        text.contains("~ column apps.name: 2 varchar(255) NOT NULL -> 2 varchar(300) NOT NULL"),
        "{text}"
    );
    assert!(v1().diff(&v1()).is_empty());
}

#[test]
fn a_diff_turned_into_a_change_rebuilds_the_second_description() {
    let mut after = v1();
    after.apply(&SchemaChange {
        removed: vec![(ObjectKind::Column, "apps.id".to_owned())],
        set: vec![
            object(
                ObjectKind::Trigger,
                "t",
                "BEFORE INSERT ON apps\nBEGIN\n\tSET x = 1;\nEND",
            ),
            object(ObjectKind::Column, "apps.name", "2 text NULL"),
        ],
    });
    let change = v1().diff(&after).to_change();
    let mut rebuilt = v1();
    rebuilt.apply(&change);
    assert_eq!(rebuilt, after);
}

#[test]
fn changes_round_trip_through_their_text_form() {
    let change = SchemaChange {
        removed: vec![(ObjectKind::Index, "a.b\\c".to_owned())],
        set: vec![
            object(
                ObjectKind::Routine,
                "f(int)",
                "BEGIN\r\n\tRETURN 'a\\tb';\nEND",
            ),
            object(ObjectKind::Column, "t.c", ""),
        ],
    };
    let text = change.to_string();
    assert_eq!(text.lines().count(), 3, "{text:?}");
    assert_eq!(text.parse::<SchemaChange>(), Ok(change));
    assert_eq!("".parse::<SchemaChange>(), Ok(SchemaChange::default()));
}

#[test]
fn unreadable_changes_name_the_line() {
    for (text, line) in [
        ("+column\tt.c\tx\n*column\tt.d\n", 2),
        ("-widget\tx\n", 1),
        ("+column\tt.c\n", 1),
        ("-column\tt.c\\q\n", 1),
        ("+column\tt.c\tx\ty\n", 1),
    ] {
        match text.parse::<SchemaChange>() {
            Err(e) => assert_eq!(e.line, line, "{text:?}: {e}"),
            Ok(c) => panic!("{text:?} parsed as {c:?}"),
        }
    }
}

#[test]
fn rows_with_unknown_kinds_are_refused() {
    let row = |k: &str| vec![Some(k.to_owned()), Some("n".to_owned()), None];
    let description = SchemaDescription::from_rows(vec![row("table")]).expect("valid");
    assert_eq!(description.get(ObjectKind::Table, "n"), Some(""));
    assert!(matches!(
        SchemaDescription::from_rows(vec![row("gadget")]),
        Err(Error::SchemaQuery { .. })
    ));
}

mod checks {
    use super::*;
    use crate::history::{AppliedMigration, State};
    use crate::{Checksum, Direction, Version};

    fn v(n: u32) -> Version {
        Version::new(n).expect("positive")
    }

    fn row(n: u32, at: &str, fingerprint: Option<Fingerprint>) -> AppliedMigration {
        AppliedMigration {
            version: v(n),
            description: String::new(),
            script: format!("V{n}/up.sql"),
            checksum: Checksum::of_script("x"),
            down_checksum: None,
            state: State::Applied,
            direction: Direction::Up,
            statements_done: 1,
            statements_total: 1,
            error: None,
            applied_by: "me".into(),
            applied_at: at.into(),
            execution_ms: 1,
            fingerprint,
        }
    }

    /// Rows and changes as the runner records them for `after` each version in turn.
    fn recorded(
        states: &[(&str, SchemaDescription)],
    ) -> (Vec<AppliedMigration>, Vec<(Version, Option<SchemaChange>)>) {
        let mut expected = ExpectedSchema::default();
        let mut rows = Vec::new();
        let mut changes = Vec::new();
        for (i, (at, after)) in states.iter().enumerate() {
            let n = i as u32 + 1;
            let (fingerprint, change) = expected.applied(v(n), after.clone());
            rows.push(row(n, at, Some(fingerprint)));
            changes.push((v(n), Some(change)));
        }
        (rows, changes)
    }

    fn v2() -> SchemaDescription {
        let mut d = v1();
        d.apply(&SchemaChange {
            removed: vec![],
            set: vec![object(ObjectKind::Table, "features", "InnoDB")],
        });
        d
    }

    #[test]
    fn a_live_schema_equal_to_the_recorded_one_matches() {
        let (rows, changes) = recorded(&[("1", v1()), ("2", v2())]);
        assert_eq!(
            SchemaCheck::compare(&rows, &changes, &v2()),
            SchemaCheck::Matches {
                version: v(2),
                fingerprint: v2().fingerprint()
            }
        );
    }

    #[test]
    fn drift_carries_a_diff_from_the_rebuilt_schema() {
        let (rows, changes) = recorded(&[("1", v1()), ("2", v2())]);
        let mut live = v2();
        live.apply(&SchemaChange {
            removed: vec![(ObjectKind::Table, "features".into())],
            set: vec![object(ObjectKind::Column, "apps.hotfix", "3 int NULL")],
        });
        let SchemaCheck::Drifted(drift) = SchemaCheck::compare(&rows, &changes, &live) else {
            panic!("expected drift");
        };
        assert_eq!(drift.version, v(2));
        assert_eq!(drift.recorded, v2().fingerprint());
        assert_eq!(drift.live, live.fingerprint());
        let diff = drift.diff.expect("rebuilt");
        assert_eq!(diff.added.len(), 1);
        assert_eq!(diff.removed[0].name, "features");
        let text = SchemaCheck::Drifted(Drift {
            diff: Some(diff),
            ..drift
        })
        .to_string();
        assert!(
            text.contains("DRIFT") && text.contains("+ column apps.hotfix"),
            "{text}"
        );
    }

    #[test]
    fn drift_without_stored_changes_compares_fingerprints_only() {
        let (rows, _) = recorded(&[("1", v1()), ("2", v2())]);
        let SchemaCheck::Drifted(drift) = SchemaCheck::compare(&rows, &[], &v1()) else {
            panic!("expected drift");
        };
        assert_eq!(drift.diff, None);
        assert!(drift.to_string().contains("only the fingerprint"));
    }

    #[test]
    fn the_last_applied_row_is_the_newest_by_time_not_by_version() {
        // Version 2 ran after version 3 (out of order allowed).
        let mut rows = vec![
            row(1, "2026-01-01 00:00:01", Some(v1().fingerprint())),
            row(2, "2026-01-01 00:00:09", Some(v2().fingerprint())),
            row(3, "2026-01-01 00:00:05", Some(v1().fingerprint())),
        ];
        assert!(matches!(
            SchemaCheck::compare(&rows, &[], &v2()),
            SchemaCheck::Matches { version, .. } if version == v(2)
        ));
        rows[1].applied_at = "2026-01-01 00:00:02".into();
        assert!(matches!(
            SchemaCheck::compare(&rows, &[], &v2()),
            SchemaCheck::Drifted(Drift { version, .. }) if version == v(3)
        ));
    }

    #[test]
    fn unrecorded_interrupted_and_empty_histories_are_not_compared() {
        assert_eq!(
            SchemaCheck::compare(&[], &[], &v1()),
            SchemaCheck::NothingApplied
        );
        let rows = vec![row(1, "1", None)];
        assert_eq!(
            SchemaCheck::compare(&rows, &[], &v1()),
            SchemaCheck::NotRecorded { version: v(1) }
        );
        let mut failed = row(2, "2", None);
        failed.state = State::Failed;
        let rows = vec![row(1, "1", Some(v1().fingerprint())), failed];
        assert_eq!(
            SchemaCheck::compare(&rows, &[], &v2()),
            SchemaCheck::Interrupted { version: v(2) }
        );
    }

    #[test]
    fn expected_schema_forgets_a_reverted_version() {
        let mut expected = ExpectedSchema::default();
        expected.applied(v(1), v1());
        expected.applied(v(2), v2());
        assert_eq!(expected.description(), &v2());
        expected.reverted(v(2));
        assert_eq!(expected.description(), &v1());
        // A change made by hand before version 2 is folded into its recorded change.
        let mut with_v2 = v2();
        with_v2.apply(&SchemaChange {
            removed: vec![],
            set: vec![object(ObjectKind::Index, "apps.hotfix", "BTREE (name)")],
        });
        let (fingerprint, change) = expected.applied(v(2), with_v2.clone());
        assert_eq!(
            change.set.len(),
            2,
            "version 2's table and the index made by hand"
        );
        assert_eq!(fingerprint, with_v2.fingerprint());
        assert_eq!(expected.description(), &with_v2);
    }
}
