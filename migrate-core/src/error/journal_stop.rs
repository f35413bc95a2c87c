//! Where a journaled step stood when a write to its history row failed, as
//! [`Error::JournalFailed`](crate::Error::JournalFailed) reports it and its message reads it.

/// Where a journaled step stood when a write to its history row failed
/// ([`Error::JournalFailed`](crate::Error::JournalFailed)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JournalStop {
    /// No statement ran in this run: the write that starts the step failed, and the history is
    /// as it was before the run.
    NotStarted,
    /// The 1-based statement had not run; the statements before it completed.
    Before(u32),
    /// The 1-based statement ran in one transaction with the write that failed, and was rolled
    /// back with it.
    RolledBack(u32),
    /// The 1-based statement ran, but the `COMMIT` of its transaction (with its record) failed:
    /// whether both took effect is unknown, and the history row shows what committed.
    Unknown(u32),
    /// Every statement had completed; a write that records it (the record of the last
    /// statement, or the one that marks the version applied or removes it) failed.
    AllDone,
}
