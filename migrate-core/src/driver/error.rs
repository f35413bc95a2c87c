//! [`DriverError`]: a database client's error as the runner sees it, with its kind and the
//! server's error number and SQLSTATE.

/// What kind of failure a [`DriverError`] is, as far as the runner cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DriverErrorKind {
    /// The statement referred to a table that does not exist (the history table on a new
    /// database).
    UndefinedTable,
    /// The connection was lost (closed, reset or killed) while a statement may have been in
    /// flight: whether the server ran it is unknown.
    ConnectionLost,
    /// The server did not accept a connection within the connect timeout.
    ConnectTimeout,
    /// The database URL could not be used (malformed, no database name, ambiguous).
    InvalidUrl,
    /// Anything else.
    Other,
}

/// An error from the database client. Its message is the client's, with any password removed.
///
/// A server's error keeps the server's identification of it, so that an operator can look it
/// up: MySQL/MariaDB give an error number and a SQLSTATE, PostgreSQL a SQLSTATE, SQLite a
/// result code (as the number). Display puts them first, `error 1061 (42000): Duplicate key
/// name 'i'`; [`DriverError::message`] is the message alone.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.shown())]
pub struct DriverError {
    kind: DriverErrorKind,
    message: String,
    /// Boxed: [`crate::Error`] carries a `DriverError` and must stay small to pass around.
    code: Option<Box<ServerCode>>,
}

/// The server's identification of an error.
#[derive(Debug)]
struct ServerCode {
    number: Option<u32>,
    sqlstate: Option<String>,
}

impl DriverError {
    /// An error of `kind` with the client's `message`.
    pub fn new(kind: DriverErrorKind, message: impl Into<String>) -> DriverError {
        DriverError {
            kind,
            message: message.into(),
            code: None,
        }
    }

    /// An error of kind [`DriverErrorKind::Other`].
    pub fn other(message: impl std::fmt::Display) -> DriverError {
        DriverError::new(DriverErrorKind::Other, message.to_string())
    }

    /// The same error with the server's error `number` and `sqlstate`, where it gave them.
    pub fn with_code(mut self, number: Option<u32>, sqlstate: Option<&str>) -> DriverError {
        self.code = (number.is_some() || sqlstate.is_some()).then(|| {
            Box::new(ServerCode {
                number,
                sqlstate: sqlstate.map(str::to_owned),
            })
        });
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> DriverErrorKind {
        self.kind
    }

    /// The client's message, without the error number and SQLSTATE.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The server's error number (MySQL/MariaDB `1061`; SQLite's extended result code).
    pub fn number(&self) -> Option<u32> {
        self.code.as_ref().and_then(|code| code.number)
    }

    /// The SQLSTATE the server gave (`42000`), on MySQL/MariaDB and PostgreSQL.
    pub fn sqlstate(&self) -> Option<&str> {
        self.code.as_ref().and_then(|code| code.sqlstate.as_deref())
    }

    fn shown(&self) -> String {
        match (self.number(), self.sqlstate()) {
            (Some(number), Some(state)) => format!("error {number} ({state}): {}", self.message),
            (Some(number), None) => format!("error {number}: {}", self.message),
            (None, Some(state)) => format!("error {state}: {}", self.message),
            (None, None) => self.message.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_error_shows_number_and_sqlstate_before_the_message() {
        let error = DriverError::other("Duplicate key name 'i'");
        assert_eq!(error.to_string(), "Duplicate key name 'i'");
        let error = error.with_code(Some(1061), Some("42000"));
        assert_eq!(
            error.to_string(),
            "error 1061 (42000): Duplicate key name 'i'"
        );
        assert_eq!(error.message(), "Duplicate key name 'i'");
        assert_eq!(
            (error.number(), error.sqlstate()),
            (Some(1061), Some("42000"))
        );
        let postgres = DriverError::other("relation exists").with_code(None, Some("42P07"));
        assert_eq!(postgres.to_string(), "error 42P07: relation exists");
        let sqlite = DriverError::other("index exists").with_code(Some(1), None);
        assert_eq!(sqlite.to_string(), "error 1: index exists");
    }
}
