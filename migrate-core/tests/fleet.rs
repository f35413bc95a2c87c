//! Fleets on real servers: twelve fresh tenant databases per test on MariaDB, PostgreSQL and
//! SQLite files, migrated together; failures with stop and continue, a failed canary, two
//! fleet runs at once, a catalog query, status across the fleet, and a failed tenant finished
//! on its own.
#![cfg(feature = "testing")]

use std::time::Duration;

use migrate_core::database_url::DatabaseUrl;
use migrate_core::driver::{AnyDriver, ConnectOptions, Driver, LockOutcome, LockState};
use migrate_core::fleet::{
    Fleet, FleetError, FleetStatus, OnFailure, StatusOutcome, StopCause, UpOutcome,
};
use migrate_core::history::State;
use migrate_core::schema::SchemaCheck;
use migrate_core::testing::{Backend, TestDatabase};
use migrate_core::{source, Dialect, Error, MigrationSet, Migrator, Resume, Target, Version};

const TENANTS: usize = 12;

/// Three versions; V2 fails on a tenant that already has a `notes` table (see [`break_one`]).
const TREE: &[(&str, &str)] = &[
    (
        "V1__items/up.sql",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);\n",
    ),
    ("V1__items/down.sql", "DROP TABLE items;\n"),
    (
        "V2__notes/up.sql",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(200));\n\
         INSERT INTO items (id, name) VALUES (1, 'first');\n",
    ),
    (
        "V2__notes/down.sql",
        "DELETE FROM items;\nDROP TABLE notes;\n",
    ),
    (
        "V3__tags/up.sql",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, label VARCHAR(20));\n",
    ),
    ("V3__tags/down.sql", "DROP TABLE tags;\n"),
];

fn set() -> MigrationSet {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in TREE {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(file, text).expect("write");
    }
    source::load_dir(dir.path(), &Dialect::ALL).expect("tree loads")
}

fn v(n: u32) -> Version {
    Version::new(n).expect("version")
}

/// Fresh tenant databases; `None` when the server is unreachable and not required.
struct Tenants {
    dbs: Vec<TestDatabase>,
}

impl Tenants {
    async fn create(backend: Backend, n: usize) -> Option<Tenants> {
        let mut dbs = Vec::with_capacity(n);
        for _ in 0..n {
            dbs.push(
                TestDatabase::create(backend)
                    .await
                    .expect("tenant database")?,
            );
        }
        Some(Tenants { dbs })
    }

    fn urls(&self) -> Vec<&str> {
        self.dbs.iter().map(TestDatabase::url).collect()
    }

    fn fleet(&self) -> Fleet {
        Fleet::from_urls(self.urls()).expect("fleet")
    }

    async fn drop_all(self) {
        for db in self.dbs {
            db.drop_database().await;
        }
    }
}

async fn connect(url: &str) -> AnyDriver {
    AnyDriver::connect(url).await.expect("connect")
}

/// Makes V2 fail on `url`: its first statement creates a table that already exists.
async fn break_one(url: &str) {
    connect(url)
        .await
        .execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
        .await
        .expect("pre-create notes");
}

/// Undoes [`break_one`].
async fn fix(url: &str) {
    connect(url)
        .await
        .execute("DROP TABLE notes")
        .await
        .expect("drop notes");
}

/// The history rows of `url`: version and state.
async fn history(set: &MigrationSet, url: &str) -> Vec<(u32, State)> {
    Migrator::new(set)
        .history(&mut connect(url).await)
        .await
        .expect("history")
        .into_iter()
        .map(|r| (r.version.get(), r.state))
        .collect()
}

fn all_applied() -> Vec<(u32, State)> {
    (1..=3).map(|n| (n, State::Applied)).collect()
}

async fn every_tenant_is_migrated_and_a_rerun_finds_them_current(backend: Backend) {
    let set = set();
    let Some(tenants) = Tenants::create(backend, TENANTS).await else {
        return;
    };
    let report = tenants
        .fleet()
        .parallelism(4)
        .up(&set, Target::Latest)
        .await;
    assert!(report.is_success(), "{report}");
    assert_eq!(report.summary().applied, TENANTS);
    for (t, url) in report.tenants.iter().zip(tenants.urls()) {
        assert_eq!(t.database.connection_string(), url, "fleet order kept");
        assert_eq!((t.before, t.after), (None, Some(v(3))));
        assert_eq!(t.applied(), [v(1), v(2), v(3)]);
        assert_eq!(history(&set, url).await, all_applied());
    }
    let again = tenants.fleet().up(&set, Target::Latest).await;
    assert_eq!(again.summary().current, TENANTS, "{again}");
    assert!(again
        .tenants
        .iter()
        .all(|t| (t.before, t.after) == (Some(v(3)), Some(v(3)))));
    tenants.drop_all().await;
}

async fn stop_starts_no_tenant_after_a_failure(backend: Backend) {
    let set = set();
    let Some(tenants) = Tenants::create(backend, TENANTS).await else {
        return;
    };
    let bad = tenants.urls()[2];
    break_one(bad).await;
    let report = tenants
        .fleet()
        .parallelism(2)
        .canaries(0)
        .on_failure(OnFailure::Stop)
        .up(&set, Target::Latest)
        .await;
    let s = report.summary();
    assert_eq!(s.failed, 1, "{report}");
    assert!(s.skipped >= TENANTS - 5, "{report}");
    assert_eq!(s.applied + s.skipped + s.failed, TENANTS);
    assert!(
        matches!(&report.stopped, Some(StopCause::Failure { database }) if database.connection_string() == bad)
    );
    let failed = &report.tenants[2];
    assert!(
        matches!(failed.error(), Some(Error::StatementFailed { version, .. }) if *version == v(2)),
        "{report}"
    );
    assert_eq!(failed.after, Some(v(1)), "V1 applied before V2 failed");
    for t in &report.tenants {
        let rows = history(&set, t.database.connection_string()).await;
        match t.outcome {
            UpOutcome::Skipped => assert!(rows.is_empty(), "a skipped tenant is untouched"),
            UpOutcome::Applied(_) => assert_eq!(rows, all_applied()),
            _ => {}
        }
    }
    #[cfg(feature = "cli")]
    {
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("json");
        assert_eq!(json["ok"], false);
        assert_eq!(json["stopped"]["cause"], "failure");
        assert_eq!(json["summary"]["failed"], 1);
        assert_eq!(json["databases"][2]["outcome"], "failed");
        assert!(json["databases"][2]["error"]
            .as_str()
            .is_some_and(|e| e.contains("version 2")));
    }
    tenants.drop_all().await;
}

async fn continue_migrates_every_other_tenant(backend: Backend) {
    let set = set();
    let Some(tenants) = Tenants::create(backend, TENANTS).await else {
        return;
    };
    break_one(tenants.urls()[2]).await;
    let report = tenants
        .fleet()
        .parallelism(3)
        .on_failure(OnFailure::Continue)
        .up(&set, Target::Latest)
        .await;
    let s = report.summary();
    assert_eq!(
        (s.applied, s.failed, s.skipped),
        (TENANTS - 1, 1, 0),
        "{report}"
    );
    assert_eq!(report.stopped, None);
    assert!(!report.is_success());
    assert!(report.to_string().contains("1 failed"), "{report}");
    tenants.drop_all().await;
}

async fn failed_canary_stops_every_other_tenant(backend: Backend) {
    let set = set();
    let Some(tenants) = Tenants::create(backend, TENANTS).await else {
        return;
    };
    break_one(tenants.urls()[0]).await;
    let report = tenants
        .fleet()
        .canaries(2)
        .on_failure(OnFailure::Continue)
        .up(&set, Target::Latest)
        .await;
    let s = report.summary();
    assert_eq!((s.failed, s.skipped), (1, TENANTS - 1), "{report}");
    assert!(matches!(report.stopped, Some(StopCause::Canary { .. })));
    for url in &tenants.urls()[1..] {
        assert!(history(&set, url).await.is_empty());
    }
    tenants.drop_all().await;
}

async fn concurrent_fleet_runs_apply_each_version_once(backend: Backend) {
    let set = set();
    let Some(tenants) = Tenants::create(backend, TENANTS).await else {
        return;
    };
    let forward = tenants.fleet().parallelism(4).canaries(0);
    let mut reversed: Vec<&str> = tenants.urls();
    reversed.reverse();
    let backward = Fleet::from_urls(reversed).expect("fleet").parallelism(4);
    let (a, b) = tokio::join!(
        forward.up(&set, Target::Latest),
        backward.up(&set, Target::Latest)
    );
    assert!(a.is_success(), "{a}");
    assert!(b.is_success(), "{b}");
    for url in tenants.urls() {
        let by = |r: &migrate_core::fleet::FleetReport| {
            r.tenants
                .iter()
                .find(|t| t.database.connection_string() == url)
                .map(|t| t.applied().len())
                .expect("listed")
        };
        assert_eq!(by(&a) + by(&b), 3, "each version applied by one run");
        assert_eq!(history(&set, url).await, all_applied());
        let ups: Vec<u32> = Migrator::new(&set)
            .log(&mut connect(url).await)
            .await
            .expect("log")
            .into_iter()
            .filter(|r| r.action == "up")
            .filter_map(|r| r.version.map(Version::get))
            .collect();
        assert_eq!(ups, [1, 2, 3], "one `up` log row per version");
    }
    tenants.drop_all().await;
}

async fn catalog_query_lists_the_fleet(backend: Backend) {
    let set = set();
    let Some(tenants) = Tenants::create(backend, 4).await else {
        return;
    };
    let Some(catalog) = TestDatabase::create(backend).await.expect("catalog") else {
        return;
    };
    let mut db = connect(catalog.url()).await;
    db.execute("CREATE TABLE tenant_catalog (id INTEGER PRIMARY KEY, url VARCHAR(1000))")
        .await
        .expect("catalog table");
    for (i, url) in tenants.urls().iter().enumerate() {
        db.execute(&format!(
            "INSERT INTO tenant_catalog (id, url) VALUES ({}, '{url}')",
            4 - i
        ))
        .await
        .expect("catalog row");
    }
    let query = "SELECT url FROM tenant_catalog ORDER BY id";
    let fleet = Fleet::from_catalog_url(catalog.url(), &ConnectOptions::default(), query)
        .await
        .expect("fleet");
    let listed: Vec<&str> = fleet
        .databases()
        .iter()
        .map(DatabaseUrl::connection_string)
        .collect();
    let mut expected = tenants.urls();
    expected.reverse();
    assert_eq!(listed, expected, "in the query's order");
    assert!(fleet.up(&set, Target::Latest).await.is_success());

    db.execute("INSERT INTO tenant_catalog (id, url) VALUES (9, NULL)")
        .await
        .expect("null row");
    let e = Fleet::from_catalog(&mut db, query).await.expect_err("NULL");
    assert!(matches!(e, FleetError::CatalogRow { .. }), "{e}");
    assert!(
        e.to_string().starts_with("row 5 of the catalog query"),
        "{e}"
    );
    let e = Fleet::from_catalog(&mut db, "SELECT url FROM no_such_table")
        .await
        .expect_err("bad query");
    assert!(matches!(e, FleetError::CatalogQuery { .. }), "{e}");
    drop(db);
    catalog.drop_database().await;
    tenants.drop_all().await;
}

/// A URL on the same server (or folder) naming a database that does not exist.
fn missing_database(backend: Backend) -> String {
    match backend.server_url() {
        Some(server) => DatabaseUrl::parse(&server)
            .expect("server url")
            .with_database("migrate_test_fleet_missing")
            .connection_string()
            .to_owned(),
        None => "sqlite:///nonexistent-folder/missing.db".to_owned(),
    }
}

async fn status_reads_every_tenant(backend: Backend) {
    let set = set();
    let Some(tenants) = Tenants::create(backend, 4).await else {
        return;
    };
    let urls = tenants.urls();
    tenants.dbs[1]
        .migrate_to(&set, Target::Version(v(1)))
        .await
        .expect("V1");
    for db in &tenants.dbs[2..] {
        db.migrate_to(&set, Target::Latest).await.expect("latest");
    }
    connect(urls[3])
        .await
        .execute("CREATE TABLE by_hand (id INTEGER)")
        .await
        .expect("drift");
    // A runner at work on tenant 2: status names it there, and only there.
    let mut holder = connect(urls[2]).await;
    let lock_name = Migrator::new(&set).lock_name();
    let taken = holder.lock(&lock_name, Duration::from_secs(5)).await;
    assert!(matches!(taken, Ok(LockOutcome::Acquired)), "{taken:?}");
    let missing = missing_database(backend);
    let mut listed = urls.clone();
    listed.push(&missing);
    let status = Fleet::from_urls(listed).expect("fleet").status(&set).await;
    holder.unlock(&lock_name).await.expect("unlock");
    drop(holder);
    let standing = |i: usize| match &status.tenants[i].outcome {
        StatusOutcome::Read(s) => s,
        StatusOutcome::Failed(e) => panic!("{i}: {e}"),
    };
    assert_eq!((standing(0).current, standing(0).pending.len()), (None, 3));
    assert_eq!(
        (standing(1).current, standing(1).pending.clone()),
        (Some(v(1)), vec![v(2), v(3)])
    );
    assert!(standing(2).is_current());
    assert!(matches!(standing(2).schema, SchemaCheck::Matches { .. }));
    assert!(matches!(standing(3).schema, SchemaCheck::Drifted(_)));
    assert!(matches!(
        status.tenants[4].outcome,
        StatusOutcome::Failed(_)
    ));
    let s = status.summary();
    assert_eq!(
        (s.current, s.behind, s.problems, s.unreadable),
        (1, 2, 1, 1),
        "{status}"
    );
    assert!(status.to_string().contains("drift"), "{status}");
    assert_lock_shown(&status, backend);
    tenants.drop_all().await;
}

/// Tenant 2's lock reads held, with its holder in the table and the JSON; the others' free.
fn assert_lock_shown(status: &FleetStatus, backend: Backend) {
    let lock = |i: usize| match &status.tenants[i].outcome {
        StatusOutcome::Read(s) => s.lock.clone(),
        StatusOutcome::Failed(e) => panic!("{i}: {e}"),
    };
    for i in [0, 1, 3] {
        assert_eq!(lock(i), LockState::Free, "{status}");
    }
    let LockState::Held(holder) = lock(2) else {
        panic!("tenant 2's lock: {status}");
    };
    let text = status.to_string();
    assert!(
        text.contains(&format!("migration lock held by {holder}")),
        "{text}"
    );
    #[cfg(feature = "cli")]
    {
        let json: serde_json::Value = serde_json::from_str(&status.to_json()).expect("json");
        let tenant = &json["databases"][2];
        assert_eq!(tenant["lock"], "held", "{json}");
        assert_eq!(tenant["lock_holder"], holder.description.as_str(), "{json}");
        assert_eq!(json["databases"][0]["lock"], "free", "{json}");
    }
    if backend != Backend::Sqlite {
        // The servers name the session: MySQL's connection id, PostgreSQL's backend pid.
        assert!(holder.session.is_some(), "{holder}");
    }
}

async fn failed_tenant_finishes_on_its_own_after_its_fix(backend: Backend) {
    let set = set();
    let Some(tenants) = Tenants::create(backend, 6).await else {
        return;
    };
    let bad = tenants.urls()[3];
    break_one(bad).await;
    let first = tenants
        .fleet()
        .on_failure(OnFailure::Continue)
        .up(&set, Target::Latest)
        .await;
    assert_eq!(first.summary().failed, 1, "{first}");
    fix(bad).await;
    let alone = Fleet::from_urls([bad]).expect("fleet");
    if backend == Backend::MySql {
        // MariaDB journals: the failed row stays, and only `resume` (or `repair`) moves on.
        assert_eq!(
            history(&set, bad).await,
            [(1, State::Applied), (2, State::Failed)]
        );
        let refused = alone.up(&set, Target::Latest).await;
        assert!(matches!(
            refused.tenants[0].error(),
            Some(Error::FailedMigration { .. })
        ));
        let resumed = Migrator::new(&set)
            .resume(&mut connect(bad).await, Resume::AfterFix)
            .await
            .expect("resume");
        assert_eq!(resumed.steps.len(), 1);
    } else {
        // The failed version rolled back whole: nothing stays to resume.
        assert_eq!(history(&set, bad).await, [(1, State::Applied)]);
    }
    let finished = alone.up(&set, Target::Latest).await;
    assert!(finished.is_success(), "{finished}");
    assert_eq!(history(&set, bad).await, all_applied());
    let rest = tenants.fleet().up(&set, Target::Latest).await;
    assert_eq!(rest.summary().current, 6, "{rest}");
    tenants.drop_all().await;
}

/// A password never shows, not even in a connection error.
#[tokio::test]
async fn reports_hide_passwords() {
    let set = set();
    let fleet = Fleet::from_urls(["mysql://app:s3cret-pw@127.0.0.1:1/tenant"])
        .expect("fleet")
        .connect_options(
            ConnectOptions::default().connect_timeout(std::time::Duration::from_secs(2)),
        );
    let report = fleet.up(&set, Target::Latest).await;
    assert_eq!(report.summary().failed, 1);
    let text = format!("{report}{report:?}");
    assert!(!text.contains("s3cret-pw"), "{text}");
    assert!(
        text.contains("mysql://app:***@127.0.0.1:1/tenant"),
        "{text}"
    );
    #[cfg(feature = "cli")]
    assert!(!report.to_json().contains("s3cret-pw"));
}

/// One `#[tokio::test]` per backend for each test function.
macro_rules! per_backend {
    ($($test:ident),* $(,)?) => {
        mod mariadb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(super::Backend::MySql).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(super::Backend::Postgres).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(super::Backend::Sqlite).await;
                }
            )*
        }
    };
}

per_backend!(
    every_tenant_is_migrated_and_a_rerun_finds_them_current,
    stop_starts_no_tenant_after_a_failure,
    continue_migrates_every_other_tenant,
    failed_canary_stops_every_other_tenant,
    concurrent_fleet_runs_apply_each_version_once,
    catalog_query_lists_the_fleet,
    status_reads_every_tenant,
    failed_tenant_finishes_on_its_own_after_its_fix,
);
