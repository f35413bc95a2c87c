//! Applying, reverting, redoing and baselining versions; dialect variants.

use super::*;

pub async fn applies_to_latest_and_records_every_column<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    let report = m.up(&mut d, Target::Latest).await.expect("up");
    let applied: Vec<u32> = report.steps.iter().map(|s| s.version.get()).collect();
    assert_eq!(applied, [1, 2, 3]);
    assert!(report.steps.iter().all(|s| s.direction == Direction::Up));
    assert_eq!(report.steps[0].statements, 2);
    assert_eq!(user_tables(&mut d).await, ["posts", "tags", "users"]);
    assert_eq!(
        scalar(&mut d, "SELECT name FROM users WHERE id = 1")
            .await
            .as_deref(),
        Some("it's; a test")
    );

    let history = m.history(&mut d).await.expect("history");
    assert_eq!(versions(&history), [1, 2, 3]);
    let dialect = d.dialect();
    for (row, migration) in history.iter().zip(set.migrations()) {
        let up = migration.script(Direction::Up, dialect).expect("up");
        let down = migration.script(Direction::Down, dialect).expect("down");
        assert_eq!(row.description, migration.description());
        assert_eq!(row.script, up.path());
        assert_eq!(row.checksum, up.checksum());
        assert_eq!(row.down_checksum, Some(down.checksum()));
        assert_eq!(row.state, State::Applied);
        assert_eq!(row.direction, Direction::Up);
        assert_eq!(row.statements_done, 2);
        assert_eq!(row.statements_total, 2);
        assert_eq!(row.error, None);
        assert_eq!(row.applied_by, "suite@test");
        assert!(
            row.applied_at.starts_with("20"),
            "applied_at: {}",
            row.applied_at
        );
    }
    assert_eq!(history[0].description, "users");

    let log = m.log(&mut d).await.expect("log");
    assert_eq!(log.len(), 3);
    for (entry, n) in log.iter().zip(1..) {
        assert_eq!(entry.version, Some(v(n)));
        assert_eq!(
            (entry.action.as_str(), entry.outcome.as_str()),
            ("up", "ok")
        );
        assert_eq!(entry.actor, "suite@test");
        assert!(entry.logged_at.starts_with("20"));
    }
    assert!(log.windows(2).all(|w| w[0].id < w[1].id));

    // Again: nothing to do.
    assert!(m
        .up(&mut d, Target::Latest)
        .await
        .expect("no-op")
        .steps
        .is_empty());
}

pub async fn applies_to_a_target_then_the_rest<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Version(v(2))).await.expect("up to 2");
    assert_eq!(versions(&m.history(&mut d).await.expect("history")), [1, 2]);
    assert_eq!(user_tables(&mut d).await, ["posts", "users"]);
    let report = m.up(&mut d, Target::Latest).await.expect("up");
    assert_eq!(report.steps.len(), 1);
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2, 3]
    );
    let unknown = m
        .up(&mut d, Target::Version(v(9)))
        .await
        .expect_err("unknown target");
    assert!(matches!(unknown, Error::UnknownTarget { .. }), "{unknown}");
}

pub async fn reverts_to_a_target_and_to_empty<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    let report = m
        .down(&mut d, Target::Version(v(1)))
        .await
        .expect("down to 1");
    let reverted: Vec<u32> = report.steps.iter().map(|s| s.version.get()).collect();
    assert_eq!(reverted, [3, 2]);
    assert!(report.steps.iter().all(|s| s.direction == Direction::Down));
    assert_eq!(versions(&m.history(&mut d).await.expect("history")), [1]);
    assert_eq!(user_tables(&mut d).await, ["users"]);
    // V3's column is gone, V1's data is intact.
    assert!(d.query("SELECT email FROM users").await.is_err());
    assert_eq!(
        scalar(&mut d, "SELECT name FROM users").await.as_deref(),
        Some("it's; a test")
    );

    m.down(&mut d, Target::Empty).await.expect("down to empty");
    assert!(m.history(&mut d).await.expect("history").is_empty());
    assert!(user_tables(&mut d).await.is_empty());
    assert_eq!(
        log_actions(&m, &mut d).await,
        [
            "up:1:ok",
            "up:2:ok",
            "up:3:ok",
            "down:3:ok",
            "down:2:ok",
            "down:1:ok"
        ]
    );
    // And up again from nothing.
    m.up(&mut d, Target::Latest).await.expect("up again");
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2, 3]
    );
}

pub async fn redo_reverts_and_reapplies_the_newest<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Version(v(2))).await.expect("up");
    let report = m.redo(&mut d).await.expect("redo");
    let steps: Vec<(u32, Direction)> = report
        .steps
        .iter()
        .map(|s| (s.version.get(), s.direction))
        .collect();
    assert_eq!(steps, [(2, Direction::Down), (2, Direction::Up)]);
    assert_eq!(versions(&m.history(&mut d).await.expect("history")), [1, 2]);
    assert_eq!(user_tables(&mut d).await, ["posts", "users"]);
    assert_eq!(
        log_actions(&m, &mut d).await,
        ["up:1:ok", "up:2:ok", "down:2:ok", "up:2:ok"]
    );
}

/// Runs the up scripts of versions 1 to `last` statement by statement, without the runner: a
/// database built before migrate.
pub async fn apply_by_hand<D: Driver>(set: &MigrationSet, d: &mut D, last: u32) {
    for n in 1..=last {
        let script = set
            .get(v(n))
            .and_then(|mg| mg.script(Direction::Up, d.dialect()))
            .expect("script");
        for statement in migrate_core::split::split(script.sql(), d.dialect()).expect("split") {
            d.execute(statement.sql).await.expect("by hand");
        }
    }
}

pub async fn baseline_adopts_an_existing_schema<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    // A database built before migrate: versions 1 and 2 by hand.
    apply_by_hand(&set, &mut d, 2).await;
    m.baseline(&mut d, v(2)).await.expect("baseline");
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(versions(&history), [1, 2]);
    assert!(history
        .iter()
        .all(|r| r.state == State::Applied && r.statements_total == 0));
    assert_eq!(log_actions(&m, &mut d).await, ["baseline:2:ok"]);
    let report = m.up(&mut d, Target::Latest).await.expect("up");
    assert_eq!(report.steps.len(), 1);
    assert_eq!(report.steps[0].version, v(3));
    let again = m.baseline(&mut d, v(1)).await.expect_err("second baseline");
    assert!(matches!(again, Error::BaselineNotEmpty { .. }), "{again}");
}

pub async fn dialect_variant_is_chosen_for_the_backend<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(&[
        ("V1/up.sql", "CREATE TABLE choice_for_shared (id INTEGER);"),
        (
            "V1/up.mysql.sql",
            "CREATE TABLE choice_for_mysql (id INTEGER) ENGINE = InnoDB;",
        ),
        (
            "V1/up.postgres.sql",
            "CREATE TABLE choice_for_postgres (id BIGINT GENERATED BY DEFAULT AS IDENTITY);",
        ),
        (
            "V1/up.sqlite.sql",
            "CREATE TABLE choice_for_sqlite (id INTEGER PRIMARY KEY AUTOINCREMENT);",
        ),
        ("V1/down.sql", "DROP TABLE choice_for_shared;"),
        ("V1/down.mysql.sql", "DROP TABLE choice_for_mysql;"),
        ("V1/down.postgres.sql", "DROP TABLE choice_for_postgres;"),
        ("V1/down.sqlite.sql", "DROP TABLE choice_for_sqlite;"),
    ]);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    let tag = d.dialect().tag();
    assert_eq!(user_tables(&mut d).await, [format!("choice_for_{tag}")]);
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(history[0].script, format!("V1/up.{tag}.sql"));
    m.down(&mut d, Target::Empty).await.expect("down");
    assert!(user_tables(&mut d).await.is_empty());
}

pub async fn missing_dialect_script_fails_before_anything_runs<C: Connect>(ctx: &Ctx<C>) {
    let mut d = ctx.driver().await;
    let dialect = d.dialect();
    let other = Dialect::ALL
        .into_iter()
        .find(|o| *o != dialect)
        .expect("another dialect");
    let tree = Tree::new(&[
        ("V1/up.sql", "CREATE TABLE first (id INTEGER);"),
        ("V1/down.sql", "DROP TABLE first;"),
        (
            &format!("V2/up.{}.sql", other.tag()),
            "CREATE TABLE second (id INTEGER);",
        ),
        ("V2/down.sql", "DROP TABLE second;"),
    ]);
    let set = tree.set();
    let m = migrator(&set);
    let err = m.up(&mut d, Target::Latest).await.expect_err("no script");
    match &err {
        Error::MissingDialectScript {
            version,
            direction,
            dialect: d2,
        } => {
            assert_eq!((*version, *direction, *d2), (v(2), Direction::Up, dialect));
        }
        other => panic!("unexpected: {other}"),
    }
    assert!(
        err.to_string()
            .contains(&format!("up.{}.sql", dialect.tag())),
        "{err}"
    );
    // Not even V1 ran, and no history table was created.
    assert!(tables(&mut d).await.is_empty());
}
