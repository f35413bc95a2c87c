//! A [`Batch`] written as one multi-statement text, for the drivers that send it in one
//! round trip (PostgreSQL's simple query, MySQL's `COM_QUERY` with `CLIENT_MULTI_STATEMENTS`),
//! and the way back from a failure to the part that failed.

use super::{Batch, BatchPart};

/// A [`Batch`] as one multi-statement text, remembering where each part starts, so that a
/// failure can be traced to its part: by counting the parts that completed before it, or (on
/// PostgreSQL, which parses the whole text before running any of it) by the character
/// position the server reports.
pub(crate) struct BatchText {
    text: String,
    /// Each part and the character offset at which it starts.
    parts: Vec<(BatchPart, usize)>,
}

impl BatchText {
    pub(crate) fn new(batch: &Batch<'_>) -> BatchText {
        // A newline before each `;`: a statement may end in a `--` comment.
        const SEPARATOR: &str = "\n;\n";
        let mut text = String::new();
        let mut chars = 0;
        let mut parts = Vec::new();
        for part in batch.parts() {
            let sql = match part {
                BatchPart::Begin => "BEGIN",
                BatchPart::Statement(i) => batch.statements[i],
                BatchPart::Commit => "COMMIT",
            };
            if !text.is_empty() {
                text.push_str(SEPARATOR);
                chars += SEPARATOR.len();
            }
            parts.push((part, chars));
            text.push_str(sql);
            chars += sql.chars().count();
        }
        BatchText { text, parts }
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The part that was running when `completed` parts had finished.
    pub(crate) fn after(&self, completed: usize) -> BatchPart {
        self.parts
            .get(completed)
            .or(self.parts.last())
            .map_or(BatchPart::Commit, |(part, _)| *part)
    }

    /// The part holding the 1-based character `position` of the text.
    #[cfg_attr(not(feature = "sqlx-postgres"), allow(dead_code))]
    pub(crate) fn at(&self, position: usize) -> Option<BatchPart> {
        let offset = position.checked_sub(1)?;
        self.parts
            .iter()
            .rev()
            .find(|(_, start)| *start <= offset)
            .map(|(part, _)| *part)
    }
}

/// Reading a batch's results back through sqlx (the MySQL and PostgreSQL drivers).
#[cfg(any(feature = "sqlx-mysql", feature = "sqlx-postgres"))]
pub(crate) mod sqlx_results {
    use futures_util::stream::BoxStream;
    use futures_util::TryStreamExt as _;
    use sqlx::{Database, Either};

    use super::BatchText;
    use crate::driver::{BatchError, BatchPart, DriverError};

    /// What `fetch_many` streams back for a multi-statement text: per statement its rows, then
    /// its result.
    pub(crate) type BatchResults<'c, DB> = BoxStream<
        'c,
        Result<Either<<DB as Database>::QueryResult, <DB as Database>::Row>, sqlx::Error>,
    >;

    /// Reads the results of a [`BatchText`] sent with `fetch_many`: one `Left` per part that
    /// completed, until the end or the first error. The error's part is the one `locate` finds
    /// in it (PostgreSQL's position) or else the part after those that completed.
    pub(crate) async fn drain_batch<DB: Database>(
        mut results: BatchResults<'_, DB>,
        text: &BatchText,
        locate: fn(&sqlx::Error, &BatchText) -> Option<BatchPart>,
        error: fn(sqlx::Error) -> DriverError,
    ) -> Result<(), BatchError> {
        let mut completed = 0;
        loop {
            match results.try_next().await {
                Ok(Some(Either::Left(_))) => completed += 1,
                Ok(Some(Either::Right(_))) => {}
                Ok(None) => return Ok(()),
                Err(e) => {
                    return Err(BatchError {
                        part: locate(&e, text).unwrap_or_else(|| text.after(completed)),
                        error: error(e),
                    })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_text_joins_parts_and_finds_them_again() {
        let statements = ["CREATE TABLE é (a INT) -- note", "INSERT INTO é VALUES (1)"];
        let batch = Batch {
            begin: true,
            statements: &statements,
            commit: true,
        };
        let text = BatchText::new(&batch);
        assert_eq!(
            text.text(),
            "BEGIN\n;\nCREATE TABLE é (a INT) -- note\n;\nINSERT INTO é VALUES (1)\n;\nCOMMIT"
        );
        assert_eq!(text.after(0), BatchPart::Begin);
        assert_eq!(text.after(2), BatchPart::Statement(1));
        assert_eq!(text.after(3), BatchPart::Commit);
        // Positions count characters: `é` is one.
        let byte = text.text().find("INSERT").expect("insert");
        let insert = text.text()[..byte].chars().count() + 1;
        assert_eq!(text.at(insert), Some(BatchPart::Statement(1)));
        assert_eq!(text.at(insert - 1), Some(BatchPart::Statement(0)));
        assert_eq!(text.at(1), Some(BatchPart::Begin));
        assert_eq!(text.at(0), None);
    }
}
