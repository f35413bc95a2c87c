//! What the runner refuses or reports before running anything: checksums, versions out of
//! order or newer than the binary, irreversible versions; history table name, `validate`,
//! `no-transaction` scripts and numeric order.

use super::*;

pub async fn changed_checksum_is_refused_until_accepted<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let before = tree.set();
    let mut d = ctx.driver().await;
    migrator(&before)
        .up(&mut d, Target::Version(v(2)))
        .await
        .expect("up");
    tree.write("V1__users/up.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL);\nINSERT INTO users (id, name) VALUES (1, 'changed');\n");
    let after = tree.set();
    let m = migrator(&after);
    let err = m.up(&mut d, Target::Latest).await.expect_err("changed");
    match &err {
        Error::ChecksumMismatch {
            version,
            recorded,
            embedded,
            ..
        } => {
            assert_eq!(*version, v(1));
            assert_ne!(recorded, embedded);
        }
        other => panic!("unexpected: {other}"),
    }
    assert!(
        err.to_string().contains("accept-checksum --version 1"),
        "{err}"
    );
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2],
        "V3 must not run"
    );
    assert!(m.validate(&mut d).await.is_err());
    m.accept_checksum(&mut d, v(1)).await.expect("accept");
    m.validate(&mut d).await.expect("valid after accepting");
    assert!(log_actions(&m, &mut d)
        .await
        .contains(&"accept-checksum:1:ok".to_owned()));
    m.up(&mut d, Target::Latest)
        .await
        .expect("up after accepting");
}

pub async fn database_newer_than_binary_is_refused<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let mut d = ctx.driver().await;
    migrator(&set).up(&mut d, Target::Latest).await.expect("up");
    let older = Tree::new(&BASIC[..4]);
    let old_set = older.set();
    let m = migrator(&old_set);
    for err in [
        m.up(&mut d, Target::Latest).await.expect_err("newer db"),
        m.down(&mut d, Target::Empty).await.expect_err("newer db"),
    ] {
        match &err {
            Error::UnknownVersion {
                version,
                latest_known,
            } => {
                assert_eq!((*version, *latest_known), (v(3), Some(v(2))));
            }
            other => panic!("unexpected: {other}"),
        }
    }
    assert_eq!(user_tables(&mut d).await, ["posts", "tags", "users"]);
}

pub async fn out_of_order_version_is_refused_unless_allowed<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    // Simulate V2 merged late: V3 applied, V2 not.
    d.execute("DROP TABLE posts").await.expect("drop");
    d.execute("DELETE FROM schema_history WHERE version = 2")
        .await
        .expect("delete");
    let err = m
        .up(&mut d, Target::Latest)
        .await
        .expect_err("out of order");
    match &err {
        Error::OutOfOrder {
            version,
            newest_applied,
        } => assert_eq!((*version, *newest_applied), (v(2), v(3))),
        other => panic!("unexpected: {other}"),
    }
    let allowing = Migrator::with_config(&set, config().out_of_order(OutOfOrder::Allow));
    let report = allowing.up(&mut d, Target::Latest).await.expect("allowed");
    assert_eq!(report.steps.len(), 1);
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2, 3]
    );
}

pub async fn irreversible_version_refuses_revert<C: Connect>(ctx: &Ctx<C>) {
    let mut files = BASIC.to_vec();
    files[3] = (
        "V2__posts/down.sql",
        "-- migrate:irreversible\n-- posts cannot be restored\n",
    );
    let tree = Tree::new(&files);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    let err = m
        .down(&mut d, Target::Version(v(1)))
        .await
        .expect_err("irreversible");
    assert!(
        matches!(&err, Error::Irreversible { version, .. } if *version == v(2)),
        "{err}"
    );
    // Refused before anything ran: V3 is still applied.
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2, 3]
    );
    m.down(&mut d, Target::Version(v(2)))
        .await
        .expect("down to 2 is allowed");
    assert_eq!(versions(&m.history(&mut d).await.expect("history")), [1, 2]);
}

pub async fn history_table_name_is_configurable<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let table = HistoryTable::new("app_versions").expect("valid name");
    let m = Migrator::with_config(&set, config().table(table));
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    let all = tables(&mut d).await;
    assert!(
        all.contains(&"app_versions".to_owned()) && all.contains(&"app_versions_log".to_owned()),
        "{all:?}"
    );
    assert!(
        !all.iter().any(|t| t.starts_with("schema_history")),
        "{all:?}"
    );
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2, 3]
    );
    assert!(HistoryTable::new("bad; DROP TABLE users").is_err());
}

pub async fn validate_reports_without_changing_anything<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.validate(&mut d).await.expect("empty database is valid");
    assert!(tables(&mut d).await.is_empty(), "validate created tables");
    let plan = m.plan_up(&mut d, Target::Latest).await.expect("plan");
    assert_eq!(plan.steps.len(), 3);
    assert_eq!(plan.steps[0].statements[1].line, 2);
    assert!(tables(&mut d).await.is_empty(), "plan created tables");
    m.up(&mut d, Target::Latest).await.expect("up");
    m.validate(&mut d).await.expect("valid");
    let down = m.plan_down(&mut d, Target::Empty).await.expect("plan down");
    let order: Vec<u32> = down
        .steps
        .iter()
        .map(|s| s.migration.version().get())
        .collect();
    assert_eq!(order, [3, 2, 1]);
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2, 3]
    );
}

pub async fn no_transaction_script_runs_outside_a_transaction<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(&[
        ("V1/up.sql", "CREATE TABLE events (id INTEGER, kind VARCHAR(20));"),
        ("V1/down.sql", "DROP TABLE events;"),
        // PostgreSQL refuses CREATE INDEX CONCURRENTLY inside a transaction block.
        (
            "V2/up.postgres.sql",
            "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY events_kind_idx ON events (kind);",
        ),
        ("V2/up.sql", "-- migrate:no-transaction\nCREATE INDEX events_kind_idx ON events (kind);"),
        ("V2/down.sql", "DROP TABLE events;\nCREATE TABLE events (id INTEGER, kind VARCHAR(20));"),
    ]);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest)
        .await
        .expect("no-transaction script runs");
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(versions(&history), [1, 2]);
    assert_eq!(history[1].state, State::Applied);
    assert_eq!(history[1].statements_done, 1);
}

/// Versions 1 to 12 must come back 1, 2, …, 12 — not sorted as text (1, 10, 11, 12, 2, …) —
/// and revert newest first.
pub async fn history_of_more_than_nine_versions_keeps_numeric_order<C: Connect>(ctx: &Ctx<C>) {
    let files: Vec<(String, String)> = (1..=12)
        .flat_map(|n| {
            [
                (
                    format!("V{n}/up.sql"),
                    format!("CREATE TABLE t{n} (id INTEGER);"),
                ),
                (format!("V{n}/down.sql"), format!("DROP TABLE t{n};")),
            ]
        })
        .collect();
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let tree = Tree::new(&borrowed);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        (1..=12).collect::<Vec<_>>()
    );
    let report = m
        .down(&mut d, Target::Version(v(8)))
        .await
        .expect("down to 8");
    let reverted: Vec<u32> = report.steps.iter().map(|s| s.version.get()).collect();
    assert_eq!(reverted, [12, 11, 10, 9]);
    let ids: Vec<u64> = m
        .log(&mut d)
        .await
        .expect("log")
        .iter()
        .map(|r| r.id)
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "log out of order: {ids:?}"
    );
    assert_eq!(ids.len(), 16);
}
