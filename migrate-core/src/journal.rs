//! The journal of a step run statement by statement, as a plan: which parts travel in which
//! round trip, and what a failure at any part means for the history row.
//!
//! Pure: no SQL text and no I/O. The runner renders each [`Part`] to text, sends the
//! [`JournalPlan::batches`] in order and, when one stops, asks `JournalPlan::stopped` what to
//! report and what to write again. The contract (part order, where each statement's record
//! goes) is described on the runner's journaled path; this module is the one place that
//! decides it, so that a unit test can cover every [`JournalStop`] without a server.
//!
//! The planning half (kinds, parts, batches) is public, hidden from the docs, so that the
//! benchmark's journal diagnostic sends the same parts in the same round trips as the runner;
//! it is not a stable API.

use std::fmt::Display;

use crate::implicit_commit::{joins_a_transaction, returns_one_result};
use crate::{Dialect, JournalStop};

#[cfg(test)]
mod tests;

/// The most text a batch gathers from several statements (a statement longer than this goes
/// alone): well under the smallest default `max_allowed_packet` (4 MiB on MySQL 5.7, 16 MiB on
/// MariaDB 10.11, 64 MiB on MySQL 8), and large enough that a round trip per batch costs
/// nothing next to running its statements.
pub(crate) const BATCH_BYTES: usize = 1 << 20;

/// How a statement takes part in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// It keeps a transaction open and sends back one result (DML): it runs in a transaction
    /// with its own record and the writes owed before it.
    Joins,
    /// It sends back one result and commits implicitly (DDL): it runs by itself, after the
    /// writes owed, and owes its record to the next statement.
    Alone,
    /// Its results cannot be counted (a `CALL`, a compound block), or the dialect does not
    /// batch: it travels in a round trip of its own, outside a transaction.
    Apart,
}

impl Kind {
    /// The kind of `sql` on `dialect`. Only MySQL/MariaDB batches, so elsewhere every
    /// statement is [`Kind::Apart`].
    pub fn of(sql: &str, dialect: Dialect) -> Kind {
        if !dialect.batches() || !returns_one_result(sql) {
            Kind::Apart
        } else if joins_a_transaction(sql) {
            Kind::Joins
        } else {
            Kind::Alone
        }
    }
}

/// One thing the journaled path sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Starts the server's clock (MySQL/MariaDB session variable).
    Mark,
    /// Writes the row that starts the journal (new or resumed).
    Start,
    /// The script's statement at this index.
    Statement(usize),
    /// Records that the statement at this index completed.
    Done(usize),
    /// `BEGIN`.
    Begin,
    /// The closing history write: the row finished, or removed when reverting.
    Finish,
    /// The closing log row.
    Log,
    /// `COMMIT`.
    Commit,
}

/// What the plan is built from.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// The kind of each statement still to run, from `start` on.
    pub kinds: &'a [Kind],
    /// The index of the first statement to run.
    pub start: usize,
    /// Whether the server's clock is started first ([`Part::Mark`]).
    pub mark: bool,
    /// Whether a batch is one round trip (else each part is).
    pub batched: bool,
    /// Whether the closing writes may go with the last statement: nothing has to be described
    /// between them.
    pub close_with_last: bool,
}

/// One round trip (or, unbatched, one part per round trip).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The parts, in order.
    pub parts: Vec<Part>,
    /// The segments it holds.
    segments: std::ops::Range<usize>,
}

/// One statement with the journal writes around it.
#[derive(Debug, Clone)]
struct Segment {
    index: usize,
    kind: Kind,
    /// The writes owed by the statements before it, sent ahead of it.
    sending: Vec<Part>,
    /// Whether the closing writes go with it.
    closing: bool,
    parts: Vec<Part>,
    /// Where `sending` starts in `parts`.
    owed_from: usize,
    /// Where the statement is in `parts`.
    at: usize,
}

/// The journal of one step: its batches and the meaning of a failure anywhere in them.
#[derive(Debug, Clone)]
pub struct JournalPlan {
    start: usize,
    count: usize,
    batched: bool,
    close_with_last: bool,
    segments: Vec<Segment>,
    batches: Vec<Batch>,
    owed_after: Vec<Part>,
}

/// What to do when a part failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stopped {
    /// Whether a transaction is open and must be rolled back first.
    pub(crate) rollback: bool,
    /// What to report and record.
    pub(crate) outcome: Outcome,
}

/// What a failure means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The statement at `index` failed: write `replay` again (rolled back with it), then its
    /// failure.
    Statement { index: usize, replay: Vec<Part> },
    /// A journal write failed.
    Journal {
        stop: JournalStop,
        doing: &'static str,
        /// How to bring the row to say where the step stopped; `None`: it already does.
        settle: Option<Settle>,
    },
}

/// The writes that make the row tell the truth after a journal failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settle {
    /// Writes made again first.
    pub(crate) replay: Vec<Part>,
    /// Statements done, as the failure write records it.
    pub(crate) done: u32,
    /// How the cause reads.
    pub(crate) note: Note,
}

/// Where a journal failure happened relative to the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Note {
    /// Before the statement ran.
    BeforeRan,
    /// After it ran, in its transaction, which was rolled back.
    RolledBack,
    /// After every statement completed.
    AllDone,
}

impl Note {
    /// The cause the history row records.
    pub(crate) fn text(self, doing: &str, cause: &dyn Display) -> String {
        match self {
            Note::BeforeRan => format!("{doing} failed before the statement ran: {cause}"),
            Note::RolledBack => {
                format!("{doing} failed after the statement ran, so it was rolled back: {cause}")
            }
            Note::AllDone => format!("{doing} failed after every statement completed: {cause}"),
        }
    }
}

const TX: &str = "starting a transaction";
const START: &str = "journaling the start of a migration";
const DONE: &str = "journaling a completed statement";
const CLOSE: &str = "recording the migration in the history";
const COMMIT: &str = "committing a statement with its journal record";

impl JournalPlan {
    /// Plans the journal; `weigh` gives each part's size in bytes, to cut at [`BATCH_BYTES`].
    pub fn new(input: Input<'_>, weigh: impl Fn(Part) -> usize) -> JournalPlan {
        let segments = segments(&input);
        let owed_after = match segments.last() {
            None => input
                .mark
                .then_some(Part::Mark)
                .into_iter()
                .chain([Part::Start])
                .collect(),
            Some(s) if s.kind != Kind::Joins => vec![Part::Done(s.index)],
            Some(_) => Vec::new(),
        };
        let batches = batches(&segments, &weigh);
        JournalPlan {
            start: input.start,
            count: input.start + input.kinds.len(),
            batched: input.batched,
            close_with_last: input.close_with_last,
            segments,
            batches,
            owed_after,
        }
    }

    /// The batches, sent in order.
    pub fn batches(&self) -> &[Batch] {
        &self.batches
    }

    /// Whether a batch is one round trip.
    pub(crate) fn batched(&self) -> bool {
        self.batched
    }

    /// The statements a batch holds (first, last), to name it in traces.
    pub(crate) fn statements_of(&self, batch: &Batch) -> (usize, usize) {
        let segments = &self.segments[batch.segments.clone()];
        (segments[0].index, segments[segments.len() - 1].index)
    }

    /// Whether the closing writes went with the last statement: nothing is left to send.
    pub fn closed(&self) -> bool {
        self.segments.last().is_some_and(|s| s.closing)
    }

    /// The writes still owed once every batch was sent.
    pub fn owed_after(&self) -> &[Part] {
        &self.owed_after
    }

    /// Whether the writes owed are sent before the closing writes (and before describing the
    /// schema): when no statement ran (the journal's start), or when the schema is described
    /// first (the last record, so that a crash while describing leaves nothing unknown).
    pub fn sends_owed_first(&self) -> bool {
        self.start == self.count || !self.close_with_last
    }

    /// The meaning of a failure at `part` of batch `batch`.
    pub(crate) fn stopped(&self, batch: usize, part: usize) -> Stopped {
        let mut part = part;
        let mut found = None;
        for segment in &self.segments[self.batches[batch].segments.clone()] {
            if part < segment.parts.len() {
                found = Some(segment);
                break;
            }
            part -= segment.parts.len();
        }
        let segment = found.expect("a failed part lies in its batch");
        self.stopped_in(segment, part)
    }

    fn stopped_in(&self, s: &Segment, part: usize) -> Stopped {
        let joins = s.kind == Kind::Joins;
        // A transaction is open when the statement joined one, or when the closing write's own
        // had begun after a statement that runs by itself.
        let rollback = joins || part > s.at;
        let n = s.index as u32 + 1;
        let (stop, doing, settle) = if part > s.at && !joins {
            (JournalStop::AllDone, CLOSE, Some(self.all_done(Vec::new())))
        } else if part == s.at {
            let replay = if joins { s.sending.clone() } else { Vec::new() };
            let outcome = Outcome::Statement {
                index: s.index,
                replay,
            };
            return Stopped { rollback, outcome };
        } else if part < s.owed_from {
            let stop = match s.index == self.start {
                true => JournalStop::NotStarted,
                false => JournalStop::Before(n),
            };
            (stop, TX, self.before(s, stop))
        } else if part < s.at {
            let (stop, doing) = match s.index == self.start {
                true => (JournalStop::NotStarted, START),
                false => (JournalStop::Before(n), DONE),
            };
            (stop, doing, self.before(s, stop))
        } else if part + 1 == s.parts.len() {
            // A failed COMMIT may have committed: the row is left as the server has it.
            (JournalStop::Unknown(n), COMMIT, None)
        } else {
            let doing = if s.closing { CLOSE } else { DONE };
            let settle = Settle {
                replay: s.sending.clone(),
                done: s.index as u32,
                note: Note::RolledBack,
            };
            (JournalStop::RolledBack(n), doing, Some(settle))
        };
        let outcome = Outcome::Journal {
            stop,
            doing,
            settle,
        };
        Stopped { rollback, outcome }
    }

    /// Before statement `s` ran: the writes sent ahead of it are made again, then the cause.
    fn before(&self, s: &Segment, stop: JournalStop) -> Option<Settle> {
        (stop != JournalStop::NotStarted).then(|| Settle {
            replay: s.sending.clone(),
            done: s.index as u32,
            note: Note::BeforeRan,
        })
    }

    fn all_done(&self, replay: Vec<Part>) -> Settle {
        Settle {
            replay,
            done: self.count as u32,
            note: Note::AllDone,
        }
    }

    /// The meaning of a failure sending [`JournalPlan::owed_after`] first.
    pub(crate) fn owed_failed(&self) -> Stopped {
        let outcome = match self.start == self.count {
            true => Outcome::Journal {
                stop: JournalStop::NotStarted,
                doing: START,
                settle: None,
            },
            false => Outcome::Journal {
                stop: JournalStop::AllDone,
                doing: DONE,
                settle: Some(self.all_done(Vec::new())),
            },
        };
        Stopped {
            rollback: false,
            outcome,
        }
    }

    /// The meaning of a failure of the closing writes sent after every batch.
    pub(crate) fn closing_failed(&self) -> Stopped {
        let replay = match self.sends_owed_first() {
            true => Vec::new(),
            false => self.owed_after.clone(),
        };
        Stopped {
            rollback: true,
            outcome: Outcome::Journal {
                stop: JournalStop::AllDone,
                doing: CLOSE,
                settle: Some(self.all_done(replay)),
            },
        }
    }
}

/// Every statement's parts; which writes are owed to a statement depends only on those
/// before it.
fn segments(input: &Input<'_>) -> Vec<Segment> {
    let mut owed: Vec<Part> = input.mark.then_some(Part::Mark).into_iter().collect();
    owed.push(Part::Start);
    let last = input.kinds.len().checked_sub(1);
    let mut segments = Vec::with_capacity(input.kinds.len());
    for (offset, &kind) in input.kinds.iter().enumerate() {
        let index = input.start + offset;
        let joins = kind == Kind::Joins;
        let closing = kind != Kind::Apart && input.close_with_last && Some(offset) == last;
        let sending = std::mem::take(&mut owed);
        if !joins {
            owed.push(Part::Done(index));
        }
        let mut parts = Vec::with_capacity(sending.len() + 6);
        if joins {
            parts.push(Part::Begin);
        }
        let owed_from = parts.len();
        parts.extend_from_slice(&sending);
        let at = parts.len();
        parts.push(Part::Statement(index));
        match (joins, closing) {
            (true, true) => parts.extend([Part::Finish, Part::Log]),
            (true, false) => parts.push(Part::Done(index)),
            (false, true) => parts.extend([Part::Begin, Part::Finish, Part::Log]),
            (false, false) => {}
        }
        if joins || closing {
            parts.push(Part::Commit);
        }
        segments.push(Segment {
            index,
            kind,
            sending,
            closing,
            parts,
            owed_from,
            at,
        });
    }
    segments
}

/// Segments gathered into batches, cut before and after an [`Kind::Apart`] statement and at
/// [`BATCH_BYTES`].
fn batches(segments: &[Segment], weigh: &impl Fn(Part) -> usize) -> Vec<Batch> {
    let mut batches = Vec::new();
    let mut next = 0;
    while next < segments.len() {
        let (mut end, mut bytes) = (next, 0);
        for segment in &segments[next..] {
            // Each part and its separator.
            let size: usize = segment.parts.iter().map(|&p| weigh(p) + 3).sum();
            let apart = segment.kind == Kind::Apart;
            if end > next && (apart || bytes + size > BATCH_BYTES) {
                break;
            }
            bytes += size;
            end += 1;
            if apart {
                break;
            }
        }
        let parts = segments[next..end]
            .iter()
            .flat_map(|s| s.parts.iter().copied())
            .collect();
        batches.push(Batch {
            parts,
            segments: next..end,
        });
        next = end;
    }
    batches
}
