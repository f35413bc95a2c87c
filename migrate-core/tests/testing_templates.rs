//! Test databases at a version are copies of a template built once (`TestDatabase::at`): a
//! copy describes, holds and records exactly what a replay of the migrations does; parallel
//! tests taking one template do not see each other; an edited migration set gets a template
//! of its own; stale templates are swept. One test per backend for each scenario.
#![cfg(feature = "testing")]

use std::path::Path;
use std::process::Command;

use migrate_core::driver::{AnyDriver, Driver};
use migrate_core::testing::{drop_stale_databases, Backend, Origin, TestDatabase};
use migrate_core::{MigrationSet, Migrator, Target};

#[path = "testing_templates/support.rs"]
mod support;

use support::{load, make_unique, observe, select_text, tree, write_tree, Table, CUSTOMERS_ORDERS};

macro_rules! per_backend {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(super::Backend::Sqlite).await;
            })*
        }
        mod mariadb {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(super::Backend::MySql).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(super::Backend::Postgres).await;
            })*
        }
    };
}

/// Pools of ready copies (`TestDatabase::from_pool`).
#[path = "testing_templates/pools.rs"]
mod pools;

per_backend!(
    a_copy_equals_a_replay,
    views_are_copied_or_replayed_faithfully,
    parallel_tests_on_one_template_do_not_interfere,
    an_edited_migration_is_not_served_an_old_template,
    a_copy_at_an_older_version_equals_a_replay,
    a_copy_of_many_tables_equals_a_replay,
    processes_starting_together_share_one_template,
);

async fn copy_and_replay(
    backend: Backend,
    set: &MigrationSet,
    target: Target,
    tables: &[Table],
) -> Option<(Origin, Vec<String>, Vec<String>)> {
    let copy = TestDatabase::at(backend, set, target)
        .await
        .expect("copy")?;
    let replay = TestDatabase::at_replayed(backend, set, target)
        .await
        .expect("replay")?;
    assert_eq!(replay.origin(), Origin::Replayed);
    let seen = (
        copy.origin(),
        observe(&copy, set, tables).await,
        observe(&replay, set, tables).await,
    );
    copy.drop_database().await;
    replay.drop_database().await;
    Some(seen)
}

async fn a_copy_equals_a_replay(backend: Backend) {
    let (_dir, set) = tree(false);
    let Some((origin, copy, replay)) =
        copy_and_replay(backend, &set, Target::Latest, CUSTOMERS_ORDERS).await
    else {
        return;
    };
    assert_eq!(origin, Origin::Cloned);
    assert_eq!(copy, replay);
    // A second database is a copy of the same template, and equal too.
    let again = TestDatabase::at(backend, &set, Target::Latest)
        .await
        .expect("copy")
        .expect("reachable");
    assert_eq!(again.origin(), Origin::Cloned);
    assert_eq!(observe(&again, &set, CUSTOMERS_ORDERS).await, replay);
    again.drop_database().await;
}

async fn a_copy_at_an_older_version_equals_a_replay(backend: Backend) {
    let (_dir, set) = tree(false);
    let target = Target::Version(migrate_core::Version::new(2).expect("version"));
    let Some((origin, copy, replay)) =
        copy_and_replay(backend, &set, target, CUSTOMERS_ORDERS).await
    else {
        return;
    };
    assert_eq!(origin, Origin::Cloned);
    assert_eq!(copy, replay);
    // Version 3's column is not there.
    assert!(
        copy.iter().any(|l| l.starts_with("customers: None")),
        "{copy:?}"
    );
}

async fn views_are_copied_or_replayed_faithfully(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(dir.path(), false);
    let v4 = dir.path().join("V4__view");
    std::fs::create_dir_all(&v4).expect("folder");
    std::fs::write(
        v4.join("up.sql"),
        "CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 1;\n",
    )
    .expect("up");
    std::fs::write(v4.join("down.sql"), "DROP VIEW big_orders;\n").expect("down");
    let set = load(dir.path());
    let Some((origin, copy, replay)) = copy_and_replay(
        backend,
        &set,
        Target::Latest,
        &[("big_orders", &["id", "total"])],
    )
    .await
    else {
        return;
    };
    // MariaDB/MySQL views name their database: those sets are replayed, not copied.
    let expected = match backend {
        Backend::MySql => Origin::Replayed,
        _ => Origin::Cloned,
    };
    assert_eq!(origin, expected);
    assert_eq!(copy, replay);
}

async fn parallel_tests_on_one_template_do_not_interfere(backend: Backend) {
    let (_dir, set) = tree(false);
    let set = std::sync::Arc::new(set);
    // Each "test" on a thread and runtime of its own, as the harness runs them.
    let tests: Vec<_> = (0..6)
        .map(|i| {
            let set = std::sync::Arc::clone(&set);
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    let db = TestDatabase::at(backend, &set, Target::Latest)
                        .await
                        .expect("copy")?;
                    let mut driver = AnyDriver::connect(db.url()).await.expect("connect");
                    driver
                        .execute(&format!(
                            "INSERT INTO customers (id, name) VALUES ({}, 'mine')",
                            100 + i
                        ))
                        .await
                        .expect("insert");
                    let rows = driver
                        .query(&select_text(backend, ("customers", &["id"])))
                        .await
                        .expect("rows");
                    let ids: Vec<String> = rows.into_iter().filter_map(|r| r[0].clone()).collect();
                    assert_eq!(ids, ["1", "2", &(100 + i).to_string()], "test {i}");
                    drop(driver);
                    let name = db.name().to_owned();
                    db.drop_database().await;
                    Some(name)
                })
            })
        })
        .collect();
    let names: Vec<Option<String>> = tests
        .into_iter()
        .map(|t| t.join().expect("test thread"))
        .collect();
    let names: std::collections::BTreeSet<String> = names.into_iter().flatten().collect();
    assert!(names.is_empty() || names.len() == 6, "{names:?}");
}

async fn an_edited_migration_is_not_served_an_old_template(backend: Backend) {
    let (_a, original) = tree(false);
    let (_b, edited) = tree(true);
    let Some(before) = TestDatabase::at(backend, &original, Target::Latest)
        .await
        .expect("copy")
    else {
        return;
    };
    // The original's pool is full: none of its copies may serve the edited set.
    migrate_core::testing::pools_settled().await;
    let after = TestDatabase::at(backend, &edited, Target::Latest)
        .await
        .expect("copy")
        .expect("reachable");
    assert_eq!(after.origin(), Origin::Cloned);
    let mut driver = AnyDriver::connect(after.url()).await.expect("connect");
    driver
        .query("SELECT nickname FROM customers")
        .await
        .expect("the edited V1's column is there");
    let history = Migrator::new(&edited)
        .history(&mut driver)
        .await
        .expect("history");
    Migrator::new(&edited)
        .validate(&mut driver)
        .await
        .expect("the copy's history matches the edited set");
    assert_eq!(history.len(), 3);
    let mut driver = AnyDriver::connect(before.url()).await.expect("connect");
    assert!(driver
        .query("SELECT nickname FROM customers")
        .await
        .is_err());
    before.drop_database().await;
    after.drop_database().await;
}

async fn stale_templates_are_swept(backend: Backend) {
    let Some(server) = backend.server_url() else {
        return;
    };
    // Reachable? (skips like every other test when not.)
    let Some(probe) = TestDatabase::create(backend).await.expect("probe") else {
        return;
    };
    probe.drop_database().await;
    let mut admin = AnyDriver::connect(&server).await.expect("connect");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let stale = "migrate_tpl_00ff_1000".to_owned();
    let fresh = format!("migrate_tpl_00fe_{now}");
    // Pooled copies follow the same rule.
    let stale_copy = "migrate_pool_00000000000000ff_1_1000_0".to_owned();
    let fresh_copy = format!("migrate_pool_00000000000000fe_1_{now}_0");
    for name in [&stale, &fresh, &stale_copy, &fresh_copy] {
        admin
            .execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create");
    }
    if backend == Backend::Postgres {
        admin
            .execute(&format!(
                "ALTER DATABASE {stale} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
            ))
            .await
            .expect("mark");
    }
    let dropped = drop_stale_databases(backend)
        .await
        .expect("sweep")
        .expect("reachable");
    for kept in [&fresh, &fresh_copy] {
        admin
            .execute(&format!("DROP DATABASE {kept}"))
            .await
            .expect("the fresh template and copy were kept");
    }
    for gone in [&stale, &stale_copy] {
        assert!(dropped.contains(gone), "{dropped:?}");
    }
    assert!(!dropped.contains(&fresh), "{dropped:?}");
    assert!(!dropped.contains(&fresh_copy), "{dropped:?}");
}

#[tokio::test]
async fn stale_templates_are_swept_on_mariadb() {
    stale_templates_are_swept(Backend::MySql).await;
}

#[tokio::test]
async fn stale_templates_are_swept_on_postgres() {
    stale_templates_are_swept(Backend::Postgres).await;
}

/// More tables than one MariaDB session copies: the copy is shared among sessions.
async fn a_copy_of_many_tables_equals_a_replay(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(dir.path(), false);
    for n in 4..=43 {
        let v = dir.path().join(format!("V{n}__part_{n}"));
        std::fs::create_dir_all(&v).expect("folder");
        let parent = if n == 4 {
            "customers".to_owned()
        } else {
            format!("part_{}", n - 1)
        };
        std::fs::write(
            v.join("up.sql"),
            format!(
                "CREATE TABLE part_{n} (id INTEGER NOT NULL PRIMARY KEY, up_id INTEGER NULL, \
                 FOREIGN KEY (up_id) REFERENCES {parent} (id));\n\
                 INSERT INTO part_{n} (id, up_id) VALUES (1, 1);\n"
            ),
        )
        .expect("up");
        std::fs::write(v.join("down.sql"), format!("DROP TABLE part_{n};\n")).expect("down");
    }
    let set = load(dir.path());
    let tables: &[Table] = &[("part_43", &["id", "up_id"]), ("part_4", &["id", "up_id"])];
    let Some((origin, copy, replay)) = copy_and_replay(backend, &set, Target::Latest, tables).await
    else {
        return;
    };
    assert_eq!(origin, Origin::Cloned);
    assert_eq!(copy, replay);
}

/// Set in a child process: the tree whose copy it takes, and the backend.
pub(crate) const CHILD_TREE: &str = "MIGRATE_TEMPLATES_CHILD_TREE";
/// See [`CHILD_TREE`].
pub(crate) const CHILD_BACKEND: &str = "MIGRATE_TEMPLATES_CHILD_BACKEND";

/// In a child process, the backend and the migrations its parent gave it; `None` in a
/// normal run.
pub(crate) fn child_task() -> Option<(Backend, MigrationSet)> {
    let tree = std::env::var_os(CHILD_TREE)?;
    let backend = match std::env::var(CHILD_BACKEND).ok()?.as_str() {
        "MySql" => Backend::MySql,
        "Postgres" => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    Some((backend, load(Path::new(&tree))))
}

/// The child's half of `processes_starting_together_share_one_template`: takes a copy of the
/// tree it is given and prints the template it came from. Does nothing in a normal run.
#[tokio::test]
async fn child_takes_a_copy() {
    let Some((backend, set)) = child_task() else {
        return;
    };
    let db = TestDatabase::at(backend, &set, Target::Latest)
        .await
        .expect("copy")
        .expect("reachable");
    assert_eq!(db.origin(), Origin::Cloned);
    let mut driver = AnyDriver::connect(db.url()).await.expect("connect");
    let history = Migrator::new(&set)
        .history(&mut driver)
        .await
        .expect("history");
    drop(driver);
    println!("TEMPLATE={}", db.template().expect("a template"));
    println!("VERSIONS={}", history.len());
    db.drop_database().await;
}

/// Cargo runs one process per test binary: processes that need the same template at once
/// build it once and all copy it.
async fn processes_starting_together_share_one_template(backend: Backend) {
    let Some(probe) = TestDatabase::create(backend).await.expect("probe") else {
        return;
    };
    probe.drop_database().await;
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(dir.path(), false);
    make_unique(dir.path());
    let (templates, versions) = children(backend, dir.path(), 4);
    assert_eq!(versions, [3, 3, 3, 3]);
    assert_eq!(templates.len(), 4, "{templates:?}");
    assert!(
        templates.iter().all(|t| *t == templates[0]),
        "{templates:?}"
    );
    drop_template(backend, &templates[0]).await;
}

async fn drop_template(backend: Backend, template: &str) {
    let Some(server) = backend.server_url() else {
        std::fs::remove_file(template).expect("remove the template file");
        support::drop_pool(backend, template).await;
        return;
    };
    let mut admin = AnyDriver::connect(&server).await.expect("connect");
    if backend == Backend::Postgres {
        admin
            .execute(&format!("ALTER DATABASE {template} WITH IS_TEMPLATE false"))
            .await
            .expect("unmark");
    }
    admin
        .execute(&format!("DROP DATABASE {template}"))
        .await
        .expect("drop the template");
    support::drop_pool(backend, template).await;
}

/// Runs `count` children taking a copy of `tree` at once; the templates they copied and the
/// versions in their copies' history.
fn children(backend: Backend, tree: &Path, count: usize) -> (Vec<String>, Vec<usize>) {
    let running: Vec<_> = (0..count)
        .map(|_| {
            Command::new(std::env::current_exe().expect("test binary"))
                .args([
                    "--exact",
                    "child_takes_a_copy",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_TREE, tree)
                .env(CHILD_BACKEND, format!("{backend:?}"))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let (mut templates, mut versions) = (Vec::new(), Vec::new());
    for child in running {
        let output = child.wait_with_output().expect("child");
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{text}");
        // The harness may have begun a line with the test's name.
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.split_once(key))
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_else(|| panic!("no {key} in:\n{text}"))
        };
        templates.push(value("TEMPLATE="));
        versions.push(value("VERSIONS=").parse().expect("a number"));
    }
    (templates, versions)
}

/// A template whose build was killed (PostgreSQL: not marked complete; MariaDB: its history
/// short of the target) is not copied: the next process builds it again.
async fn a_half_built_template_is_built_again(backend: Backend) {
    let Some(probe) = TestDatabase::create(backend).await.expect("probe") else {
        return;
    };
    probe.drop_database().await;
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(dir.path(), false);
    make_unique(dir.path());
    let (templates, _) = children(backend, dir.path(), 1);
    let server = backend.server_url().expect("a server");
    let mut admin = AnyDriver::connect(&server).await.expect("connect");
    let mark = format!(
        "SELECT COALESCE(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = '{}'",
        templates[0]
    );
    if backend == Backend::Postgres {
        admin
            .execute(&format!("COMMENT ON DATABASE {} IS NULL", templates[0]))
            .await
            .expect("unmark");
    } else {
        let url = server.rsplit_once('/').expect("a path").0.to_owned() + "/" + &templates[0];
        let mut template = AnyDriver::connect(&url).await.expect("connect");
        template
            .execute("DELETE FROM schema_history WHERE version = 3")
            .await
            .expect("cut the history");
    }
    let (again, versions) = children(backend, dir.path(), 1);
    assert_eq!(versions, [3]);
    if backend == Backend::Postgres {
        let rows = admin
            .query(&mark.replace(&templates[0], &again[0]))
            .await
            .expect("mark");
        let marked = rows[0][0].as_deref().unwrap_or_default();
        assert!(marked.starts_with("migrate template "), "{marked:?}");
    }
    drop(admin);
    for template in templates
        .iter()
        .chain(&again)
        .collect::<std::collections::BTreeSet<_>>()
    {
        drop_template_if_exists(backend, template).await;
    }
}

#[tokio::test]
async fn a_half_built_template_is_built_again_on_mariadb() {
    a_half_built_template_is_built_again(Backend::MySql).await;
}

#[tokio::test]
async fn a_half_built_template_is_built_again_on_postgres() {
    a_half_built_template_is_built_again(Backend::Postgres).await;
}

async fn drop_template_if_exists(backend: Backend, template: &str) {
    let server = backend.server_url().expect("a server");
    let mut admin = AnyDriver::connect(&server).await.expect("connect");
    if backend == Backend::Postgres {
        let _ = admin
            .execute(&format!("ALTER DATABASE {template} WITH IS_TEMPLATE false"))
            .await;
    }
    admin
        .execute(&format!("DROP DATABASE IF EXISTS {template}"))
        .await
        .expect("drop the template");
    support::drop_pool(backend, template).await;
}
