//! The cross-version deploy this project is for, on SQLite, MariaDB and PostgreSQL: a release
//! built with V1 only starts on a database the current release (V1, V2) migrated. Refused by
//! default; with unknown versions ignored it starts, changes nothing, and its v1 queries serve
//! on schema V2.

use std::path::Path;

use db::v1::tables as t1;
use db::{Db, Page};
use migrate_core::driver::AnyDriver;
use migrate_core::testing::{Backend, TestDatabase};
use migrate_core::{
    source, Config, Dialect, Error, MigrationSet, Migrator, Target, UnknownVersions, Version,
};

/// The migrations of the older release: `sql/versions` without V2.
fn v1_only(dir: &Path) -> MigrationSet {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sql/versions/V1__apps");
    let to = dir.join("V1__apps");
    std::fs::create_dir_all(&to).expect("mkdir");
    for entry in std::fs::read_dir(&from).expect("V1 folder") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
    source::load_dir(dir, &Dialect::ALL).expect("V1 loads")
}

async fn v1_release_serves_on_a_v2_database_when_ignoring(backend: Backend) {
    let Some(test_db) = TestDatabase::at(backend, &db::MIGRATIONS, Target::Latest)
        .await
        .expect("test database")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let older = v1_only(dir.path());
    let mut driver = AnyDriver::connect(test_db.url()).await.expect("connect");
    let newer = Migrator::new(&db::MIGRATIONS);
    let before = newer.history(&mut driver).await.expect("history");

    let err = Migrator::new(&older)
        .up(&mut driver, Target::Latest)
        .await
        .expect_err("refused by default");
    assert!(
        matches!(err, Error::UnknownVersion { version, .. } if version.get() == 2),
        "{err}"
    );
    let config = Config::default().unknown_versions(UnknownVersions::Ignore);
    let report = Migrator::with_config(&older, config)
        .up(&mut driver, Target::Latest)
        .await
        .expect("the older release starts");
    assert!(report.steps.is_empty());
    assert_eq!(
        report.unknown_versions,
        [Version::new(2).expect("positive")]
    );
    assert_eq!(newer.history(&mut driver).await.expect("history"), before);

    let handle = Db::connect(test_db.url()).await.expect("connect");
    let apps = handle.v1().await.expect("v1 serves on V2").apps();
    let created = apps
        .create(&t1::NewApp {
            name: "from-the-old-release".into(),
            description: None,
        })
        .await
        .expect("create through v1");
    let listed = apps.list(Page::first(10)).await.expect("list");
    assert_eq!(listed, [created]);
    handle.v2().await.expect("v2 still serves too");
    handle.pool().close().await;
    test_db.drop_database().await;
}

macro_rules! on_every_backend {
    ($($test:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $test() { super::$test(migrate_core::testing::Backend::Sqlite).await } )* }
        mod mariadb { $( #[tokio::test] async fn $test() { super::$test(migrate_core::testing::Backend::MySql).await } )* }
        mod postgres { $( #[tokio::test] async fn $test() { super::$test(migrate_core::testing::Backend::Postgres).await } )* }
    };
}

on_every_backend!(v1_release_serves_on_a_v2_database_when_ignoring);
