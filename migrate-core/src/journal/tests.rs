//! Decision tables: one named test per row.

use super::*;
use JournalStop::{AllDone, Before, NotStarted, RolledBack, Unknown};
use Part::{Begin, Commit, Done, Finish, Log, Mark, Start, Statement};

/// A script: `D` a statement that runs by itself (DDL), `M` one that joins a transaction
/// (DML), `C` one whose results cannot be counted (a `CALL`).
fn kinds(script: &str) -> Vec<Kind> {
    script
        .split(' ')
        .filter(|k| !k.is_empty())
        .map(|k| match k {
            "D" => Kind::Alone,
            "M" => Kind::Joins,
            "C" => Kind::Apart,
            other => panic!("unknown kind {other}"),
        })
        .collect()
}

/// How a row's plan is built.
#[derive(Clone, Copy)]
enum Flag {
    /// PostgreSQL: no batches, no mark, every statement apart.
    Pg,
    /// A schema is described before the closing writes.
    Describe,
    /// Resumed: the statements before this index completed in an earlier run.
    From(usize),
}
use Flag::{Describe, From as from, Pg as pg};
#[allow(non_upper_case_globals)]
const describe: Flag = Describe;

fn plan_with(script: &str, flags: &[Flag], weigh: impl Fn(Part) -> usize) -> JournalPlan {
    let mut kinds = kinds(script);
    let (mut start, mut mark, mut batched, mut close_with_last) = (0, true, true, true);
    for flag in flags {
        match *flag {
            Flag::Pg => {
                (mark, batched) = (false, false);
                kinds.iter_mut().for_each(|k| *k = Kind::Apart);
            }
            Flag::Describe => close_with_last = false,
            Flag::From(n) => start = n,
        }
    }
    let input = Input {
        kinds: &kinds[start..],
        start,
        mark,
        batched,
        close_with_last,
    };
    JournalPlan::new(input, weigh)
}

fn plan(script: &str, flags: &[Flag]) -> JournalPlan {
    plan_with(script, flags, |_| 10)
}

/// Where a row's failure happens.
enum At {
    /// The first occurrence of the part.
    First(Part),
    /// The part in the parts of the statement at this index.
    Seg(usize, Part),
    /// Sending what is owed before the closing writes.
    Owed,
    /// The closing writes after every batch.
    Closing,
}
use At::{Closing, Owed};

fn seg(index: usize, part: Part) -> At {
    At::Seg(index, part)
}

impl From<Part> for At {
    fn from(part: Part) -> At {
        At::First(part)
    }
}

fn stop_at(plan: &JournalPlan, at: At) -> Stopped {
    let (wanted, index) = match at {
        At::Owed => return plan.owed_failed(),
        At::Closing => return plan.closing_failed(),
        At::First(part) => (part, None),
        At::Seg(index, part) => (part, Some(index)),
    };
    for (b, batch) in plan.batches().iter().enumerate() {
        let mut offset = 0;
        for segment in &plan.segments[batch.segments.clone()] {
            let mine = index.is_none_or(|i| i == segment.index);
            if let Some(p) = segment
                .parts
                .iter()
                .position(|&p| p == wanted)
                .filter(|_| mine)
            {
                return plan.stopped(b, offset + p);
            }
            offset += segment.parts.len();
        }
    }
    panic!("{wanted:?} is not in the plan");
}

fn journal(stop: JournalStop, doing: &'static str, settle: Option<Settle>) -> Stopped {
    Stopped {
        rollback: false,
        outcome: Outcome::Journal {
            stop,
            doing,
            settle,
        },
    }
}

fn statement(index: usize, replay: &[Part]) -> Stopped {
    Stopped {
        rollback: false,
        outcome: Outcome::Statement {
            index,
            replay: replay.to_vec(),
        },
    }
}

fn settle(replay: &[Part], done: u32, note: Note) -> Option<Settle> {
    Some(Settle {
        replay: replay.to_vec(),
        done,
        note,
    })
}

impl Stopped {
    fn rollback(self) -> Stopped {
        Stopped {
            rollback: true,
            ..self
        }
    }
}

use Note::{AllDone as AllDoneNote, BeforeRan, RolledBack as RolledBackNote};

macro_rules! stops {
    ($($name:ident: $script:literal, [$($flag:expr),*]; at $at:expr => $want:expr;)*) => {$(
        #[test]
        fn $name() {
            let plan = plan($script, &[$($flag),*]);
            assert_eq!(stop_at(&plan, At::from($at)), $want);
        }
    )*};
}

stops! {
    mark_write_fails: "D", []; at Mark => journal(NotStarted, START, None);
    start_write_fails: "D", []; at Start => journal(NotStarted, START, None);
    begin_of_first_dml_fails: "M", []; at Begin => journal(NotStarted, TX, None).rollback();
    owed_ddl_record_fails: "D D", []; at Done(0)
        => journal(Before(2), DONE, settle(&[Done(0)], 1, BeforeRan));
    begin_of_later_dml_fails: "D M", []; at seg(1, Begin)
        => journal(Before(2), TX, settle(&[Done(0)], 1, BeforeRan)).rollback();
    ddl_statement_fails: "D D", []; at Statement(1) => statement(1, &[]);
    dml_statement_replays_owed: "D M", []; at Statement(1) => statement(1, &[Done(0)]).rollback();
    first_dml_replays_start: "M D", []; at Statement(0)
        => statement(0, &[Mark, Start]).rollback();
    call_statement_fails: "D C D", []; at Statement(1) => statement(1, &[]);
    dml_record_fails: "D M D", []; at Done(1)
        => journal(RolledBack(2), DONE, settle(&[Done(0)], 1, RolledBackNote)).rollback();
    closing_with_last_dml_fails: "M", []; at Finish
        => journal(RolledBack(1), CLOSE, settle(&[Mark, Start], 0, RolledBackNote)).rollback();
    log_with_last_dml_fails: "D M", []; at Log
        => journal(RolledBack(2), CLOSE, settle(&[Done(0)], 1, RolledBackNote)).rollback();
    commit_of_dml_fails: "M D", []; at seg(0, Commit) => journal(Unknown(1), COMMIT, None).rollback();
    commit_of_last_dml_fails: "D M", []; at seg(1, Commit)
        => journal(Unknown(2), COMMIT, None).rollback();
    closing_after_last_ddl_fails: "D", []; at Finish
        => journal(AllDone, CLOSE, settle(&[], 1, AllDoneNote)).rollback();
    begin_after_last_ddl_fails: "D D", []; at seg(1, Begin)
        => journal(AllDone, CLOSE, settle(&[], 2, AllDoneNote)).rollback();
    commit_after_last_ddl_fails: "D", []; at seg(0, Commit)
        => journal(AllDone, CLOSE, settle(&[], 1, AllDoneNote)).rollback();
    resumed_start_fails: "D D", [from(2)]; at Owed => journal(NotStarted, START, None);
    resumed_first_record_fails: "D D D", [from(1)]; at Start => journal(NotStarted, START, None);
    record_before_describe_fails: "D D", [describe]; at Owed
        => journal(AllDone, DONE, settle(&[], 2, AllDoneNote));
    closing_after_describe_fails: "D M", [describe]; at Closing
        => journal(AllDone, CLOSE, settle(&[], 2, AllDoneNote)).rollback();
    closing_after_call_fails: "D C", []; at Closing
        => journal(AllDone, CLOSE, settle(&[Done(1)], 2, AllDoneNote)).rollback();
    pg_statement_fails: "D D", [pg]; at Statement(1) => statement(1, &[]);
    pg_owed_record_fails: "D D", [pg]; at Done(0)
        => journal(Before(2), DONE, settle(&[Done(0)], 1, BeforeRan));
    pg_closing_fails: "D D", [pg]; at Closing
        => journal(AllDone, CLOSE, settle(&[Done(1)], 2, AllDoneNote)).rollback();
}

/// The shape of a plan: its batches, whether it closed with the last statement, and what is
/// owed after it.
struct Layout {
    batches: Vec<Vec<Part>>,
    closed: bool,
    owed_after: Vec<Part>,
}

fn layout_of(plan: &JournalPlan) -> Layout {
    Layout {
        batches: plan.batches().iter().map(|b| b.parts.clone()).collect(),
        closed: plan.closed(),
        owed_after: plan.owed_after().to_vec(),
    }
}

macro_rules! layout {
    ($($name:ident: $plan:expr => [$([$($part:expr),*]),*], closed: $closed:expr, owed: [$($owed:expr),*];)*) => {$(
        #[test]
        fn $name() {
            let layout = layout_of(&$plan);
            assert_eq!(layout.batches, vec![$(vec![$($part),*]),*] as Vec<Vec<Part>>);
            assert_eq!(layout.closed, $closed);
            assert_eq!(layout.owed_after, vec![$($owed),*] as Vec<Part>);
        }
    )*};
}

layout! {
    ddl_dml_ddl_is_one_batch: plan("D M D", &[]) => [[
        Mark, Start, Statement(0), Begin, Done(0), Statement(1), Done(1), Commit,
        Statement(2), Begin, Finish, Log, Commit
    ]], closed: true, owed: [Done(2)];
    call_travels_alone: plan("D C D", &[]) => [
        [Mark, Start, Statement(0)],
        [Done(0), Statement(1)],
        [Done(1), Statement(2), Begin, Finish, Log, Commit]
    ], closed: true, owed: [Done(2)];
    last_call_leaves_closing_owed: plan("C", &[]) => [[Mark, Start, Statement(0)]],
        closed: false, owed: [Done(0)];
    describe_keeps_closing_apart: plan("M", &[describe]) => [[
        Begin, Mark, Start, Statement(0), Done(0), Commit
    ]], closed: false, owed: [];
    pg_sends_every_statement_apart: plan("D D", &[pg]) => [
        [Start, Statement(0)], [Done(0), Statement(1)]
    ], closed: false, owed: [Done(1)];
    resumed_with_nothing_left: plan("D D", &[from(2)]) => [], closed: false, owed: [Mark, Start];
    resumed_starts_at_its_statement: plan("D D", &[from(1)]) => [[
        Mark, Start, Statement(1), Begin, Finish, Log, Commit
    ]], closed: true, owed: [Done(1)];
    big_statement_cuts_the_batch: plan_with("D D", &[], |p| match p {
        Statement(1) => BATCH_BYTES,
        _ => 10,
    }) => [
        [Mark, Start, Statement(0)],
        [Done(0), Statement(1), Begin, Finish, Log, Commit]
    ], closed: true, owed: [Done(1)];
}

#[test]
fn pg_is_not_batched_and_mysql_is() {
    assert!(!plan("D", &[pg]).batched());
    assert!(plan("D", &[]).batched());
}

#[test]
fn owed_goes_first_only_when_nothing_ran_or_describing() {
    assert!(plan("D", &[from(1)]).sends_owed_first());
    assert!(plan("D", &[describe]).sends_owed_first());
    assert!(!plan("D", &[]).sends_owed_first());
}

#[test]
fn notes_read_as_the_history_records_them() {
    let (doing, cause) = ("journaling a completed statement", "gone");
    assert_eq!(
        BeforeRan.text(doing, &cause),
        "journaling a completed statement failed before the statement ran: gone"
    );
    assert_eq!(
        RolledBackNote.text(doing, &cause),
        "journaling a completed statement failed after the statement ran, so it was rolled back: gone"
    );
    assert_eq!(
        AllDoneNote.text(doing, &cause),
        "journaling a completed statement failed after every statement completed: gone"
    );
}

macro_rules! kinds_of {
    ($($name:ident: $sql:literal on $dialect:ident => $kind:ident;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(Kind::of($sql, Dialect::$dialect), Kind::$kind);
        }
    )*};
}

kinds_of! {
    call_is_apart: "CALL p()" on MySql => Apart;
    insert_joins: "INSERT INTO t VALUES (1)" on MySql => Joins;
    alter_is_alone: "ALTER TABLE t ADD c INT" on MySql => Alone;
    postgres_is_always_apart: "INSERT INTO t VALUES (1)" on Postgres => Apart;
}

#[test]
fn batches_name_their_statements() {
    let plan = plan("D C D", &[]);
    let named: Vec<_> = plan
        .batches()
        .iter()
        .map(|b| plan.statements_of(b))
        .collect();
    assert_eq!(named, [(0, 0), (1, 1), (2, 2)]);
}
