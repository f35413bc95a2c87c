//! Start-up cost and the no-op shortcut; `execute_batch` stopping at the failing statement.

use super::*;

pub async fn no_op_start_up_is_one_round_trip<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut first = ctx.driver().await;
    m.up(&mut first, Target::Latest).await.expect("up");
    let mut d = Counting::new(ctx.driver().await);
    let report = m.up(&mut d, Target::Latest).await.expect("no-op");
    assert!(report.steps.is_empty());
    assert_eq!(d.hook.calls.len(), 1, "calls: {:#?}", d.hook.calls);
    assert!(d.hook.calls[0].starts_with("SELECT"), "{:?}", d.hook.calls);
    // A target already reached is a no-op too.
    d.hook.calls.clear();
    let report = m.up(&mut d, Target::Version(v(1))).await.expect("no-op");
    assert!(report.steps.is_empty());
    assert_eq!(d.hook.calls.len(), 1, "calls: {:#?}", d.hook.calls);
}

/// `execute_batch` stops at the first failing statement and names it; nothing after it runs.
pub async fn batch_stops_at_and_names_the_failing_statement<C: Connect>(ctx: &Ctx<C>) {
    let mut d = ctx.driver().await;
    d.execute("CREATE TABLE batch_target (a INTEGER)")
        .await
        .expect("create");
    let statements = [
        "INSERT INTO batch_target (a) VALUES (1)",
        "INSERT INTO batch_target (a) VALUES (2) -- a comment ends this statement",
        "INSERT INTO missing_table (a) VALUES (3)",
        "INSERT INTO batch_target (a) VALUES (4)",
    ];
    let failed = d
        .execute_batch(Batch {
            begin: true,
            statements: &statements,
            commit: true,
        })
        .await
        .expect_err("the third statement fails");
    assert_eq!(failed.part, BatchPart::Statement(2), "{failed}");
    assert!(
        failed.error.to_string().contains("missing_table"),
        "{failed}"
    );
    d.rollback().await.expect("rollback");
    assert_eq!(count(&mut d, "batch_target").await, "0");
    // Without a unit each statement stands alone, except that PostgreSQL runs one
    // multi-statement query as one implicit transaction.
    let failed = d
        .execute_batch(Batch {
            begin: false,
            statements: &statements,
            commit: false,
        })
        .await
        .expect_err("the third statement fails");
    assert_eq!(failed.part, BatchPart::Statement(2), "{failed}");
    let kept = match d.dialect() {
        Dialect::Postgres => "0",
        Dialect::MySql | Dialect::Sqlite => "2",
    };
    assert_eq!(count(&mut d, "batch_target").await, kept);
    // A whole batch that succeeds commits.
    d.execute_batch(Batch {
        begin: true,
        statements: &statements[..2],
        commit: true,
    })
    .await
    .expect("batch");
    let all = match d.dialect() {
        Dialect::Postgres => "2",
        Dialect::MySql | Dialect::Sqlite => "4",
    };
    assert_eq!(count(&mut d, "batch_target").await, all);
    batches_with_rows_fail_without_harm(&mut d, &statements, all).await;
}

/// The batch test's end, on a table holding `all` rows: a batch whose first part fails, or
/// whose part after one that returned rows fails, names that part and changes nothing, and
/// the connection is usable after a batch that returned rows. `statements` are the test's.
async fn batches_with_rows_fail_without_harm<D: Driver>(
    d: &mut D,
    statements: &[&'static str],
    all: &str,
) {
    // The first part failing, and a failure after a part that returned rows.
    for (statements, part) in [
        (&statements[2..], 0),
        (&["SELECT a FROM batch_target", statements[2]][..], 1),
    ] {
        let failed = d
            .execute_batch(Batch {
                begin: false,
                statements,
                commit: false,
            })
            .await
            .expect_err("a statement fails");
        assert_eq!(failed.part, BatchPart::Statement(part), "{failed}");
    }
    assert_eq!(count(d, "batch_target").await, all);
    // The connection is usable after a batch that returned rows.
    d.execute_batch(Batch {
        begin: false,
        statements: &["SELECT a FROM batch_target", statements[0]],
        commit: false,
    })
    .await
    .expect("a batch with rows");
    assert_ne!(count(d, "batch_target").await, all);
}

/// The no-op shortcut says "nothing to apply" only for a history that holds every version up
/// to the target, applied, with the embedded checksum; anything else goes to the locked path,
/// which applies or refuses.
pub async fn no_op_shortcut_hands_anything_irregular_to_the_locked_path<C: Connect>(ctx: &Ctx<C>) {
    let tree = Tree::new(BASIC);
    let set = tree.set();
    let m = migrator(&set);
    let mut d = ctx.driver().await;
    m.up(&mut d, Target::Version(v(1))).await.expect("up to 1");
    // A version not yet applied: not a no-op.
    let report = m.up(&mut d, Target::Latest).await.expect("up");
    assert_eq!(report.steps.len(), 2);
    // A target the binary does not know: refused, not a silent no-op.
    let err = m
        .up(&mut d, Target::Version(v(9)))
        .await
        .expect_err("unknown target");
    assert!(err.to_string().contains('9'), "{err}");
    // A recorded checksum that is not the embedded one: refused.
    let table = m.config().history_table().to_string();
    d.execute(&format!(
        "UPDATE {table} SET checksum = 'sha256:{}' WHERE version = 1",
        "0".repeat(64)
    ))
    .await
    .expect("tamper with the checksum");
    let err = m.up(&mut d, Target::Latest).await.expect_err("changed");
    assert!(
        matches!(err, Error::ChecksumMismatch { version, .. } if version == v(1)),
        "{err:?}"
    );
    // A failed row: refused.
    let embedded = set.get(v(1)).expect("V1").scripts(Direction::Up)[0].checksum();
    d.execute(&format!(
        "UPDATE {table} SET checksum = '{embedded}', state = 'failed' WHERE version = 1"
    ))
    .await
    .expect("mark failed");
    let err = m.up(&mut d, Target::Latest).await.expect_err("failed row");
    assert!(matches!(err, Error::FailedMigration { .. }), "{err:?}");
    // Back to applied: a no-op again.
    d.execute(&format!(
        "UPDATE {table} SET state = 'applied' WHERE version = 1"
    ))
    .await
    .expect("mark applied");
    let report = m.up(&mut d, Target::Latest).await.expect("no-op");
    assert!(report.steps.is_empty());
}
