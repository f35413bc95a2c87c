//! Empty and comment-only scripts: versions that run no statement (issue 21, point 11).

use migrate_core::history::State;
use migrate_core::plan::PlanWarning;
use migrate_core::{Direction, Error, Target};

use super::{migrator, user_tables, v, versions, Connect, Ctx, Tree};

/// V2's scripts are empty and comment-only, V3's are a BOM alone and blank lines; V4's down
/// script holds only `-- migrate:irreversible`.
const NO_OPS: &[(&str, &str)] = &[
    ("V1__users/up.sql", "CREATE TABLE users (id INTEGER);\n"),
    ("V1__users/down.sql", "DROP TABLE users;\n"),
    ("V2__nothing/up.sql", ""),
    (
        "V2__nothing/down.sql",
        "-- nothing to undo\n/* kept for the history */\n",
    ),
    ("V3__bom/up.sql", "\u{feff}"),
    ("V3__bom/down.sql", "\n  \n\t\n"),
    ("V4__final/up.sql", "-- a marker version\n"),
    ("V4__final/down.sql", "-- migrate:irreversible\n"),
];

pub async fn empty_and_comment_only_scripts_apply_and_revert_as_no_ops<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(NO_OPS);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;

    let plan = m.plan_up(&mut d, Target::Latest).await.expect("plan");
    let warned: Vec<(u32, Direction)> = plan
        .warnings()
        .iter()
        .map(|w| match w {
            PlanWarning::NoOpScript {
                version, direction, ..
            } => (version.get(), *direction),
            other => panic!("unexpected warning {other:?}"),
        })
        .collect();
    assert_eq!(
        warned,
        [(2, Direction::Up), (3, Direction::Up), (4, Direction::Up)]
    );

    let report = m.up(&mut d, Target::Latest).await.expect("up");
    let applied: Vec<(u32, usize)> = report
        .steps
        .iter()
        .map(|s| (s.version.get(), s.statements))
        .collect();
    assert_eq!(applied, [(1, 1), (2, 0), (3, 0), (4, 0)]);
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(versions(&history), [1, 2, 3, 4]);
    for row in &history[1..] {
        assert_eq!(row.state, State::Applied, "V{}", row.version);
        assert_eq!((row.statements_done, row.statements_total), (0, 0));
    }
    assert_eq!(user_tables(&mut d).await, ["users"]);
    // Nothing left to do, and validate is content.
    assert!(m
        .up(&mut d, Target::Latest)
        .await
        .expect("again")
        .steps
        .is_empty());

    // `-- migrate:irreversible` alone still refuses the revert.
    let err = m
        .down(&mut d, Target::Version(v(3)))
        .await
        .expect_err("irreversible");
    assert!(
        matches!(&err, Error::Irreversible { version, .. } if *version == v(4)),
        "{err}"
    );
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2, 3, 4]
    );
}

/// Without the irreversible V4, the no-op versions revert like any other.
pub async fn empty_scripts_revert_to_empty<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(&NO_OPS[..6]);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Latest).await.expect("up");
    let plan = m.plan_down(&mut d, Target::Empty).await.expect("plan down");
    assert_eq!(plan.warnings().len(), 2, "{:?}", plan.warnings());
    let report = m.down(&mut d, Target::Empty).await.expect("down");
    let reverted: Vec<u32> = report.steps.iter().map(|s| s.version.get()).collect();
    assert_eq!(reverted, [3, 2, 1]);
    assert!(m.history(&mut d).await.expect("history").is_empty());
    assert!(user_tables(&mut d).await.is_empty());
    m.up(&mut d, Target::Latest).await.expect("up again");
    assert_eq!(
        versions(&m.history(&mut d).await.expect("history")),
        [1, 2, 3]
    );
}
