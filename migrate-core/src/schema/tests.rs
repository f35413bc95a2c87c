use sha2::{Digest, Sha256};

use super::*;
use crate::Error;

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
            let (fingerprint, change) = expected.applied(v(n), Found::Whole(after.clone()));
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
    fn a_run_recorded_at_its_last_version_rebuilds_and_matches() {
        // Per run: version 1 alone, then versions 2 and 3 in one run (2 unrecorded).
        let mut expected = ExpectedSchema::default();
        let (first, change_1) = expected.applied(v(1), Found::Whole(v1()));
        expected.observed(v1());
        expected.unrecorded(v(2));
        assert_eq!(
            expected.live(),
            None,
            "version 2's statements may change it"
        );
        assert_eq!(
            expected.description(),
            &v1(),
            "still the schema before the run"
        );
        let mut v3 = v2();
        v3.apply(&SchemaChange {
            removed: vec![],
            set: vec![object(ObjectKind::Column, "features.name", "1 text")],
        });
        let (last, change_3) = expected.applied(v(3), Found::Whole(v3.clone()));
        assert_eq!(last, v3.fingerprint());
        let rows = vec![
            row(1, "1", Some(first)),
            row(2, "2", None),
            row(3, "2", Some(last)),
        ];
        let changes = vec![(v(1), Some(change_1)), (v(2), None), (v(3), Some(change_3))];
        assert_eq!(
            SchemaCheck::compare(&rows, &changes, &v3),
            SchemaCheck::Matches {
                version: v(3),
                fingerprint: last
            }
        );
        // A change by hand has a diff: the stored changes rebuild version 3's schema.
        let SchemaCheck::Drifted(drift) = SchemaCheck::compare(&rows, &changes, &v2()) else {
            panic!("expected drift");
        };
        let diff = drift.diff.expect("rebuilt from the sparse changes");
        assert_eq!(diff.removed[0].name, "features.name");
    }

    #[test]
    fn a_newest_row_without_a_fingerprint_is_not_compared_with_an_older_one() {
        let rows = vec![row(1, "1", Some(v1().fingerprint())), row(2, "2", None)];
        assert_eq!(
            SchemaCheck::compare(&rows, &[], &v2()),
            SchemaCheck::NotRecorded { version: v(2) }
        );
    }

    #[test]
    fn expected_schema_forgets_a_reverted_version() {
        let mut expected = ExpectedSchema::default();
        expected.applied(v(1), Found::Whole(v1()));
        expected.applied(v(2), Found::Whole(v2()));
        assert_eq!(expected.description(), &v2());
        expected.reverted(v(2));
        assert_eq!(expected.description(), &v1());
        // A change made by hand before version 2 is folded into its recorded change.
        let mut with_v2 = v2();
        with_v2.apply(&SchemaChange {
            removed: vec![],
            set: vec![object(ObjectKind::Index, "apps.hotfix", "BTREE (name)")],
        });
        let (fingerprint, change) = expected.applied(v(2), Found::Whole(with_v2.clone()));
        assert_eq!(
            change.set.len(),
            2,
            "version 2's table and the index made by hand"
        );
        assert_eq!(fingerprint, with_v2.fingerprint());
        assert_eq!(expected.description(), &with_v2);
    }

    fn scope(dialect: crate::Dialect, names: &[&str]) -> Scope {
        Scope {
            names: names.iter().map(|n| n.to_string()).collect(),
            dialect,
            triggers: true,
        }
    }

    /// What `applied` records for a scoped description, and what it records for the same
    /// schema described whole, from the same state: versions 1 and 2 applied (`second` after
    /// version 2), then `observed` described.
    fn scoped_and_whole(
        second: SchemaDescription,
        observed: SchemaDescription,
        scope: Scope,
        scoped: SchemaDescription,
    ) -> [(Fingerprint, SchemaChange, SchemaDescription); 2] {
        let run = |found: Found| {
            let mut expected = ExpectedSchema::default();
            expected.applied(v(1), Found::Whole(v1()));
            expected.applied(v(2), Found::Whole(second.clone()));
            expected.observed(observed.clone());
            let (fingerprint, change) = expected.applied(v(3), found);
            let after = expected.description().clone();
            assert_eq!(expected.live(), Some(&after));
            (fingerprint, change, after)
        };
        let whole = observed.clone().with_scope(&scope, scoped.clone());
        [run(Found::Scoped(scope, scoped)), run(Found::Whole(whole))]
    }

    #[test]
    fn a_scoped_description_is_recorded_as_the_whole_one_would_be() {
        // Within the scope `apps`: a column changed, one removed, one added, an index kept; a
        // table outside it (`features`) is left alone.
        let scoped = SchemaDescription::from_objects([
            object(ObjectKind::Table, "apps", "InnoDB utf8mb4_general_ci"),
            object(ObjectKind::Column, "apps.id", "1 bigint NOT NULL"),
            object(ObjectKind::Column, "apps.slug", "2 text NULL"),
            object(ObjectKind::Index, "apps.PRIMARY", "UNIQUE BTREE (id)"),
        ]);
        let [scoped_run, whole_run] =
            scoped_and_whole(v2(), v2(), scope(crate::Dialect::MySql, &["apps"]), scoped);
        assert_eq!(scoped_run, whole_run);
        let (_, change, after) = scoped_run;
        assert_eq!(
            change.removed,
            [(ObjectKind::Column, "apps.name".to_owned())]
        );
        let set: Vec<&str> = change.set.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(set, ["apps.slug", "apps.id"], "added, then changed");
        assert_eq!(after.get(ObjectKind::Table, "features"), Some("InnoDB"));
    }

    #[test]
    fn a_scoped_description_matches_names_as_the_server_does() {
        // SQLite: the scope is in lower case, the schema keeps the name as written; a table
        // dropped and a new one made.
        let mut second = v2();
        second.apply(&SchemaChange {
            removed: vec![],
            set: vec![
                object(ObjectKind::Table, "Kids", "ROWID"),
                object(ObjectKind::Column, "Kids.id", "#1 INTEGER NULL"),
            ],
        });
        let scoped = SchemaDescription::from_objects([
            object(ObjectKind::Table, "toys", "ROWID"),
            object(ObjectKind::Column, "toys.id", "#1 INTEGER NULL"),
        ]);
        let [scoped_run, whole_run] = scoped_and_whole(
            second.clone(),
            second,
            scope(crate::Dialect::Sqlite, &["kids", "toys"]),
            scoped,
        );
        assert_eq!(scoped_run, whole_run);
        assert_eq!(scoped_run.1.removed.len(), 2, "{:?}", scoped_run.1);
        assert_eq!(scoped_run.2.get(ObjectKind::Table, "Kids"), None);
    }

    #[test]
    fn a_scoped_description_after_drift_records_the_drift_too() {
        // The live schema lost `features` by hand before version 3, whose scope is `apps`:
        // the change recorded for version 3 removes it, as a whole description's would.
        let [scoped_run, whole_run] =
            scoped_and_whole(v2(), v1(), scope(crate::Dialect::MySql, &["apps"]), v1());
        assert_eq!(scoped_run, whole_run);
        assert_eq!(
            scoped_run.1.removed,
            [(ObjectKind::Table, "features".to_owned())]
        );
    }

    #[test]
    fn a_version_that_changes_nothing_records_the_live_schema() {
        for observed in [v2(), v1()] {
            let mut expected = ExpectedSchema::default();
            expected.applied(v(1), Found::Whole(v1()));
            expected.applied(v(2), Found::Whole(v2()));
            expected.observed(observed.clone());
            let (fingerprint, change) = expected.applied(v(3), Found::Known);
            assert_eq!(fingerprint, observed.fingerprint());
            assert_eq!(change, v2().diff(&observed).to_change());
            assert_eq!(expected.description(), &observed);
        }
    }

    #[test]
    fn drift_kept_out_is_recorded_without_and_stays_live() {
        // `features` dropped by hand before version 3, which changes nothing: the drift is
        // kept out, so version 3 records version 2's schema, while the live one is known to
        // lack `features` for what comes next.
        let mut expected = ExpectedSchema::default();
        expected.applied(v(1), Found::Whole(v1()));
        expected.applied(v(2), Found::Whole(v2()));
        expected.keep_out(v2().diff(&v1()));
        expected.observed(v1());
        let (fingerprint, change) = expected.applied(v(3), Found::Known);
        assert_eq!(fingerprint, v2().fingerprint());
        assert_eq!(change, SchemaChange::default());
        assert_eq!(expected.description(), &v2());
        assert_eq!(expected.live(), Some(&v1()));
    }

    #[test]
    fn a_version_applied_again_keeps_the_live_schema() {
        // Version 2 is recorded again (a resumed migration): the expected schema is rebuilt
        // without its old change, and the live one, as last described, is still known.
        let mut expected = ExpectedSchema::default();
        expected.applied(v(1), Found::Whole(v1()));
        expected.applied(v(2), Found::Whole(v2()));
        let (fingerprint, change) = expected.applied(v(2), Found::Known);
        assert_eq!(fingerprint, v2().fingerprint());
        assert_eq!(change, v1().diff(&v2()).to_change());
        assert_eq!(expected.description(), &v2());
        assert_eq!(expected.live(), Some(&v2()));
    }

    #[test]
    fn the_fingerprint_is_the_digest_of_the_canonical_text() {
        // Several chunks of text, with every escaped character.
        let objects = (0..2000).map(|i| {
            object(
                ObjectKind::Column,
                &format!("t{i}.c\\{i}"),
                &format!("#{i} text DEFAULT 'a\tb\nc\rd' NOT NULL"),
            )
        });
        let description = SchemaDescription::from_objects(objects);
        let text = description.canonical_text();
        assert!(text.len() > 64 * 1024, "{}", text.len());
        assert!(text.contains("t7.c\\\\7\t#7 text DEFAULT 'a\\tb\\nc\\rd' NOT NULL\n"));
        let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        assert_eq!(description.fingerprint().digest(), &digest);
    }
}
