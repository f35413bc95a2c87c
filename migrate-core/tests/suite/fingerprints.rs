//! Schema fingerprints: recorded (per run, or after every version), reported as drift, off,
//! and described only when needed.

use migrate_core::schema::Fingerprint;

use super::*;

/// A runner that records a fingerprint after every applied version.
pub fn every_version(set: &MigrationSet) -> Migrator<'_> {
    Migrator::with_config(set, config().fingerprints(Fingerprints::EveryVersion))
}

pub async fn fingerprint_is_recorded_and_manual_changes_are_reported_as_drift<C: Connect>(
    ctx: &Ctx<C>,
) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = every_version(&set);
    let mut d = ctx.driver().await;
    let fingerprints = each_version_records_its_own_fingerprint(&m, &mut d).await;
    change_by_hand_is_reported_as_drift(&m, &mut d, fingerprints[2]).await;
    change_undone_by_hand_matches_again(&m, &mut d).await;

    // After a revert the comparison is with the version reverted to.
    m.down(&mut d, Target::Version(v(2))).await.expect("down");
    match m.check_schema(&mut d).await.expect("check") {
        SchemaCheck::Matches {
            version,
            fingerprint,
        } => assert_eq!((version, fingerprint), (v(2), fingerprints[1])),
        other => panic!("expected a match at version 2, got {other:?}"),
    }
    // And the same fingerprint comes back when the version is applied again.
    m.up(&mut d, Target::Latest).await.expect("up again");
    let again = m.history(&mut d).await.expect("history");
    assert_eq!(again[2].fingerprint, Some(fingerprints[2]));
}

/// Applies [`BASIC`] on an empty database: each of its three versions records a fingerprint
/// different from the one before, and the schema matches the last. Returns the three.
async fn each_version_records_its_own_fingerprint<D: Driver>(
    m: &Migrator<'_>,
    d: &mut D,
) -> Vec<Fingerprint> {
    assert_eq!(
        m.check_schema(d).await.expect("check"),
        SchemaCheck::NothingApplied
    );
    m.up(d, Target::Latest).await.expect("up");
    let history = m.history(d).await.expect("history");
    let fingerprints: Vec<_> = history
        .iter()
        .map(|r| r.fingerprint.expect("recorded for every applied version"))
        .collect();
    assert!(
        fingerprints[0] != fingerprints[1] && fingerprints[1] != fingerprints[2],
        "each version changes the schema: {fingerprints:?}"
    );
    match m.check_schema(d).await.expect("check") {
        SchemaCheck::Matches {
            version,
            fingerprint,
        } => assert_eq!((version, fingerprint), (v(3), fingerprints[2])),
        other => panic!("expected a match, got {other:?}"),
    }
    m.validate(d).await.expect("no drift yet");
    fingerprints
}

/// A column and an index added by hand, outside the migrations, are drift from V3's
/// `recorded` fingerprint, with a diff naming both; `validate` refuses it.
async fn change_by_hand_is_reported_as_drift<D: Driver>(
    m: &Migrator<'_>,
    d: &mut D,
    recorded: Fingerprint,
) {
    d.execute("ALTER TABLE posts ADD COLUMN hotfix INTEGER NULL")
        .await
        .expect("alter");
    d.execute("CREATE INDEX posts_hotfix_idx ON posts (hotfix)")
        .await
        .expect("index");
    let drift = match m.check_schema(d).await.expect("check") {
        SchemaCheck::Drifted(drift) => drift,
        other => panic!("expected drift, got {other:?}"),
    };
    assert_eq!(drift.version, v(3));
    assert_eq!(drift.recorded, recorded);
    let diff = drift
        .diff
        .as_ref()
        .expect("the history rebuilds the recorded schema");
    assert!(
        diff.added
            .iter()
            .any(|o| o.kind == ObjectKind::Column && o.name == "posts.hotfix"),
        "{diff}"
    );
    assert!(
        diff.added
            .iter()
            .any(|o| o.kind == ObjectKind::Index && o.name.contains("posts_hotfix_idx")),
        "{diff}"
    );
    assert!(diff.removed.is_empty(), "{diff}");
    let refused = m.validate(d).await.expect_err("validate reports drift");
    let message = refused.to_string();
    assert!(matches!(refused, Error::SchemaDrift { .. }), "{message}");
    assert!(
        message.contains("version 3") && message.contains("+ column posts.hotfix"),
        "{message}"
    );
}

/// The change of [`change_by_hand_is_reported_as_drift`] undone by hand: the schema matches
/// again.
async fn change_undone_by_hand_matches_again<D: Driver>(m: &Migrator<'_>, d: &mut D) {
    let drop_index = match d.dialect() {
        Dialect::MySql => "DROP INDEX posts_hotfix_idx ON posts",
        _ => "DROP INDEX posts_hotfix_idx",
    };
    d.execute(drop_index).await.expect("drop index");
    d.execute("ALTER TABLE posts DROP COLUMN hotfix")
        .await
        .expect("drop column");
    assert!(matches!(
        m.check_schema(d).await.expect("check"),
        SchemaCheck::Matches { .. }
    ));
}

pub async fn baseline_records_the_schema_it_adopts<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    apply_by_hand(&set, &mut d, 2).await;
    m.baseline(&mut d, v(2)).await.expect("baseline");
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(history[0].fingerprint, None, "below the baseline's top");
    assert!(history[1].fingerprint.is_some());
    assert!(matches!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::Matches { version, .. } if version == v(2)
    ));
    d.execute(
        "DROP INDEX posts_user_idx"
            .replace(
                "idx",
                if d.dialect() == Dialect::MySql {
                    "idx ON posts"
                } else {
                    "idx"
                },
            )
            .as_str(),
    )
    .await
    .expect("drop index");
    match m.check_schema(&mut d).await.expect("check") {
        SchemaCheck::Drifted(drift) => {
            let diff = drift.diff.expect("diff");
            assert!(
                diff.removed
                    .iter()
                    .any(|o| o.name.contains("posts_user_idx")),
                "{diff}"
            );
        }
        other => panic!("expected drift, got {other:?}"),
    }
}

pub async fn fingerprints_off_records_none_and_reports_not_recorded<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = Migrator::with_config(&set, config().fingerprints(Fingerprints::Off));
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    let history = m.history(&mut d).await.expect("history");
    assert!(history.iter().all(|r| r.fingerprint.is_none()));
    assert_eq!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::NotRecorded { version: v(3) }
    );
    m.down(&mut d, Target::Empty).await.expect("down");
    assert!(user_tables(&mut d).await.is_empty());
}

/// How many of `calls` (a [`Counting`] driver's) described the whole schema, and how many only
/// some tables: both are prepared queries, and only a whole description reads views.
pub fn describe_calls(calls: &[String]) -> (usize, usize) {
    let describes = calls.iter().filter(|c| c.starts_with("repeated"));
    let whole = describes.clone().filter(|c| c.contains("'view'")).count();
    (whole, describes.count() - whole)
}

/// [`data_only_version_is_not_described_again`]'s versions: V2 and V4 only change rows (V4's
/// text names `mysql`, so MySQL/MariaDB describe after it anyway), V1 and V3 change `dv`.
const DATA_ONLY: &[(&str, &str)] = &[
    (
        "V1__table/up.sql",
        "CREATE TABLE dv (id INTEGER, note VARCHAR(40));\n",
    ),
    ("V1__table/down.sql", "DROP TABLE dv;\n"),
    (
        "V2__rows/up.sql",
        "-- data only\nINSERT INTO dv (id, note) VALUES (1, 'a;b');\n\
         UPDATE dv SET note = 'c' WHERE id = 1;\n",
    ),
    ("V2__rows/down.sql", "DELETE FROM dv;\n"),
    ("V3__index/up.sql", "CREATE INDEX dv_note ON dv (note);\n"),
    ("V3__index/down.sql", "DROP INDEX dv_note;\n"),
    ("V3__index/down.mysql.sql", "DROP INDEX dv_note ON dv;\n"),
    (
        "V4__fix/up.sql",
        "DELETE FROM dv WHERE id = 2;\n\
         INSERT INTO dv (id, note) VALUES (2, 'names mysql, so described');\n",
    ),
    ("V4__fix/down.sql", "DELETE FROM dv WHERE id = 2;\n"),
];

/// A version made only of `INSERT`, `UPDATE`, `DELETE` or `REPLACE` cannot change the schema on
/// MySQL/MariaDB or SQLite (neither lets a trigger or function run DDL), so its fingerprint is
/// the one described before it, without another describe query. PostgreSQL describes it, since
/// a function called from DML may run DDL there. The fingerprints are the same either way.
pub async fn data_only_version_is_not_described_again<C: Connect>(ctx: &Ctx<C>) {
    let mut d = Counting::new(ctx.driver().await);
    let tree = Tree::new(DATA_ONLY);
    let set = tree.set();
    let m = every_version(&set);
    change_by_hand_before_a_data_only_version_stays_drift(&m, &mut d).await;

    d.hook.calls.clear();
    m.up(&mut d, Target::Latest).await.expect("up");
    // (whole descriptions, scoped ones): whole before applying, and after V4 (the run's last
    // version, described whole after scoped descriptions; on MySQL its text names `mysql`
    // anyway); V1 and V3 scoped to `dv`; V2 not at all.
    assert_eq!(describe_calls(&d.hook.calls), (2, 2), "{:#?}", d.hook.calls);
    let history = m.history(&mut d).await.expect("history");
    let fingerprint = |n: usize| history[n].fingerprint.expect("recorded");
    assert_eq!(fingerprint(1), fingerprint(0), "V2 changes no schema");
    assert_ne!(fingerprint(2), fingerprint(1), "V3 adds an index");
    assert_eq!(fingerprint(3), fingerprint(2), "V4 changes no schema");
    assert_eq!(count(&mut d, "dv").await, "2");
    match m.check_schema(&mut d).await.expect("check") {
        SchemaCheck::Matches {
            version,
            fingerprint: recorded,
        } => assert_eq!((version, recorded), (v(4), fingerprint(3))),
        other => panic!("expected a match, got {other:?}"),
    }
    // Reverted to V2: its fingerprint is V1's, and the schema matches it.
    m.down(&mut d, Target::Version(v(2))).await.expect("down");
    match m.check_schema(&mut d).await.expect("check") {
        SchemaCheck::Matches {
            version,
            fingerprint: recorded,
        } => assert_eq!((version, recorded), (v(2), fingerprint(0))),
        other => panic!("expected a match, got {other:?}"),
    }
}

/// A change by hand before the run: the data-only version records the schema without it, as
/// a description after it would, and the change stays reported as drift. (On PostgreSQL the
/// runner first asks whether any user function exists that an INSERT could run; none does.)
/// Leaves the database empty.
async fn change_by_hand_before_a_data_only_version_stays_drift<D: Driver>(
    m: &Migrator<'_>,
    d: &mut Counting<D>,
) {
    m.up(d, Target::Version(v(1))).await.expect("up to 1");
    d.execute("ALTER TABLE dv ADD COLUMN by_hand INTEGER NULL")
        .await
        .expect("alter");
    d.hook.calls.clear();
    m.up(d, Target::Version(v(2))).await.expect("up to 2");
    // (whole descriptions, scoped ones): one description before applying (the drift check),
    // none after the INSERT and UPDATE.
    assert_eq!(describe_calls(&d.hook.calls), (1, 0), "{:#?}", d.hook.calls);
    let history = m.history(d).await.expect("history");
    assert_eq!(
        history[1].fingerprint, history[0].fingerprint,
        "not V2's column"
    );
    assert!(matches!(
        m.check_schema(d).await.expect("check"),
        SchemaCheck::Drifted(drift) if drift.version == v(2)
    ));
    d.execute("ALTER TABLE dv DROP COLUMN by_hand")
        .await
        .expect("undo");
    assert!(matches!(
        m.check_schema(d).await.expect("check"),
        SchemaCheck::Matches { version, .. } if version == v(2)
    ));
    m.down(d, Target::Empty).await.expect("down");
}

/// The descriptions of [`scoped_descriptions_record_what_whole_ones_would`]'s versions.
pub const SCOPED_NAMES: [&str; 14] = [
    "tables",
    "index_and_column",
    "drops",
    "view",
    "two_tables",
    "drop_two",
    "rename",
    "sequence",
    "rows",
    "partitions",
    "parent_index",
    "trigger",
    "insert",
    "last",
];

/// The up scripts of [`scoped_descriptions_record_what_whole_ones_would`], per dialect where
/// the forms differ.
const SCOPED_UPS: &[(&str, &str)] = &[
    (
        "V1__tables/up.sql",
        "CREATE TABLE parents (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL);\n\
         CREATE TABLE Kids (id INTEGER NOT NULL PRIMARY KEY,\n\
           parent_id INTEGER REFERENCES parents (id) ON DELETE CASCADE,\n\
           note VARCHAR(20) DEFAULT 'x;y');\n",
    ),
    (
        "V2__index_and_column/up.sql",
        "CREATE INDEX kids_note ON Kids (note);\n\
         INSERT INTO parents (id, name) VALUES (1, 'a; \"b\"');\n\
         ALTER TABLE Kids ADD COLUMN score INTEGER NOT NULL DEFAULT 0;\n",
    ),
    (
        // A dropped index: its table is found in the description (as `Kids`), and the
        // next statement names it too (as `Kids`, which SQLite's scope lists as `kids`).
        "V3__drops/up.sql",
        "DROP INDEX kids_note;\nCREATE INDEX kids_note_id ON Kids (note, id);\n",
    ),
    (
        "V3__drops/up.mysql.sql",
        "DROP INDEX kids_note ON Kids;\nCREATE INDEX kids_note_id ON Kids (note, id);\n",
    ),
    (
        "V4__view/up.sql",
        "CREATE VIEW kid_notes AS SELECT note FROM Kids;\n",
    ),
    (
        "V5__two_tables/up.sql",
        "ALTER TABLE Kids DROP COLUMN score;\n\
         CREATE TABLE extra_a (id INTEGER);\nCREATE TABLE extra_b (id INTEGER);\n\
         CREATE UNIQUE INDEX extra_b_id ON extra_b (id);\n",
    ),
    ("V6__drop_two/up.sql", "DROP TABLE extra_a, extra_b;\n"),
    (
        "V6__drop_two/up.sqlite.sql",
        "DROP TABLE extra_a;\nDROP TABLE IF EXISTS extra_b;\n",
    ),
    (
        "V7__rename/up.sql",
        "ALTER TABLE parents RENAME COLUMN name TO full_name;\n",
    ),
    (
        "V8__sequence/up.sql",
        "ALTER TABLE parents ADD COLUMN seq INTEGER NULL;\n",
    ),
    (
        "V8__sequence/up.postgres.sql",
        "ALTER TABLE parents ADD COLUMN seq SERIAL;\n",
    ),
    (
        "V9__rows/up.sql",
        "INSERT INTO parents (id, full_name) VALUES (2, 'b');\n\
         UPDATE parents SET full_name = 'c' WHERE id = 2;\n",
    ),
    (
        "V9__rows/up.postgres.sql",
        "ALTER TABLE parents DROP COLUMN seq;\n\
         INSERT INTO parents (id, full_name) VALUES (2, 'b');\n\
         UPDATE parents SET full_name = 'c' WHERE id = 2;\n",
    ),
    (
        "V10__partitions/up.sql",
        "CREATE TABLE events (id INTEGER, kind VARCHAR(10));\n",
    ),
    (
        "V10__partitions/up.postgres.sql",
        "CREATE TABLE events (id INTEGER, kind VARCHAR(10)) PARTITION BY LIST (kind);\n\
         CREATE TABLE events_a PARTITION OF events FOR VALUES IN ('a');\n",
    ),
    (
        "V11__parent_index/up.sql",
        "CREATE INDEX events_kind ON events (kind);\n",
    ),
    ("V12__trigger/up.sql", "CREATE TABLE audit (id INTEGER);\n"),
    (
        "V12__trigger/up.postgres.sql",
        "CREATE FUNCTION make_table() RETURNS trigger LANGUAGE plpgsql AS $$\n\
         BEGIN CREATE TABLE IF NOT EXISTS made_by_trigger (id INTEGER); RETURN NEW; END $$;\n\
         CREATE TRIGGER parents_insert AFTER INSERT ON parents\n\
           FOR EACH ROW EXECUTE FUNCTION make_table();\n",
    ),
    (
        // Triggers on MySQL/MariaDB, which only a dropped table's scope describes: one
        // on the table V12 alters, one on the table V13 drops.
        "V10__partitions/up.mysql.sql",
        "CREATE TABLE events (id INTEGER, kind VARCHAR(10));\n\
         CREATE TABLE audit (id INTEGER);\n\
         CREATE TRIGGER audit_insert BEFORE INSERT ON audit FOR EACH ROW SET NEW.id = NEW.id + 1;\n\
         CREATE TRIGGER parents_insert AFTER INSERT ON parents\n\
           FOR EACH ROW INSERT INTO audit (id) VALUES (NEW.id);\n",
    ),
    (
        "V12__trigger/up.mysql.sql",
        "ALTER TABLE parents ADD COLUMN flag INTEGER NULL;\n",
    ),
    (
        "V13__insert/up.sql",
        "INSERT INTO parents (id, full_name) VALUES (3, 'd');\n",
    ),
    (
        "V13__insert/up.mysql.sql",
        "INSERT INTO parents (id, full_name) VALUES (3, 'd');\n\
         DROP TABLE audit;\n",
    ),
    (
        "V14__last/up.sql",
        "ALTER TABLE parents ADD COLUMN email VARCHAR(80) NULL;\n",
    ),
];

/// One run describes only the tables each version names where it can (and the whole schema
/// before it, for anything it cannot follow, and after its last version); versions applied
/// one run each describe the whole schema after every one. Both record the same fingerprint
/// for every version, on a history of the recognised statement forms (names in mixed case,
/// foreign keys with `ON DELETE CASCADE`, several tables at once, a dropped index, a
/// PostgreSQL serial column's sequence, partitions, and a trigger function that creates a
/// table from an `INSERT`) and of forms that are not followed (a view, a rename).
pub async fn scoped_descriptions_record_what_whole_ones_would<C: Connect>(ctx: &Ctx<C>) {
    let tree = scoped_tree();
    let set = tree.set();
    let m = every_version(&set);

    let mut one_run = Counting::new(ctx.driver().await);
    m.up(&mut one_run, Target::Latest)
        .await
        .expect("up in one run");
    let (whole, scoped) = describe_calls(&one_run.hook.calls);
    // Whole: before the run, after V4 (a view), V7 (a rename) and V14 (the last, also scoped
    // to compare). Scoped: V1–3, V5, V6, V8, V10–12 (on MySQL/MariaDB V11–13). On PostgreSQL V9 drops the serial
    // column again (and its sequence), V10 and V11 reach partitions, so the scoped query says
    // so and the whole schema is described after it; V12 creates a function and V13 may run
    // it, both described whole. On MySQL/MariaDB V10 also creates triggers (whole), V12 alters
    // a table with a trigger (scoped, its trigger kept from the description held) and V13
    // drops one (scoped, with its trigger); V12 and V13, not being last, record what the
    // scoped descriptions predicted.
    let postgres = one_run.dialect() == Dialect::Postgres;
    let expected = match one_run.dialect() {
        Dialect::Postgres => (8, 10),
        Dialect::MySql => (5, 10),
        Dialect::Sqlite => (4, 10),
    };
    assert_eq!((whole, scoped), expected, "(whole, scoped) descriptions");
    let one_run = m.history(&mut one_run).await.expect("history");

    let (by_one_rows, check) = apply_one_version_per_run(ctx, &m, &set).await;
    assert_eq!(one_run.len(), 14);
    for (a, b) in one_run.iter().zip(&by_one_rows) {
        assert_eq!(a.version, b.version);
        assert!(a.fingerprint.is_some());
        assert_eq!(
            a.fingerprint, b.fingerprint,
            "version {}: one run and one version per run recorded different schemas",
            a.version
        );
    }
    assert!(matches!(check, SchemaCheck::Matches { version, .. } if version == v(14)));
    let mut d = ctx.driver().await;
    assert!(matches!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::Matches { version, .. } if version == v(14)
    ));
    if postgres {
        // The INSERT of V13 ran the trigger function, whose table the fingerprints include.
        assert_eq!(count(&mut d, "made_by_trigger").await, "0");
    }
}

/// The tree of [`SCOPED_UPS`], every version irreversible: the test only applies.
fn scoped_tree() -> Tree {
    let downs: Vec<String> = (1..=14)
        .map(|n| format!("V{n}__{}/down.sql", SCOPED_NAMES[n - 1]))
        .collect();
    let mut files: Vec<(&str, &str)> = downs
        .iter()
        .map(|path| (path.as_str(), "-- migrate:irreversible\n"))
        .collect();
    files.extend_from_slice(SCOPED_UPS);
    Tree::new(&files)
}

/// Applies `set` one version per run on a second fresh database: its history, and its
/// schema check.
async fn apply_one_version_per_run<C: Connect>(
    ctx: &Ctx<C>,
    m: &Migrator<'_>,
    set: &MigrationSet,
) -> (Vec<AppliedMigration>, SchemaCheck) {
    let other = TestDatabase::create(C::BACKEND)
        .await
        .expect("second database")
        .expect("the server answered for the first");
    let mut by_one = ctx.connector.connect(other.url()).await;
    for version in set.migrations().iter().map(|m| m.version()) {
        m.up(&mut by_one, Target::Version(version))
            .await
            .expect("up one version");
    }
    let by_one_rows = m.history(&mut by_one).await.expect("history");
    let check = m.check_schema(&mut by_one).await.expect("check");
    drop(by_one);
    other.drop_database().await;
    (by_one_rows, check)
}

/// Five portable versions; V3 to V5 leave `posts` alone, so a column added to it by hand
/// survives a revert to V2 unchanged.
pub const FIVE: &[(&str, &str)] = &[
    (
        "V1__users/up.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL);\n",
    ),
    ("V1__users/down.sql", "DROP TABLE users;\n"),
    (
        "V2__posts/up.sql",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL);\n\
         CREATE INDEX posts_user_idx ON posts (user_id);\n",
    ),
    ("V2__posts/down.sql", "DROP TABLE posts;\n"),
    (
        "V3__tags/up.sql",
        "CREATE TABLE tags (name VARCHAR(50) NOT NULL);\n",
    ),
    ("V3__tags/down.sql", "DROP TABLE tags;\n"),
    (
        "V4__rows/up.sql",
        "INSERT INTO users (id, name) VALUES (1, 'a');\n",
    ),
    ("V4__rows/down.sql", "DELETE FROM users;\n"),
    (
        "V5__email/up.sql",
        "ALTER TABLE users ADD COLUMN email VARCHAR(200) NULL;\n",
    ),
    (
        "V5__email/down.sql",
        "ALTER TABLE users DROP COLUMN email;\n",
    ),
];

/// The versions whose rows record a fingerprint.
pub fn fingerprinted(history: &[AppliedMigration]) -> Vec<u32> {
    history
        .iter()
        .filter(|r| r.fingerprint.is_some())
        .map(|r| r.version.get())
        .collect()
}

/// The drift `check` found, which must be there and have a diff, and its diff's size.
pub fn drift_of(check: SchemaCheck) -> (Version, usize, String) {
    let SchemaCheck::Drifted(drift) = check else {
        panic!("expected drift, got {check:?}");
    };
    let diff = drift
        .diff
        .expect("the history rebuilds the recorded schema");
    let size = diff.added.len() + diff.removed.len() + diff.changed.len();
    (drift.version, size, diff.to_string())
}

pub async fn per_run_records_the_last_version_of_each_run<C: Connect>(ctx: &Ctx<C>) {
    assert_eq!(Fingerprints::default(), Fingerprints::PerRun);
    let tree = Tree::new(FIVE);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = Counting::new(ctx.driver().await);
    m.up(&mut d, Target::Version(v(2))).await.expect("up to 2");
    d.hook.calls.clear();
    let report = m.up(&mut d, Target::Latest).await.expect("up");
    assert_eq!(report.steps.len(), 3);
    assert!(report.drift.is_none());
    // The whole schema before the run (the drift check) and after its last version: nothing
    // between.
    assert_eq!(describe_calls(&d.hook.calls), (2, 0), "{:#?}", d.hook.calls);
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(fingerprinted(&history), [2, 5]);
    match m.check_schema(&mut d).await.expect("check") {
        SchemaCheck::Matches {
            version,
            fingerprint,
        } => assert_eq!((version, Some(fingerprint)), (v(5), history[4].fingerprint)),
        other => panic!("expected a match at version 5, got {other:?}"),
    }
    m.validate(&mut d).await.expect("no drift");

    // A change by hand is drift, with a diff rebuilt from the two runs' recorded changes.
    d.execute("ALTER TABLE posts ADD COLUMN hotfix INTEGER NULL")
        .await
        .expect("by hand");
    let (version, size, diff) = drift_of(m.check_schema(&mut d).await.expect("check"));
    assert_eq!((version, size), (v(5), 1), "{diff}");
    assert!(diff.contains("+ column posts.hotfix"), "{diff}");
    let refused = m.validate(&mut d).await.expect_err("validate reports it");
    assert!(matches!(refused, Error::SchemaDrift { .. }), "{refused}");
}

pub async fn revert_to_a_version_without_a_fingerprint_records_what_it_finds<C: Connect>(
    ctx: &Ctx<C>,
) {
    let tree = Tree::new(FIVE);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    let report = m.down(&mut d, Target::Version(v(3))).await.expect("down");
    assert_eq!(report.schema_recorded, Some(v(3)));
    assert!(report.drift.is_none(), "{:?}", report.drift);
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(fingerprinted(&history), [3]);
    assert!(matches!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::Matches { version, fingerprint }
            if version == v(3) && Some(fingerprint) == history[2].fingerprint
    ));

    // V3 is recorded now: a revert to it compares instead.
    m.up(&mut d, Target::Latest).await.expect("up again");
    assert_eq!(
        fingerprinted(&m.history(&mut d).await.expect("history")),
        [3, 5]
    );
    let report = m.down(&mut d, Target::Version(v(3))).await.expect("down");
    assert_eq!((report.schema_recorded, report.drift), (None, None));

    // A change by hand before a revert to a version without a fingerprint is found by the
    // comparison before it, and kept out of what the revert records.
    m.up(&mut d, Target::Latest).await.expect("up again");
    d.execute("ALTER TABLE posts ADD COLUMN hotfix INTEGER NULL")
        .await
        .expect("by hand");
    let report = m.down(&mut d, Target::Version(v(2))).await.expect("down");
    assert_eq!(report.schema_recorded, Some(v(2)));
    let drift = report.drift.expect("the change by hand is reported");
    assert_eq!(drift.version, v(5));
    let (version, size, diff) = drift_of(m.check_schema(&mut d).await.expect("check"));
    assert_eq!((version, size), (v(2), 1), "{diff}");
    assert!(diff.contains("+ column posts.hotfix"), "{diff}");
    d.execute("ALTER TABLE posts DROP COLUMN hotfix")
        .await
        .expect("undone");
    assert!(matches!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::Matches { version, .. } if version == v(2)
    ));
}

pub async fn every_version_still_records_every_version<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(FIVE);
    let set = tree.set();
    let m = every_version(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(fingerprinted(&history), [1, 2, 3, 4, 5]);
    let report = m.down(&mut d, Target::Version(v(2))).await.expect("down");
    assert_eq!((report.schema_recorded, report.drift), (None, None));
    assert!(matches!(
        m.check_schema(&mut d).await.expect("check"),
        SchemaCheck::Matches { version, fingerprint }
            if version == v(2) && Some(fingerprint) == history[1].fingerprint
    ));
}

/// V3 fails at its first statement, or after a table its first statement created.
fn failing_third(first_fails: bool) -> Tree {
    let tree = Tree::new(&FIVE[..4]);
    let up = match first_fails {
        true => "INSERT INTO missing_table (id) VALUES (1);\nCREATE TABLE t3 (id INTEGER);\n",
        false => "CREATE TABLE t3 (id INTEGER);\nINSERT INTO missing_table (id) VALUES (1);\n",
    };
    tree.write("V3__fails/up.sql", up);
    tree.write("V3__fails/down.sql", "DROP TABLE t3;\n");
    tree
}

/// A run stopped by a failed version records the schema after the last version it applied,
/// when the failure left nothing of its own: always where a version is atomic, and on
/// MySQL/MariaDB when the first statement failed. Where a journaled version stopped after a
/// statement that changed the schema, the versions before it in its run have no fingerprint,
/// so after `repair` nothing is compared until one is recorded.
pub async fn failed_run_records_the_schema_after_its_last_applied_version<C: Connect>(
    ctx: &Ctx<C>,
) {
    for first_fails in [true, false] {
        let tree = failing_third(first_fails);
        let set = tree.set();
        let m = migrator(&set);
        let db = TestDatabase::create(C::BACKEND)
            .await
            .expect("database")
            .expect("the server answered for the first");
        let mut d = ctx.connector.connect(db.url()).await;
        let err = m.up(&mut d, Target::Latest).await.expect_err("V3 fails");
        assert!(
            matches!(err, Error::StatementFailed { version, .. } if version == v(3)),
            "{err}"
        );
        let history = m.history(&mut d).await.expect("history");
        let journaled = d.dialect() == Dialect::MySql;
        let left_nothing = first_fails || !journaled;
        let expected: &[u32] = if left_nothing { &[2] } else { &[] };
        assert_eq!(
            fingerprinted(&history),
            expected,
            "first fails: {first_fails}"
        );
        if journaled {
            assert_eq!(
                m.check_schema(&mut d).await.expect("check"),
                SchemaCheck::Interrupted { version: v(3) }
            );
            if !first_fails {
                d.execute("DROP TABLE t3").await.expect("clean up");
            }
            let report = m.repair(&mut d).await.expect("repair");
            assert!(report.drift.is_none(), "{:?}", report.drift);
        }
        if left_nothing {
            assert!(matches!(
                m.check_schema(&mut d).await.expect("check"),
                SchemaCheck::Matches { version, .. } if version == v(2)
            ));
        } else {
            assert_eq!(
                m.check_schema(&mut d).await.expect("check"),
                SchemaCheck::NotRecorded { version: v(2) }
            );
            m.accept_schema(&mut d).await.expect("accept");
            assert!(matches!(
                m.check_schema(&mut d).await.expect("check"),
                SchemaCheck::Matches { version, .. } if version == v(2)
            ));
        }
        drop(d);
        db.drop_database().await;
    }
}
