//! MySQL/MariaDB journaling: writes travel with the statements, bounded batches, a `CALL`
//! alone, and refused journal writes that leave a truthful row.

use super::*;

/// MySQL/MariaDB journal every statement, but the journal writes go in the same round trip as
/// the statements, and a script's statements in one round trip: a statement that keeps a
/// transaction open commits together with the write that records it (and the writes still
/// owed), the write that records a DDL statement goes just before the next statement, and the
/// closing write (history row and log row) goes with the last statement when nothing has to be
/// described in between. The server times the step, the last statement included.
pub async fn mysql_journal_writes_travel_with_the_statements<C: Connect>(ctx: &Ctx<C>) {
    let mut d = Counting::new(ctx.driver().await);
    assert_eq!(
        d.dialect(),
        Dialect::MySql,
        "generated for MySQL/MariaDB only"
    );
    let tree = Tree::new(&[
        (
            "V1__timed/up.sql",
            "CREATE TABLE timed (id INTEGER);\n\
             INSERT INTO timed (id) VALUES (1);\n\
             CREATE INDEX timed_id ON timed (id);\n\
             ALTER TABLE timed ADD COLUMN note VARCHAR(20) NULL;\n\
             UPDATE timed SET note = 'a;b' WHERE id = 1;\n\
             DO SLEEP(0.3);\n",
        ),
        (
            "V1__timed/down.sql",
            "DELETE FROM timed;\nDROP TABLE timed;\n",
        ),
    ]);
    let set = tree.set();
    let m = Migrator::with_config(&set, config().fingerprints(Fingerprints::Off));
    let batches = |calls: &[String]| calls.iter().filter(|c| c.starts_with("batch")).count();

    m.up(&mut d, Target::Latest).await.expect("up");
    // One round trip for the script and its journal: the journal row first, the DDL
    // statements' records ahead of the statements after them, and the closing write with the
    // last statement.
    assert_eq!(batches(&d.hook.calls), 1, "{:#?}", d.hook.calls);
    assert!(
        !d.hook
            .calls
            .iter()
            .any(|c| c.contains("statements_done = ") && !c.starts_with("batch")),
        "a journal write went alone: {:#?}",
        d.hook.calls
    );
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(history[0].state, State::Applied);
    assert_eq!(history[0].statements_done, 6);
    assert!(
        history[0].execution_ms >= 300,
        "the server's timing includes the last statement: {} ms",
        history[0].execution_ms
    );
    let log = m.log(&mut d).await.expect("log");
    assert!(log[0].duration_ms >= 300, "{:?}", log[0]);
    assert_eq!(count(&mut d, "timed").await, "1");

    d.hook.calls.clear();
    m.down(&mut d, Target::Empty).await.expect("down");
    // DELETE with its record, then DROP with the row removed and the log row: one batch.
    assert_eq!(batches(&d.hook.calls), 1, "{:#?}", d.hook.calls);
    assert!(m.history(&mut d).await.expect("history").is_empty());
    assert_eq!(log_actions(&m, &mut d).await, ["up:1:ok", "down:1:ok"]);

    // With fingerprints on, the schema is described after the last statement and before the
    // closing write, which then takes its own round trip.
    let m = migrator(&set);
    d.hook.calls.clear();
    m.up(&mut d, Target::Latest).await.expect("up");
    assert_eq!(batches(&d.hook.calls), 2, "{:#?}", d.hook.calls);
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(
        (history[0].state, history[0].statements_done),
        (State::Applied, 6)
    );
    assert!(history[0].fingerprint.is_some());
}

/// A `CALL` sends back one result per statement its routine runs, so in a batch the results
/// read before an error would no longer say which part failed: it travels alone, and a failure
/// after it is still placed exactly (row, error, resume).
pub async fn mysql_a_call_travels_alone_and_a_failure_after_it_is_placed<C: Connect>(ctx: &Ctx<C>) {
    let mut d = Counting::new(ctx.driver().await);
    assert_eq!(
        d.dialect(),
        Dialect::MySql,
        "generated for MySQL/MariaDB only"
    );
    let tree = Tree::new(&[
        (
            "V1__called/up.sql",
            "CREATE TABLE called (id INTEGER);
             CREATE PROCEDURE fill_called() BEGIN INSERT INTO called VALUES (10);              SELECT id FROM called; SELECT 2; END;
             INSERT INTO called (id) VALUES (1);
             CALL fill_called();
             INSERT INTO called (id) VALUES (2);
             INSERT INTO called_later (id) VALUES (3);
             INSERT INTO called (id) VALUES (4);
",
        ),
        (
            "V1__called/down.sql",
            "DROP PROCEDURE fill_called;
DROP TABLE called;
",
        ),
    ]);
    let set = tree.set();
    let m = Migrator::with_config(&set, config().fingerprints(Fingerprints::Off));
    a_failure_after_a_call_is_placed(&m, &mut d).await;
    resume_after_a_call_sends_the_rest_in_one_batch(&m, &mut d).await;
    a_failure_after_a_routines_results_is_placed(&tree, &mut d).await;
}

/// V1 fails at its statement 6, after the `CALL` (statement 4) went alone: the row says 5
/// statements done, and the rows of statements 3 to 5 committed.
async fn a_failure_after_a_call_is_placed<D: Driver>(m: &Migrator<'_>, d: &mut Counting<D>) {
    let err = m.up(d, Target::Latest).await.expect_err("fails");
    assert!(
        matches!(
            err,
            Error::StatementFailed {
                statement: 6,
                line: 6,
                ..
            }
        ),
        "{err}"
    );
    // The statements before the CALL, the CALL, the statements after it (up to the failure),
    // then the failure's record.
    let sent: Vec<&String> = d
        .hook
        .calls
        .iter()
        .filter(|c| c.starts_with("batch"))
        .collect();
    assert_eq!(sent.len(), 4, "{:#?}", d.hook.calls);
    assert!(sent[1].contains("CALL fill_called()"), "{:#?}", sent);
    assert!(
        !sent[0].contains("CALL") && !sent[2].contains("CALL"),
        "{sent:#?}"
    );
    let history = m.history(d).await.expect("history");
    assert_eq!(
        (history[0].state, history[0].statements_done),
        (State::Failed, 5),
        "every statement before the failed one is recorded as done: {history:?}"
    );
    assert!(history[0]
        .error
        .as_deref()
        .unwrap_or("")
        .contains("called_later"));
    // The rows of statements 3 to 5 (the CALL's included) committed; the failed one's did not.
    assert_eq!(count(d, "called").await, "3");
}

/// Resuming after the fix runs the failed statement and the one after it, in one batch.
async fn resume_after_a_call_sends_the_rest_in_one_batch<D: Driver>(
    m: &Migrator<'_>,
    d: &mut Counting<D>,
) {
    let batches = |calls: &[String]| calls.iter().filter(|c| c.starts_with("batch")).count();
    d.execute("CREATE TABLE called_later (id INTEGER)")
        .await
        .expect("fix");
    d.hook.calls.clear();
    let report = m.resume(d, Resume::AfterFix).await.expect("resume");
    assert_eq!(report.steps[0].statements, 2);
    assert_eq!(batches(&d.hook.calls), 1, "{:#?}", d.hook.calls);
    assert_eq!(count(d, "called").await, "4");
    assert_eq!(count(d, "called_later").await, "1");
    let history = m.history(d).await.expect("history");
    assert_eq!(
        (history[0].state, history[0].statements_done),
        (State::Applied, 7)
    );
}

/// MariaDB's `SET STATEMENT … FOR CALL` sends back the routine's results too; a last
/// statement that fails after results of its own is placed as well.
async fn a_failure_after_a_routines_results_is_placed<D: Driver>(tree: &Tree, d: &mut Counting<D>) {
    tree.write(
        "V2__called_again/up.sql",
        "INSERT INTO called (id) VALUES (20);\n\
         SET STATEMENT max_statement_time = 0 FOR CALL fill_called();\n\
         INSERT INTO called_nowhere (id) VALUES (21);\n",
    );
    tree.write(
        "V2__called_again/down.sql",
        "DELETE FROM called WHERE id >= 20;\n",
    );
    tree.write(
        "V3__call_fails/up.sql",
        "CREATE PROCEDURE fail_after_rows() BEGIN SELECT 1; INSERT INTO called_nowhere VALUES (1); END;\n\
         CALL fail_after_rows();\n",
    );
    tree.write(
        "V3__call_fails/down.sql",
        "DROP PROCEDURE fail_after_rows;\n",
    );
    let set = tree.set();
    let m = Migrator::with_config(&set, config().fingerprints(Fingerprints::Off));
    up_fails_at(&m, d, 3, (1, 2)).await;
    d.execute("CREATE TABLE called_nowhere (id INTEGER)")
        .await
        .expect("fix");
    // `resume` finishes V2 only. Without the table again, V3's CALL sends back a result set
    // and then fails inside its routine: as the last statement, it carries no closing write.
    m.resume(d, Resume::AfterFix).await.expect("resume");
    d.execute("DROP TABLE called_nowhere").await.expect("drop");
    // The failed CALL is not recorded as done.
    up_fails_at(&m, d, 2, (2, 1)).await;
}

/// `up` fails at `statement` (on the line of the same number), and history row `row` is
/// failed with `done` statements done.
pub async fn up_fails_at<D: Driver>(
    m: &Migrator<'_>,
    d: &mut D,
    statement: u32,
    (row, done): (usize, u32),
) {
    let err = m.up(d, Target::Latest).await.expect_err("fails");
    assert!(
        matches!(err, Error::StatementFailed { statement: s, line, .. } if s == statement && line == statement),
        "{err}"
    );
    let history = m.history(d).await.expect("history");
    assert_eq!(
        (history[row].state, history[row].statements_done),
        (State::Failed, done),
        "{history:?}"
    );
}

/// A long script is cut into batches of about a mebibyte, so that no batch comes near the
/// server's `max_allowed_packet`; a statement longer than that goes alone.
pub async fn mysql_a_long_script_travels_in_bounded_batches<C: Connect>(ctx: &Ctx<C>) {
    let mut d = Counting::new(ctx.driver().await);
    assert_eq!(
        d.dialect(),
        Dialect::MySql,
        "generated for MySQL/MariaDB only"
    );
    let text = "x".repeat(400_000);
    let long = "y".repeat(1_200_000);
    let up = format!(
        "CREATE TABLE long_texts (id INTEGER, body LONGTEXT);\n\
         INSERT INTO long_texts VALUES (1, '{text}');\n\
         INSERT INTO long_texts VALUES (2, '{text}');\n\
         INSERT INTO long_texts VALUES (3, '{text}');\n\
         INSERT INTO long_texts VALUES (4, '{long}');\n\
         INSERT INTO long_texts VALUES (5, 'short');\n"
    );
    let tree = Tree::new(&[
        ("V1__long/up.sql", up.as_str()),
        ("V1__long/down.sql", "DROP TABLE long_texts;\n"),
    ]);
    let set = tree.set();
    let m = Migrator::with_config(&set, config().fingerprints(Fingerprints::Off));
    m.up(&mut d, Target::Latest).await.expect("up");
    let sizes: Vec<usize> = d
        .hook
        .calls
        .iter()
        .filter(|c| c.starts_with("batch"))
        .map(String::len)
        .collect();
    // CREATE and the first two INSERTs; the third; the long one alone; the last with the
    // closing write.
    assert_eq!(sizes.len(), 4, "batch sizes: {sizes:?}");
    assert!(sizes[0] > 800_000 && sizes[0] < 1 << 20, "{sizes:?}");
    assert!(sizes[2] > 1_200_000 && sizes[3] < 10_000, "{sizes:?}");
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(
        (history[0].state, history[0].statements_done),
        (State::Applied, 6)
    );
    assert_eq!(count(&mut d, "long_texts").await, "5");
}

/// A statement that fails in its transaction rolls back the journal writes that shared it (the
/// journal row itself, or the record of the DDL statement before it): they are made again, so
/// that the failed row says exactly how far the step got.
pub async fn mysql_failure_keeps_the_journal_writes_its_transaction_held<C: Connect>(ctx: &Ctx<C>) {
    let mut d = ctx.driver().await;
    assert_eq!(
        d.dialect(),
        Dialect::MySql,
        "generated for MySQL/MariaDB only"
    );
    let tree = Tree::new(&[
        // The first statement fails: the journal row was in its transaction.
        ("V1__first/up.sql", "INSERT INTO nowhere (id) VALUES (1);\n"),
        ("V1__first/down.sql", "DELETE FROM somewhere;\n"),
    ]);
    let set = tree.set();
    let m = migrator(&set);
    let err = m.up(&mut d, Target::Latest).await.expect_err("fails");
    assert!(
        matches!(err, Error::StatementFailed { statement: 1, .. }),
        "{err}"
    );
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(history.len(), 1, "the failed row exists: {history:?}");
    assert_eq!(
        (history[0].state, history[0].statements_done),
        (State::Failed, 0)
    );
    assert!(history[0]
        .error
        .as_deref()
        .unwrap_or("")
        .contains("nowhere"));

    // A DDL statement, then a failing DML statement whose transaction carried the DDL
    // statement's record: the failure record says how many statements completed.
    m.repair(&mut d).await.expect("repair");
    tree.write(
        "V1__first/up.sql",
        "CREATE TABLE first_made (id INTEGER);\nINSERT INTO nowhere (id) VALUES (1);\n",
    );
    let set = tree.set();
    let m = migrator(&set);
    m.up(&mut d, Target::Latest).await.expect_err("fails");
    let history = m.history(&mut d).await.expect("history");
    assert_eq!(
        (history[0].state, history[0].statements_done),
        (State::Failed, 1),
        "the CREATE is recorded as done: {history:?}"
    );
    // Resuming after the fix runs only the failed statement.
    d.execute("CREATE TABLE nowhere (id INTEGER)")
        .await
        .expect("fix");
    let report = m.resume(&mut d, Resume::AfterFix).await.expect("resume");
    assert_eq!(report.steps[0].statements, 1);
    assert_eq!(count(&mut d, "nowhere").await, "1");
}

/// A trigger `name` that refuses writes `on` a table (`UPDATE ON schema_history`, …) while
/// `when` holds, standing in for a full disk, a lost connection or a revoked privilege.
pub async fn refuse<D: Driver>(d: &mut D, name: &str, on: &str, when: &str) {
    d.execute(&format!(
        "CREATE TRIGGER {name} BEFORE {on} FOR EACH ROW BEGIN IF {when} THEN \
         SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'journal write refused by {name}'; \
         END IF; END"
    ))
    .await
    .expect("trigger");
}

/// `err` says that applying `version` (two statements) stopped after every statement because
/// the trigger `refused_by` refused its closing write, and the row says so: failed, with
/// both statements done and the cause.
pub async fn closing_write_was_refused<D: Driver>(
    m: &Migrator<'_>,
    d: &mut D,
    err: &Error,
    version: u32,
    refused_by: &str,
) {
    assert!(
        matches!(
            err,
            Error::JournalFailed {
                stop: JournalStop::AllDone,
                line: None,
                recorded: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&format!(
            "applying version {version} did not finish: all 2 statements"
        )),
        "{err}"
    );
    let failed = history_row(m, d, version).await;
    assert_eq!((failed.state, failed.statements_done), (State::Failed, 2));
    assert!(
        failed
            .error
            .as_deref()
            .is_some_and(|e| e.contains(&format!("refused by {refused_by}"))),
        "{failed:?}"
    );
}

/// The history row of `version`.
pub async fn history_row<D: Driver>(m: &Migrator<'_>, d: &mut D, version: u32) -> AppliedMigration {
    m.history(d)
        .await
        .expect("history")
        .into_iter()
        .find(|r| r.version == v(version))
        .expect("row")
}

/// A journal write the server refuses (a trigger on the history tables stands in for a full
/// disk, a lost connection or a revoked privilege): version 2 of a two-version tree is applied
/// (or reverted) while `when` holds for a write `on` a history table.
///
/// Every case checks the same facts: the error says where the step stood and carries the
/// server's refusal; the row says how far the step got, with the cause when `recorded`; a
/// statement rolled back with the write is undone; the next run refuses with the same facts;
/// once the trigger is gone the step finishes with each statement applied once; and the log
/// holds every outcome it could record.
pub struct Refusal {
    /// Version 2's up script.
    pub up: &'static str,
    /// Version 2's down script.
    pub down: &'static str,
    /// Whether version 2 is applied or (after being applied) reverted when refused.
    pub direction: Direction,
    /// The trigger's event, such as `UPDATE ON schema_history`.
    pub on: &'static str,
    /// The trigger's condition.
    pub when: &'static str,
    /// Fingerprints for every run of the case.
    pub fingerprints: Fingerprints,
    /// Where the step stood, as the error says.
    pub stop: JournalStop,
    /// The line the error names.
    pub line: Option<u32>,
    /// How many statements the script has.
    pub statements: u32,
    /// Whether the row was brought to say where the step stopped.
    pub recorded: bool,
    /// Phrases of the error's message.
    pub says: &'static [&'static str],
    /// The statements the row counts as done after the refusal; `None`: no row was written.
    pub done: Option<u32>,
    /// Phrases of the row's error besides the refusal (only for a `recorded` row).
    pub row_says: &'static [&'static str],
    /// The user tables after the refusal.
    pub tables: &'static [&'static str],
    /// The table version 2 inserts one row into: empty after the refusal, one row at the end.
    pub inserts_into: Option<&'static str>,
    /// How the step is finished once the trigger is gone.
    pub then: Then,
    /// The user tables at the end.
    pub tables_after: &'static [&'static str],
    /// The log at the end, as `action:version:outcome`.
    pub log: &'static [&'static str],
}

/// How a refused step is finished.
pub enum Then {
    /// The next run is refused by the failed row, which names `statement` and whose message
    /// holds `says`; once the trigger is gone, `resume` with `mode` runs `ran` statements.
    Resume {
        /// The statement the failed row names.
        statement: u32,
        /// Phrases of the refusal.
        says: &'static [&'static str],
        /// How to resume.
        mode: Resume,
        /// How many statements the resume runs.
        ran: usize,
    },
    /// Once the trigger is gone, the same command succeeds.
    Retry,
}

/// `refusals! { name: Refusal { … }, … }`: one suite test per case, named after it.
macro_rules! refusals {
    ($($(#[$doc:meta])* $name:ident: $case:expr,)*) => {
        $(
            $(#[$doc])*
            pub async fn $name<C: Connect>(ctx: &Ctx<C>) {
                check_refusal(ctx, $case).await;
            }
        )*
    };
}

const REFUSED_BY: &str = "journal write refused by jr_refuse";

refusals! {
    /// The record of an INSERT, in the INSERT's transaction, is refused: the INSERT is rolled
    /// back and the row is marked failed at it.
    mysql_refused_record_of_dml_rolls_the_statement_back: Refusal {
        up: "CREATE TABLE jr_a (id INTEGER);\n\
             INSERT INTO jr_a (id) VALUES (1);\n\
             CREATE TABLE jr_b (id INTEGER);\n",
        down: "DROP TABLE jr_b;\nDROP TABLE jr_a;\n",
        direction: Direction::Up,
        on: "UPDATE ON schema_history",
        when: "NEW.version = 2 AND NEW.statements_done = 2",
        fingerprints: Fingerprints::Off,
        stop: JournalStop::RolledBack(2),
        line: Some(2),
        statements: 3,
        recorded: true,
        says: &[
            "applying version 2 stopped at statement 2 of 3",
            "`V2__refused/up.sql` line 2",
            "rolled back",
            "marked failed at it",
        ],
        done: Some(1),
        row_says: &["rolled back"],
        tables: &["jr_a", "jr_base"],
        inserts_into: Some("jr_a"),
        then: Then::Resume {
            statement: 2,
            says: &["failed at statement 2 of 3"],
            mode: Resume::AfterFix,
            ran: 2,
        },
        tables_after: &["jr_a", "jr_b", "jr_base"],
        log: &["up:1:ok", "up:2:failed", "resume:2:ok"],
    },

    /// With fingerprints, the closing write after a last DDL statement is refused: every
    /// statement is done, and `resume` records the version (and the schema) without running
    /// one again.
    mysql_refused_closing_write_leaves_every_statement_done: Refusal {
        up: "CREATE TABLE jr_c (id INTEGER);\nCREATE TABLE jr_d (id INTEGER);\n",
        down: "DROP TABLE jr_d;\nDROP TABLE jr_c;\n",
        direction: Direction::Up,
        on: "UPDATE ON schema_history",
        when: "NEW.version = 2 AND NEW.state = 'applied'",
        fingerprints: Fingerprints::EveryVersion,
        stop: JournalStop::AllDone,
        line: None,
        statements: 2,
        recorded: true,
        says: &["applying version 2 did not finish: all 2 statements"],
        done: Some(2),
        row_says: &[],
        tables: &["jr_base", "jr_c", "jr_d"],
        inserts_into: None,
        then: Then::Resume {
            statement: 3,
            says: &[
                "all 2 statements of `V2__refused/up.sql` completed",
                "runs no statement and records the version as applied",
            ],
            mode: Resume::AfterFix,
            ran: 0,
        },
        tables_after: &["jr_base", "jr_c", "jr_d"],
        log: &["up:1:ok", "up:2:failed", "resume:2:ok"],
    },

    /// The log row that goes with the last statement (DML) is refused: the statement is rolled
    /// back with the closing write, and the failure cannot be logged either.
    mysql_refused_log_row_rolls_the_last_statement_back: Refusal {
        up: "CREATE TABLE jr_e (id INTEGER);\nINSERT INTO jr_e (id) VALUES (1);\n",
        down: "DROP TABLE jr_e;\n",
        direction: Direction::Up,
        on: "INSERT ON schema_history_log",
        when: "NEW.version = 2",
        fingerprints: Fingerprints::Off,
        stop: JournalStop::RolledBack(2),
        line: Some(2),
        statements: 2,
        recorded: true,
        says: &["applying version 2 stopped at statement 2 of 2", "rolled back"],
        done: Some(1),
        row_says: &["rolled back"],
        tables: &["jr_base", "jr_e"],
        inserts_into: Some("jr_e"),
        then: Then::Resume {
            statement: 2,
            says: &["failed at statement 2 of 2"],
            mode: Resume::AfterFix,
            ran: 1,
        },
        tables_after: &["jr_base", "jr_e"],
        log: &["up:1:ok", "resume:2:ok"],
    },

    /// The record of a DDL statement, owed to the next statement, is refused once: the next
    /// statement does not run, and the row is then marked failed at it.
    mysql_refused_record_of_ddl_stops_before_the_next_statement: Refusal {
        up: "CREATE TABLE jr_f (id INTEGER);\nCREATE TABLE jr_g (id INTEGER);\n",
        down: "DROP TABLE jr_g;\nDROP TABLE jr_f;\n",
        direction: Direction::Up,
        on: "UPDATE ON schema_history",
        when: "NEW.version = 2 AND NEW.statements_done = 1 AND @jr_refused IS NULL \
               AND (@jr_refused := 1)",
        fingerprints: Fingerprints::Off,
        stop: JournalStop::Before(2),
        line: Some(2),
        statements: 2,
        recorded: true,
        says: &[
            "stopped before statement 2 of 2",
            "statements 1 to 1 completed",
            "marked failed at statement 2",
        ],
        done: Some(1),
        row_says: &["before the statement ran"],
        tables: &["jr_base", "jr_f"],
        inserts_into: None,
        then: Then::Resume {
            statement: 2,
            says: &["failed at statement 2 of 2"],
            mode: Resume::AfterFix,
            ran: 1,
        },
        tables_after: &["jr_base", "jr_f", "jr_g"],
        log: &["up:1:ok", "up:2:failed", "resume:2:ok"],
    },

    /// The record of a DDL statement is refused every time: the error says the row could not
    /// be updated, which still shows the completed statement as in flight, so it is skipped.
    mysql_refused_record_that_cannot_be_updated_leaves_the_row_behind: Refusal {
        up: "CREATE TABLE jr_h (id INTEGER);\nINSERT INTO jr_h (id) VALUES (1);\n",
        down: "DROP TABLE jr_h;\n",
        direction: Direction::Up,
        on: "UPDATE ON schema_history",
        when: "NEW.version = 2 AND NEW.statements_done >= 1",
        fingerprints: Fingerprints::Off,
        stop: JournalStop::Before(2),
        line: Some(2),
        statements: 2,
        recorded: false,
        says: &["could not be updated either"],
        done: Some(0),
        row_says: &[],
        tables: &["jr_base", "jr_h"],
        inserts_into: Some("jr_h"),
        then: Then::Resume {
            statement: 1,
            says: &["statement 1 of 2", "whether that statement took effect is unknown"],
            mode: Resume::Skip,
            ran: 1,
        },
        tables_after: &["jr_base", "jr_h"],
        log: &["up:1:ok", "up:2:failed", "resume:2:ok"],
    },

    /// The journal row itself is refused: nothing ran, the history is as before, and the same
    /// command succeeds once the cause is gone.
    mysql_refused_journal_row_starts_nothing: Refusal {
        up: "CREATE TABLE jr_i (id INTEGER);\n",
        down: "DROP TABLE jr_i;\n",
        direction: Direction::Up,
        on: "INSERT ON schema_history",
        when: "NEW.version = 2",
        fingerprints: Fingerprints::Off,
        stop: JournalStop::NotStarted,
        line: None,
        statements: 1,
        recorded: true,
        says: &["did not start"],
        done: None,
        row_says: &[],
        tables: &["jr_base"],
        inserts_into: None,
        then: Then::Retry,
        tables_after: &["jr_base", "jr_i"],
        log: &["up:1:ok", "up:2:failed", "up:2:ok"],
    },

    /// Reverting: removing the row is refused after the statement ran, and `resume` removes
    /// it without running the statement again.
    mysql_refused_removal_of_a_reverted_row_leaves_it_failed: Refusal {
        up: "CREATE TABLE jr_i (id INTEGER);\n",
        down: "DROP TABLE jr_i;\n",
        direction: Direction::Down,
        on: "DELETE ON schema_history",
        when: "OLD.version = 2",
        fingerprints: Fingerprints::Off,
        stop: JournalStop::AllDone,
        line: None,
        statements: 1,
        recorded: true,
        says: &["reverting version 2 did not finish"],
        done: Some(1),
        row_says: &[],
        tables: &["jr_base"],
        inserts_into: None,
        then: Then::Resume {
            statement: 2,
            says: &["removes the version from the history"],
            mode: Resume::AfterFix,
            ran: 0,
        },
        tables_after: &["jr_base"],
        log: &["up:1:ok", "up:2:ok", "down:2:failed", "resume:2:ok"],
    },
}

/// Runs one [`Refusal`] case and checks every fact it states.
async fn check_refusal<C: Connect>(ctx: &Ctx<C>, case: Refusal) {
    let mut d = ctx.driver().await;
    assert_eq!(
        d.dialect(),
        Dialect::MySql,
        "generated for MySQL/MariaDB only"
    );
    let tree = Tree::new(&[
        ("V1__base/up.sql", "CREATE TABLE jr_base (id INTEGER);\n"),
        ("V1__base/down.sql", "DROP TABLE jr_base;\n"),
        ("V2__refused/up.sql", case.up),
        ("V2__refused/down.sql", case.down),
    ]);
    let set = tree.set();
    let m = Migrator::with_config(&set, config().fingerprints(case.fingerprints));
    let first = match case.direction {
        Direction::Up => Target::Version(v(1)),
        Direction::Down => Target::Latest,
    };
    m.up(&mut d, first).await.expect("set up");
    refuse(&mut d, "jr_refuse", case.on, case.when).await;

    let err = case.run(&m, &mut d).await.expect_err("refused");
    case.check_error(&err);
    case.check_row(&m, &mut d).await;
    assert_eq!(user_tables(&mut d).await, case.tables);
    if let Some(table) = case.inserts_into {
        assert_eq!(count(&mut d, table).await, "0", "the INSERT was undone");
    }

    case.finish(&m, &mut d).await;
    let history = m.history(&mut d).await.expect("history");
    match case.direction {
        Direction::Up => {
            assert_eq!(versions(&history), [1, 2]);
            let row = history_row(&m, &mut d, 2).await;
            assert_eq!(row.state, State::Applied);
            let described = case.fingerprints == Fingerprints::EveryVersion;
            assert_eq!(row.fingerprint.is_some(), described, "{row:?}");
        }
        Direction::Down => assert_eq!(versions(&history), [1]),
    }
    assert_eq!(user_tables(&mut d).await, case.tables_after);
    if let Some(table) = case.inserts_into {
        assert_eq!(count(&mut d, table).await, "1", "the INSERT ran once");
    }
    assert_eq!(log_actions(&m, &mut d).await, case.log);
}

impl Refusal {
    /// The command the case is about: applying to the latest version, or reverting to 1.
    async fn run<D: Driver>(&self, m: &Migrator<'_>, d: &mut D) -> Result<(), Error> {
        match self.direction {
            Direction::Up => m.up(d, Target::Latest).await.map(drop),
            Direction::Down => m.down(d, Target::Version(v(1))).await.map(drop),
        }
    }

    /// The refusal's error says where the step stood and carries the server's error.
    fn check_error(&self, err: &Error) {
        let Error::JournalFailed {
            stop,
            line,
            statements_total,
            recorded,
            direction,
            version,
            ..
        } = err
        else {
            panic!("not a journal failure: {err:?}");
        };
        assert_eq!(
            (*version, *direction, *stop, *line),
            (v(2), self.direction, self.stop, self.line),
            "{err:?}"
        );
        assert_eq!(
            (*statements_total, *recorded),
            (self.statements, self.recorded),
            "{err:?}"
        );
        let message = err.to_string();
        for phrase in self.says {
            assert!(message.contains(phrase), "{phrase:?} in {message}");
        }
        let cause = std::error::Error::source(err).map(ToString::to_string);
        assert!(
            cause.is_some_and(|c| c.contains(REFUSED_BY)),
            "the server's refusal is the cause: {err:?}"
        );
    }

    /// The row says how far the step got, with the cause when recorded; without a row the
    /// history is as before.
    async fn check_row<D: Driver>(&self, m: &Migrator<'_>, d: &mut D) {
        let Some(done) = self.done else {
            let history = m.history(d).await.expect("history");
            assert_eq!(versions(&history), [1], "no row was written");
            return;
        };
        let row = history_row(m, d, 2).await;
        assert_eq!(
            (row.state, row.direction, row.statements_done),
            (State::Failed, self.direction, done),
            "{row:?}"
        );
        match (&row.error, self.recorded) {
            (Some(error), true) => {
                for phrase in self.row_says.iter().chain([&REFUSED_BY]) {
                    assert!(error.contains(phrase), "{phrase:?} in {error}");
                }
            }
            (None, false) => {}
            _ => panic!(
                "the row's error does not match recorded = {}: {row:?}",
                self.recorded
            ),
        }
    }

    /// Finishes the step as [`Refusal::then`] says, checking the refusal before the fix.
    async fn finish<D: Driver>(&self, m: &Migrator<'_>, d: &mut D) {
        let Then::Resume {
            statement,
            says,
            mode,
            ran,
        } = self.then
        else {
            d.execute("DROP TRIGGER jr_refuse").await.expect("drop");
            self.run(m, d)
                .await
                .expect("the same command, once the cause is gone");
            return;
        };
        let refused = self.run(m, d).await.expect_err("failed row");
        let Error::FailedMigration {
            statement: named,
            statements_total,
            ref error,
            ..
        } = refused
        else {
            panic!("not refused by the failed row: {refused:?}");
        };
        assert_eq!(
            (named, statements_total, error.is_some()),
            (statement, self.statements, self.recorded),
            "{refused:?}"
        );
        let message = refused.to_string();
        for phrase in says {
            assert!(message.contains(phrase), "{phrase:?} in {message}");
        }
        d.execute("DROP TRIGGER jr_refuse").await.expect("drop");
        let report = m.resume(d, mode).await.expect("resume");
        assert_eq!(report.steps[0].statements, ran, "{report:?}");
    }
}

/// With nothing to describe in between, the closing write after a last DDL statement goes in
/// the statement's batch, in a transaction of its own. Refused, it leaves the statement done
/// and the row failed after every statement, and `resume` records the version without running
/// a statement again.
pub async fn mysql_closing_write_rides_with_a_last_ddl_statement<C: Connect>(ctx: &Ctx<C>) {
    let mut d = Counting::new(ctx.driver().await);
    assert_eq!(
        d.dialect(),
        Dialect::MySql,
        "generated for MySQL/MariaDB only"
    );
    let tree = Tree::new(&[
        ("V1__base/up.sql", "CREATE TABLE cw_base (id INTEGER);\n"),
        ("V1__base/down.sql", "DROP TABLE cw_base;\n"),
        (
            "V2__two/up.sql",
            "CREATE TABLE cw_a (id INTEGER);\nCREATE TABLE cw_b (id INTEGER);\n",
        ),
        ("V2__two/down.sql", "DROP TABLE cw_b;\nDROP TABLE cw_a;\n"),
        (
            // The last statement fails: the closing write in its batch never runs.
            "V3__fails_last/up.sql",
            "CREATE TABLE cw_c (id INTEGER);\nCREATE TABLE cw_a (id INTEGER);\n",
        ),
        ("V3__fails_last/down.sql", "DROP TABLE cw_c;\n"),
    ]);
    let set = tree.set();
    let m = Migrator::with_config(&set, config().fingerprints(Fingerprints::Off));
    m.up(&mut d, Target::Version(v(1))).await.expect("up to 1");
    refuse(
        &mut d,
        "cw_refuse",
        "UPDATE ON schema_history",
        "NEW.version = 2 AND NEW.state = 'applied'",
    )
    .await;
    d.hook.calls.clear();
    let err = m.up(&mut d, Target::Latest).await.expect_err("refused");
    let last = d
        .hook
        .calls
        .iter()
        .find(|c| c.contains("CREATE TABLE cw_b"))
        .expect("the last statement was sent");
    assert!(
        last.starts_with("batch")
            && last.contains("schema_history_log")
            && last.contains("\"COMMIT\""),
        "the closing write goes with the last statement: {last}"
    );
    closing_write_was_refused(&m, &mut d, &err, 2, "cw_refuse").await;
    assert_eq!(user_tables(&mut d).await, ["cw_a", "cw_b", "cw_base"]);
    d.execute("DROP TRIGGER cw_refuse").await.expect("drop");
    let report = m.resume(&mut d, Resume::AfterFix).await.expect("resume");
    assert_eq!(report.steps[0].statements, 0);
    assert_eq!(history_row(&m, &mut d, 2).await.state, State::Applied);
    assert_eq!(
        log_actions(&m, &mut d).await,
        ["up:1:ok", "up:2:failed", "resume:2:ok"]
    );

    let err = m.up(&mut d, Target::Latest).await.expect_err("fails");
    assert!(
        matches!(err, Error::StatementFailed { statement: 2, .. }),
        "{err:?}"
    );
    let failed = history_row(&m, &mut d, 3).await;
    assert_eq!((failed.state, failed.statements_done), (State::Failed, 1));
    assert_eq!(
        log_actions(&m, &mut d).await,
        ["up:1:ok", "up:2:failed", "resume:2:ok", "up:3:failed"]
    );
}
