//! Cross-version compatibility, on SQLite, MariaDB and PostgreSQL, each test on a fresh
//! database: the v1 suite passes at schema V1 and V2, the v2 suite at V2; rows written through
//! v1 at V1 survive V1 → V2 → V1 → V2; v2 is refused after a rollback; down scripts restore the
//! schema exactly; sample data loads only on request.

use db::v1::tables as t1;
use db::v2::{self, tables as t2};
use db::{ApiVersion, Db, Page, VersionError};
use migrate_core::testing::{Backend, TestDatabase};
use migrate_core::{Target, Version};

fn v(n: u32) -> Version {
    Version::new(n).expect("positive")
}

async fn at(backend: Backend, target: Target) -> Option<(TestDatabase, Db)> {
    let test_db = TestDatabase::create(backend)
        .await
        .expect("test database")?;
    test_db
        .migrate_to(&db::MIGRATIONS, target)
        .await
        .expect("migrate");
    let handle = Db::connect(test_db.url()).await.expect("connect");
    Some((test_db, handle))
}

/// Everything v1 offers, checked end to end.
async fn v1_suite(db: &Db) {
    let api = db.v1().await.expect("v1 is served");
    let apps = api.apps();
    let created = apps
        .create(&t1::NewApp {
            name: "billing".into(),
            description: Some("it's; quoted".into()),
        })
        .await
        .expect("create");
    assert_eq!(created.name, "billing");
    assert_eq!(created.description.as_deref(), Some("it's; quoted"));
    assert!(!created.created_at.is_empty());
    assert_eq!(
        apps.get(created.id).await.expect("get"),
        Some(created.clone())
    );
    for i in 0..4 {
        apps.create(&t1::NewApp {
            name: format!("app{i}"),
            description: None,
        })
        .await
        .expect("create");
    }
    let first = apps.list(Page::first(2)).await.expect("list");
    let second = apps.list(Page::first(2).next()).await.expect("list");
    assert_eq!(first.len(), 2);
    assert_eq!(second.len(), 2);
    assert!(
        first[1].id < second[0].id,
        "pages follow each other in id order"
    );
    let patched = apps
        .update(
            created.id,
            &t1::AppPatch {
                name: None,
                description: Some(None),
            },
        )
        .await
        .expect("update")
        .expect("exists");
    assert_eq!(
        (patched.name.as_str(), patched.description.as_deref()),
        ("billing", None)
    );
    let renamed = apps
        .update(
            created.id,
            &t1::AppPatch {
                name: Some("invoices".into()),
                description: None,
            },
        )
        .await
        .expect("update")
        .expect("exists");
    assert_eq!(renamed.name, "invoices");
    assert!(apps.delete(created.id).await.expect("delete"));
    assert!(!apps.delete(created.id).await.expect("delete twice"));
    assert_eq!(apps.get(created.id).await.expect("get"), None);
    assert_eq!(
        apps.update(created.id, &t1::AppPatch::default())
            .await
            .expect("update"),
        None
    );
    assert_eq!(apps.list(Page::first(100)).await.expect("list").len(), 4);

    let meta = api.metadata();
    assert_eq!(meta.get("color").await.expect("get"), None);
    meta.set("color", "blue").await.expect("set");
    meta.set("color", "green").await.expect("overwrite");
    assert_eq!(
        meta.get("color").await.expect("get").as_deref(),
        Some("green")
    );
}

/// Everything v2 offers.
async fn v2_suite(db: &Db) {
    let api = db.v2().await.expect("v2 is served");
    let (standard, internal) = v2_apps_have_types(&api).await;
    v2_features_belong_to_their_app(&api, standard.id).await;
    assert!(api.apps().delete(internal.id).await.expect("delete"));
    api.metadata().set("v2", "yes").await.expect("metadata");
}

/// v2's apps: a type defaults to `standard`, filters the list and can be changed. Returns the
/// two apps as created: one `standard` (changed to `partner` since) and one `internal`.
async fn v2_apps_have_types(api: &v2::Api<'_>) -> (t2::App, t2::App) {
    let apps = api.apps();
    let standard = apps
        .create(&t2::NewApp {
            name: "search".into(),
            description: None,
            app_type: None,
        })
        .await
        .expect("create");
    assert_eq!(standard.app_type, "standard");
    let internal = apps
        .create(&t2::NewApp {
            name: "ops".into(),
            description: Some("tools".into()),
            app_type: Some("internal".into()),
        })
        .await
        .expect("create");
    assert_eq!(internal.app_type, "internal");
    let only_internal = apps
        .list(Page::first(10), Some("internal"))
        .await
        .expect("list");
    assert_eq!(only_internal, vec![internal.clone()]);
    let patched = apps
        .update(
            standard.id,
            &t2::AppPatch {
                app_type: Some("partner".into()),
                ..Default::default()
            },
        )
        .await
        .expect("update")
        .expect("exists");
    assert_eq!(
        (patched.app_type.as_str(), patched.name.as_str()),
        ("partner", "search")
    );
    (standard, internal)
}

/// v2's features of app `app_id`: created on or off, listed, switched and deleted; a feature
/// of a missing app is refused.
async fn v2_features_belong_to_their_app(api: &v2::Api<'_>, app_id: i64) {
    let features = api.features();
    let on = features
        .create(&t2::NewFeature {
            app_id,
            name: "typo-tolerance".into(),
            enabled: true,
        })
        .await
        .expect("create");
    let off = features
        .create(&t2::NewFeature {
            app_id,
            name: "synonyms".into(),
            enabled: false,
        })
        .await
        .expect("create");
    assert!(on.enabled && !off.enabled);
    assert_eq!(
        features.for_app(app_id).await.expect("list"),
        vec![on.clone(), off.clone()]
    );
    assert!(features.set_enabled(off.id, true).await.expect("switch"));
    assert!(
        features
            .get(off.id)
            .await
            .expect("get")
            .expect("exists")
            .enabled
    );
    assert!(features.delete(on.id).await.expect("delete"));
    assert_eq!(features.for_app(app_id).await.expect("list").len(), 1);
    // The foreign key holds on every backend (SQLite enforces it per connection).
    let orphan = features
        .create(&t2::NewFeature {
            app_id: 999_999,
            name: "x".into(),
            enabled: false,
        })
        .await;
    assert!(
        orphan.is_err(),
        "a feature of a missing app must be refused"
    );
}

async fn v1_suite_passes_at_schema_v1_and_v2(backend: Backend) {
    for schema in [v(1), v(2)] {
        let Some((test_db, db)) = at(backend, Target::Version(schema)).await else {
            return;
        };
        v1_suite(&db).await;
        db.pool().close().await;
        test_db.drop_database().await;
    }
}

async fn v2_suite_passes_at_schema_v2(backend: Backend) {
    let Some((test_db, db)) = at(backend, Target::Latest).await else {
        return;
    };
    v2_suite(&db).await;
    db.pool().close().await;
    test_db.drop_database().await;
}

async fn rows_survive_upgrade_rollback_upgrade(backend: Backend) {
    let Some((test_db, db)) = at(backend, Target::Version(v(1))).await else {
        return;
    };
    let written = v1_writes_while_v2_is_refused(&db).await;
    test_db
        .migrate_to(&db::MIGRATIONS, Target::Latest)
        .await
        .expect("up to V2");
    rows_written_at_v1_read_the_same_at_v2(&db, &written).await;
    test_db
        .migrate_to(&db::MIGRATIONS, Target::Version(v(1)))
        .await
        .expect("rollback to V1");
    rows_survive_the_rollback_and_v2_is_refused(&db, &written).await;
    test_db
        .migrate_to(&db::MIGRATIONS, Target::Latest)
        .await
        .expect("up again");
    let again = db
        .v2()
        .await
        .expect("v2 again")
        .apps()
        .get(written.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(again.app_type, "standard");
    db.pool().close().await;
    test_db.drop_database().await;
}

/// At V1, v2 is refused with a typed error naming what it needs and what it found; v1 writes
/// an app, returned, and a metadata entry.
async fn v1_writes_while_v2_is_refused(db: &Db) -> t1::App {
    match db.v2().await {
        Err(VersionError::SchemaTooOld { api, needs, found }) => {
            assert_eq!((api, needs, found), (ApiVersion::V2, v(2), Some(v(1))));
        }
        other => panic!("v2 on V1 must be refused: {:?}", other.map(|_| ())),
    }
    let written = db
        .v1()
        .await
        .expect("v1")
        .apps()
        .create(&t1::NewApp {
            name: "legacy".into(),
            description: Some("written at V1".into()),
        })
        .await
        .expect("create");
    db.v1()
        .await
        .expect("v1")
        .metadata()
        .set("written_at", "V1")
        .await
        .expect("metadata");
    written
}

/// After the upgrade to V2, the app `written` at V1 reads the same through v1, and through v2
/// with the V2 default type.
async fn rows_written_at_v1_read_the_same_at_v2(db: &Db, written: &t1::App) {
    assert_eq!(
        db.v1()
            .await
            .expect("v1")
            .apps()
            .get(written.id)
            .await
            .expect("get"),
        Some(written.clone())
    );
    let as_v2 = db
        .v2()
        .await
        .expect("v2 after upgrade")
        .apps()
        .get(written.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        as_v2.app_type, "standard",
        "the V2 default applies to rows written at V1"
    );
    assert_eq!(
        (as_v2.name.as_str(), as_v2.description.as_deref()),
        ("legacy", Some("written at V1"))
    );
}

/// After the rollback to V1, v1 reads the app `written` and the metadata as they were, and
/// v2 is refused, naming the version it needs and the one it found.
async fn rows_survive_the_rollback_and_v2_is_refused(db: &Db, written: &t1::App) {
    assert_eq!(
        db.v1()
            .await
            .expect("v1 after rollback")
            .apps()
            .get(written.id)
            .await
            .expect("get"),
        Some(written.clone())
    );
    assert_eq!(
        db.v1()
            .await
            .expect("v1")
            .metadata()
            .get("written_at")
            .await
            .expect("metadata")
            .as_deref(),
        Some("V1")
    );
    let refused = db.v2().await.map(|_| ()).expect_err("v2 after rollback");
    assert!(
        refused.to_string().contains("needs schema version 2")
            && refused.to_string().contains("version 1"),
        "{refused}"
    );
}

async fn sample_data_loads_only_when_asked(backend: Backend) {
    let Some((test_db, db)) = at(backend, Target::Latest).await else {
        return;
    };
    let api = db.v2().await.expect("v2");
    assert!(
        api.apps()
            .list(Page::first(10), None)
            .await
            .expect("list")
            .is_empty(),
        "a migration loads no sample data"
    );
    db.load_sample_data().await.expect("sample data");
    let apps = api.apps().list(Page::first(10), None).await.expect("list");
    assert_eq!(apps.len(), 2);
    assert_eq!(
        apps[0].description.as_deref(),
        Some("Invoices; payments and 'refunds'")
    );
    assert_eq!(apps[1].app_type, "internal");
    assert_eq!(
        api.features()
            .for_app(apps[0].id)
            .await
            .expect("features")
            .len(),
        2
    );
    assert_eq!(
        api.metadata()
            .get("sample.loaded")
            .await
            .expect("meta")
            .as_deref(),
        Some("V2")
    );
    db.pool().close().await;
    test_db.drop_database().await;
}

macro_rules! on_every_backend {
    ($($test:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $test() { super::$test(migrate_core::testing::Backend::Sqlite).await } )* }
        mod mariadb { $( #[tokio::test] async fn $test() { super::$test(migrate_core::testing::Backend::MySql).await } )* }
        mod postgres { $( #[tokio::test] async fn $test() { super::$test(migrate_core::testing::Backend::Postgres).await } )* }
    };
}

on_every_backend!(
    v1_suite_passes_at_schema_v1_and_v2,
    v2_suite_passes_at_schema_v2,
    rows_survive_upgrade_rollback_upgrade,
    sample_data_loads_only_when_asked,
);

// The same promise through the test attribute: each of these runs on SQLite, MariaDB and
// PostgreSQL, each on its own fresh database at the version named.

#[migrate_macros::test(migrations = db::MIGRATIONS, version = 1)]
async fn attribute_gives_v1_schema(database: TestDatabase) {
    let db = Db::connect(database.url()).await.expect("connect");
    assert_eq!(db.schema_version().await.expect("version"), Some(v(1)));
    v1_suite(&db).await;
    assert!(db.v2().await.is_err());
    db.pool().close().await;
}

#[migrate_macros::test(migrations = db::MIGRATIONS)]
async fn attribute_gives_latest_schema(database: TestDatabase) {
    let db = Db::connect(database.url()).await.expect("connect");
    assert_eq!(db.schema_version().await.expect("version"), Some(v(2)));
    v2_suite(&db).await;
    db.pool().close().await;
}

#[migrate_macros::test(migrations = db::MIGRATIONS, version = 0, backends = [sqlite])]
async fn attribute_gives_an_empty_database(database: TestDatabase) {
    let db = Db::connect(database.url()).await.expect("connect");
    assert_eq!(db.schema_version().await.expect("version"), None);
    let refused = db.v1().await.map(|_| ()).expect_err("nothing is served");
    assert!(refused.to_string().contains("never migrated"), "{refused}");
    db.pool().close().await;
}
