//! A failing statement: named, rolled back or journaled, resumed and repaired.

use super::*;

/// V2's third statement fails (a table V2's second statement did not create).
pub const FAILING: &[(&str, &str)] = &[
    ("V1__base/up.sql", "CREATE TABLE base (id INTEGER);"),
    ("V1__base/down.sql", "DROP TABLE base;"),
    (
        "V2__breaks/up.sql",
        "CREATE TABLE first_part (id INTEGER);\n\
         INSERT INTO base (id) VALUES (7);\n\
         INSERT INTO missing_table (id) VALUES (1);\n\
         CREATE TABLE last_part (id INTEGER);\n",
    ),
    (
        "V2__breaks/down.sql",
        "DROP TABLE last_part;\nDROP TABLE first_part;\nDELETE FROM base;\n",
    ),
];

pub async fn failing_statement_is_rolled_back_or_journaled<C: Connect>(ctx: &Ctx<C>) {
    failing_statement_case(ctx, config()).await;
}

/// With fingerprints off, PostgreSQL sends a whole version (BEGIN, statements, history and log
/// rows, COMMIT) as one batch: the failing statement is still named.
pub async fn failing_statement_is_named_with_fingerprints_off<C: Connect>(ctx: &Ctx<C>) {
    failing_statement_case(ctx, config().fingerprints(Fingerprints::Off)).await;
}

/// PostgreSQL parses a whole batch before running any of it: a syntax error in the third
/// statement is found by its position and named, and nothing of the version remains.
pub async fn syntax_error_names_its_statement<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(&[
        ("V1__base/up.sql", "CREATE TABLE base (id INTEGER);\n"),
        ("V1__base/down.sql", "DROP TABLE base;\n"),
        (
            "V2__typo/up.sql",
            "CREATE TABLE first_part (id INTEGER);\n\
             INSERT INTO base (id) VALUES (1);\n\
             -- the typo:\n\
             CREATE TABLE oops (id INTEGER,,);\n",
        ),
        ("V2__typo/down.sql", "DROP TABLE first_part;\n"),
    ]);
    let set = tree.set();
    for fingerprints in [
        Fingerprints::Off,
        Fingerprints::PerRun,
        Fingerprints::EveryVersion,
    ] {
        let m = Migrator::with_config(&set, config().fingerprints(fingerprints));
        let mut d = ctx.driver().await;
        let err = m.up(&mut d, Target::Latest).await.expect_err("fails");
        let Error::StatementFailed {
            version,
            statement,
            line,
            ..
        } = &err
        else {
            panic!("unexpected: {err}");
        };
        assert_eq!((*version, *statement, *line), (v(2), 3, 4), "{err}");
        if d.dialect() == Dialect::MySql {
            // Journaled: the first two statements ran; clean up for the second round.
            d.execute("DROP TABLE first_part").await.expect("clean up");
            d.execute("DELETE FROM base").await.expect("clean up");
            m.repair(&mut d).await.expect("repair");
        } else {
            assert_eq!(user_tables(&mut d).await, ["base"]);
            assert_eq!(count(&mut d, "base").await, "0");
        }
    }
}

/// A failing statement of a down script is named, and (PostgreSQL, SQLite) the version stays
/// applied with its schema intact.
pub async fn failing_down_statement_is_named<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(&[
        ("V1__base/up.sql", "CREATE TABLE base (id INTEGER);\n"),
        ("V1__base/down.sql", "DROP TABLE base;\n"),
        (
            "V2__more/up.sql",
            "CREATE TABLE more_things (id INTEGER);\n",
        ),
        (
            "V2__more/down.sql",
            "DROP TABLE more_things;\nDROP TABLE missing_table;\n",
        ),
    ]);
    let set = tree.set();
    let m = Migrator::with_config(&set, config().fingerprints(Fingerprints::Off));
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    let err = m.down(&mut d, Target::Empty).await.expect_err("fails");
    let Error::StatementFailed {
        version,
        direction,
        statement,
        line,
        ..
    } = &err
    else {
        panic!("unexpected: {err}");
    };
    assert_eq!(
        (*version, *direction, *statement, *line),
        (v(2), Direction::Down, 2, 2),
        "{err}"
    );
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(versions(&history), [1, 2]);
    if d.dialect() == Dialect::MySql {
        assert_eq!(history[1].state, State::Failed);
        assert_eq!(user_tables(&mut d).await, ["base"]);
    } else {
        assert_eq!(history[1].state, State::Applied);
        assert_eq!(user_tables(&mut d).await, ["base", "more_things"]);
    }
    assert_eq!(
        log_actions(&m, &mut d).await,
        ["up:1:ok", "up:2:ok", "down:2:failed"]
    );
}

pub async fn failing_statement_case<C: Connect>(ctx: &Ctx<C>, config: Config) {
    let tree = Tree::new(FAILING);
    let set = tree.set();
    let m = Migrator::with_config(&set, config);
    let mut d = ctx.driver().await;
    let err = m.up(&mut d, Target::Latest).await.expect_err("fails");
    let Error::StatementFailed {
        version,
        statement,
        line,
        atomic,
        script,
        ..
    } = &err
    else {
        panic!("unexpected: {err}");
    };
    assert_eq!(
        (*version, *statement, *line, script.as_str()),
        (v(2), 3, 3, "V2__breaks/up.sql")
    );
    let history = m.history(&mut d).await.expect("history");
    match d.dialect() {
        Dialect::Postgres | Dialect::Sqlite => {
            assert!(atomic);
            // No trace: V1 applied and committed, V2's first statements rolled back.
            assert_eq!(versions(&history), [1]);
            assert_eq!(user_tables(&mut d).await, ["base"]);
            assert_eq!(count(&mut d, "base").await, "0");
        }
        Dialect::MySql => {
            assert!(!atomic);
            assert_eq!(versions(&history), [1, 2]);
            let row = &history[1];
            assert_eq!(row.state, State::Failed);
            assert_eq!((row.statements_done, row.statements_total), (2, 4));
            assert!(
                row.error
                    .as_deref()
                    .is_some_and(|e| e.contains("missing_table")),
                "{row:?}"
            );
            assert_eq!(user_tables(&mut d).await, ["base", "first_part"]);
        }
    }
    assert_eq!(log_actions(&m, &mut d).await, ["up:1:ok", "up:2:failed"]);
}

pub async fn failed_row_resumes_after_the_cause_is_fixed<C: Connect>(ctx: &Ctx<C>) {
    let mut d = ctx.driver().await;
    let tree = journaled_failure(d.dialect()).expect("generated for journaling backends only");
    let set = tree.set();
    let m = migrator(&set);
    m.up(&mut d, Target::Latest).await.expect_err("fails");
    let refused = m.up(&mut d, Target::Latest).await.expect_err("refused");
    match &refused {
        Error::FailedMigration {
            version,
            statement,
            statements_total,
            error,
            ..
        } => {
            assert_eq!((*version, *statement, *statements_total), (v(2), 3, 4));
            assert!(error.is_some());
        }
        other => panic!("unexpected: {other}"),
    }
    let message = refused.to_string();
    assert!(
        message.contains("resume") && message.contains("repair"),
        "{message}"
    );
    // Fix the cause, then resume from the failed statement.
    d.execute("CREATE TABLE missing_table (id INTEGER)")
        .await
        .expect("fix");
    let report = m.resume(&mut d, Resume::AfterFix).await.expect("resume");
    assert_eq!(report.steps[0].statements, 2);
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(history[1].state, State::Applied);
    assert_eq!(history[1].statements_done, 4);
    assert_eq!(
        user_tables(&mut d).await,
        ["base", "first_part", "last_part", "missing_table"]
    );
    assert_eq!(count(&mut d, "base").await, "1", "statement 2 ran once");
    assert_eq!(
        log_actions(&m, &mut d).await,
        ["up:1:ok", "up:2:failed", "resume:2:ok"]
    );
    m.validate(&mut d).await.expect("valid");
}

pub async fn failed_row_is_repaired_after_manual_cleanup<C: Connect>(ctx: &Ctx<C>) {
    let mut d = ctx.driver().await;
    let Some(tree) = journaled_failure(d.dialect()) else {
        let tree = Tree::new(BASIC);
        let set = tree.set();
        let err = migrator(&set)
            .repair(&mut d)
            .await
            .expect_err("nothing to repair");
        assert!(matches!(err, Error::NothingToRepair), "{err}");
        return;
    };
    let set = tree.set();
    let m = migrator(&set);
    m.up(&mut d, Target::Latest).await.expect_err("fails");
    // Undo statements 1 and 2 by hand, then repair.
    d.execute("DROP TABLE first_part").await.expect("clean up");
    d.execute("DELETE FROM base").await.expect("clean up");
    m.repair(&mut d).await.expect("repair");
    assert_eq!(versions(&m.history(&mut d).await.expect("history")), [1]);
    assert_eq!(
        log_actions(&m, &mut d).await,
        ["up:1:ok", "up:2:failed", "repair:2:ok"]
    );
    d.execute("CREATE TABLE missing_table (id INTEGER)")
        .await
        .expect("fix");
    m.up(&mut d, Target::Latest).await.expect("up after repair");
    assert_eq!(versions(&m.history(&mut d).await.expect("history")), [1, 2]);
}

/// A tree whose V2 fails at statement 3 of 4 and is journaled on this backend: always on
/// MySQL/MariaDB, with `-- migrate:no-transaction` on PostgreSQL, never on SQLite.
pub fn journaled_failure(dialect: Dialect) -> Option<Tree> {
    let tree = Tree::new(FAILING);
    match dialect {
        Dialect::MySql => Some(tree),
        Dialect::Postgres => {
            tree.write(
                "V2__breaks/up.sql",
                &format!("-- migrate:no-transaction\n{}", FAILING[2].1),
            );
            // The directive shifts every line by one; statement numbers stay.
            Some(tree)
        }
        Dialect::Sqlite => None,
    }
}
