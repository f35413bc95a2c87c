//! Suite tests for a connection lost in the middle of a migration.

use std::time::{Duration, Instant};

use migrate_core::driver::Driver;
use migrate_core::history::{AppliedMigration, State};
use migrate_core::{Dialect, Error, Migrator, Resume, Target};

use super::{migrator, tables, Connect, Ctx, Tree};

/// The server ends the session while a statement runs (`KILL`, `pg_terminate_backend`): the
/// error says the statement's outcome is unknown and to check `status`, and `resume` refuses
/// to overwrite the unknown state until the operator says whether it took effect.
pub async fn lost_connection_says_the_outcome_is_unknown_and_resume_asks_for_a_choice<
    C: Connect,
>(
    ctx: &Ctx<C>,
) {
    let d = ctx.driver().await;
    let dialect = d.dialect();
    let (sleep, whoami) = match dialect {
        // In-process: there is no connection to lose.
        Dialect::Sqlite => return,
        Dialect::MySql => ("SELECT SLEEP(2)", "SELECT CAST(CONNECTION_ID() AS CHAR)"),
        Dialect::Postgres => ("SELECT pg_sleep(2)", "SELECT pg_backend_pid()::text"),
    };
    let up = format!(
        "CREATE TABLE first_table (id INTEGER);\n{sleep};\nCREATE TABLE last_table (id INTEGER);\n"
    );
    let tree = Tree::new(&[
        ("V1/up.sql", up.as_str()),
        (
            "V1/down.sql",
            "DROP TABLE last_table;\nDROP TABLE first_table;\n",
        ),
    ]);
    let set = tree.set();
    let m = migrator(&set);
    let err = up_killed_in_its_sleep(ctx, &m, d, whoami).await;
    let text = err.to_string();
    assert!(matches!(err, Error::ConnectionLost { .. }), "{err:?}");
    assert!(
        text.contains("unknown") && text.contains("`status`"),
        "{text}"
    );

    let mut d = ctx.driver().await;
    let applied = m.history(&mut d).await.expect("history");
    if dialect == Dialect::Postgres {
        // One transaction: the server rolled it back with the session.
        assert!(applied.is_empty(), "{applied:?}");
        assert!(matches!(
            m.resume(&mut d, Resume::AfterFix).await,
            Err(Error::NothingToResume)
        ));
        m.up(&mut d, Target::Latest).await.expect("up again");
        return;
    }
    resume_asks_whether_the_statement_took_effect(&m, &mut d, &applied[0]).await;
}

/// Runs `m.up` on `d` while another connection kills `d`'s session (named by the query
/// `whoami`) in its sleep; the error the run ends with.
async fn up_killed_in_its_sleep<C: Connect>(
    ctx: &Ctx<C>,
    m: &Migrator<'_>,
    mut d: C::D,
    whoami: &str,
) -> Error {
    let dialect = d.dialect();
    let rows = d.query(whoami).await.expect("session id");
    let id = rows[0][0].clone().expect("session id");
    let mut killer = ctx.driver().await;
    let kill = async {
        wait_until_sleeping(&mut killer, &id).await;
        let kill = match dialect {
            Dialect::MySql => format!("KILL {id}"),
            _ => format!("SELECT pg_terminate_backend({id})"),
        };
        killer.execute(&kill).await.expect("kill");
    };
    let (result, ()) = tokio::join!(m.up(&mut d, Target::Latest), kill);
    drop(d);
    result.expect_err("the session was killed")
}

/// On MySQL/MariaDB the killed version's `row` stays failed with no error recorded: `resume`
/// refuses to guess whether the statement in flight took effect, and leaves the row as it
/// was; told by the operator, it finishes the version.
async fn resume_asks_whether_the_statement_took_effect<D: Driver>(
    m: &Migrator<'_>,
    d: &mut D,
    row: &AppliedMigration,
) {
    assert_eq!(
        (row.state, row.error.as_deref()),
        (State::Failed, None),
        "{row:?}"
    );
    let in_flight = row.statements_done + 1;
    let err = m
        .resume(d, Resume::AfterFix)
        .await
        .expect_err("resume must ask whether the statement took effect");
    let Error::ResumeOutcomeUnknown { statement, .. } = &err else {
        panic!("unexpected: {err:?}");
    };
    assert_eq!(*statement, in_flight);
    assert!(err.to_string().contains("--rerun"), "{err}");
    let unchanged = m.history(d).await.expect("history");
    assert_eq!(unchanged[0].error, None, "the refused resume wrote the row");
    assert_eq!(unchanged[0].statements_done, row.statements_done);
    // The operator's check: statement 1 took effect when its table exists; the sleep changed
    // nothing and can run again.
    let first_exists = tables(d).await.contains(&"first_table".to_owned());
    assert!(first_exists);
    let choice = if in_flight == 1 {
        Resume::Skip
    } else {
        Resume::Rerun
    };
    m.resume(d, choice).await.expect("resume with a choice");
    let applied = m.history(d).await.expect("history");
    assert_eq!(applied[0].state, State::Applied);
    assert!(tables(d).await.contains(&"last_table".to_owned()));
}

/// Waits until session `id` is in its sleep (at most 30 s).
async fn wait_until_sleeping<D: Driver>(d: &mut D, id: &str) {
    let probe = match d.dialect() {
        Dialect::MySql => format!(
            "SELECT CAST(COUNT(*) AS CHAR) FROM information_schema.PROCESSLIST \
             WHERE ID = {id} AND STATE = 'User sleep'"
        ),
        _ => format!(
            "SELECT count(*)::text FROM pg_stat_activity WHERE pid = {id} \
             AND wait_event = 'PgSleep'"
        ),
    };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        let rows = d.query(&probe).await.expect("probe");
        if rows[0][0].as_deref() == Some("1") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("session {id} never reached its sleep");
}
