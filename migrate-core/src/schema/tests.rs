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
