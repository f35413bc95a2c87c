//! Round-trip verification (`migrate_core::verify`) through the library call: the example
//! application's V1 and V2 restore their schemas exactly on every backend, and a tree with
//! broken down scripts is caught version by version, with diffs, while the rest is still
//! checked.

use migrate_core::schema::ObjectKind;
use migrate_core::testing::{Backend, TestDatabase};
use migrate_core::verify::{RoundTrip, RoundTripProblem, RoundTripStep, ScratchServer, Verifier};
use migrate_core::{source, Dialect, Version};

/// The server scratch databases are made on, or `None` when it is unreachable and not
/// required (the skip was printed).
async fn server(backend: Backend) -> Option<String> {
    // Creating a test database is the reachability check, with the same loud skip.
    let probe = TestDatabase::create(backend)
        .await
        .expect("test database")?;
    probe.drop_database().await;
    Some(
        backend
            .server_url()
            .unwrap_or_else(|| "sqlite://unused.db".to_owned()),
    )
}

fn v(n: u32) -> Version {
    Version::new(n).expect("positive")
}

async fn example_versions_restore_their_schemas(backend: Backend) {
    let Some(server) = server(backend).await else {
        return;
    };
    let mut scratch = ScratchServer::new(&server);
    let report = Verifier::new(&db::MIGRATIONS)
        .run(&mut scratch)
        .await
        .expect("verify");
    assert!(report.is_ok(), "{report}");
    let checked: Vec<(u32, RoundTrip)> = report
        .versions
        .iter()
        .map(|c| (c.version.get(), c.round_trip))
        .collect();
    assert_eq!(
        checked,
        [(1, RoundTrip::Checked), (2, RoundTrip::Checked)],
        "{report}"
    );
    let text = report.to_string();
    assert!(
        text.contains("ok    version 2 (features): down restores the schema"),
        "{text}"
    );
}

/// V1 and V3 are sound. V2's down script forgets the column its up script adds, so the up
/// cannot run again. V4's down script leaves a table behind. V5 is irreversible.
const BROKEN: &[(&str, &str)] = &[
    (
        "V1__apps/up.sql",
        "CREATE TABLE apps (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);\n",
    ),
    ("V1__apps/down.sql", "DROP TABLE apps;\n"),
    (
        "V2__note/up.sql",
        "ALTER TABLE apps ADD COLUMN note VARCHAR(50) NULL;\n",
    ),
    ("V2__note/down.sql", "SELECT 1;\n"),
    (
        "V3__tags/up.sql",
        "CREATE TABLE tags (name VARCHAR(20) NOT NULL);\n",
    ),
    ("V3__tags/down.sql", "DROP TABLE tags;\n"),
    (
        "V4__notes/up.sql",
        "CREATE TABLE notes (id INTEGER NOT NULL);\n",
    ),
    (
        "V4__notes/down.sql",
        "DROP TABLE notes;\nCREATE TABLE notes_backup (id INTEGER NOT NULL);\n",
    ),
    (
        "V5__audit/up.sql",
        "CREATE TABLE audit (id INTEGER NOT NULL);\n",
    ),
    ("V5__audit/down.sql", "-- migrate:irreversible\nSELECT 1;\n"),
];

async fn broken_down_scripts_are_caught(backend: Backend) {
    let Some(server) = server(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in BROKEN {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let set = source::load_dir(dir.path(), &Dialect::ALL).expect("tree loads");
    let mut scratch = ScratchServer::new(&server);
    let report = Verifier::new(&set).run(&mut scratch).await.expect("verify");
    assert!(!report.is_ok(), "{report}");
    assert!(report.not_checked.is_empty(), "{report}");
    let failed: Vec<u32> = report.failures().map(|c| c.version.get()).collect();
    assert_eq!(failed, [2, 4], "{report}");

    // V2: the column stays after the down, and the second up fails on it.
    let v2 = &report.versions[1];
    assert_eq!(v2.version, v(2));
    match &v2.problems[..] {
        [RoundTripProblem::DownDoesNotRestore { diff }, RoundTripProblem::Failed { step, error }] =>
        {
            assert!(
                diff.added
                    .iter()
                    .any(|o| o.kind == ObjectKind::Column && o.name == "apps.note"),
                "{diff}"
            );
            assert!(diff.removed.is_empty() && diff.changed.is_empty(), "{diff}");
            assert_eq!(*step, RoundTripStep::UpAgain);
            assert!(error.contains("version 2"), "{error}");
        }
        other => panic!("V2: unexpected problems {other:?}"),
    }
    // V3 was still checked, on a fresh database brought to V2.
    assert!(report.versions[2].is_ok(), "{report}");
    // V4: a table left behind by the down, and so also after the second up.
    match &report.versions[3].problems[..] {
        [RoundTripProblem::DownDoesNotRestore { diff: down }, RoundTripProblem::UpNotRepeatable { diff: up }] => {
            for diff in [down, up] {
                assert!(
                    diff.added
                        .iter()
                        .any(|o| o.kind == ObjectKind::Table && o.name == "notes_backup"),
                    "{diff}"
                );
            }
        }
        other => panic!("V4: unexpected problems {other:?}"),
    }
    assert_eq!(report.versions[4].round_trip, RoundTrip::Irreversible);
    assert!(report.versions[4].is_ok());
    let text = report.to_string();
    assert!(text.contains("FAIL  version 2 (note)"), "{text}");
    assert!(text.contains("+ column apps.note"), "{text}");
    assert!(text.contains("+ table notes_backup"), "{text}");
    assert!(text.contains("skip  version 5 (audit)"), "{text}");
    assert!(text.contains("3 of 5 versions verified"), "{text}");
}

async fn a_database_that_is_not_empty_is_refused(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await.expect("test database") else {
        return;
    };
    /// Hands out the one database it was given: a user's database, which must not be used.
    struct Given(Option<String>);
    impl migrate_core::verify::ScratchDatabases for Given {
        type Driver = migrate_core::driver::AnyDriver;
        async fn create(&mut self) -> Result<Self::Driver, migrate_core::Error> {
            let url = self.0.take().expect("asked once");
            Ok(migrate_core::driver::AnyDriver::connect(&url)
                .await
                .expect("connect"))
        }
        async fn dispose(&mut self, _: Self::Driver) -> Result<(), migrate_core::Error> {
            panic!("a refused database must not be disposed of")
        }
    }
    let mut d = migrate_core::driver::AnyDriver::connect(db.url())
        .await
        .expect("connect");
    for sql in [
        "CREATE TABLE precious (id INTEGER)",
        "INSERT INTO precious (id) VALUES (1)",
    ] {
        migrate_core::driver::Driver::execute(&mut d, sql)
            .await
            .expect("user data");
    }
    let err = Verifier::new(&db::MIGRATIONS)
        .run(&mut Given(Some(db.url().to_owned())))
        .await
        .expect_err("refused");
    assert!(
        matches!(
            err,
            migrate_core::Error::ScratchNotEmpty {
                objects: 1..,
                history: 0
            }
        ),
        "{err}"
    );
    let rows = migrate_core::driver::Driver::query(&mut d, "SELECT 'kept' FROM precious")
        .await
        .expect("the user's table is still there");
    assert_eq!(rows.len(), 1);
    drop(d);
    db.drop_database().await;
}

macro_rules! on_every_backend {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                #[tokio::test]
                async fn sqlite() {
                    super::$scenario(migrate_core::testing::Backend::Sqlite).await;
                }
                #[tokio::test]
                async fn mariadb() {
                    super::$scenario(migrate_core::testing::Backend::MySql).await;
                }
                #[tokio::test]
                async fn postgres() {
                    super::$scenario(migrate_core::testing::Backend::Postgres).await;
                }
            }
        )*
    };
}

on_every_backend!(
    example_versions_restore_their_schemas,
    broken_down_scripts_are_caught,
    a_database_that_is_not_empty_is_refused,
);
