//! [`ConnectOptions`]: how long a driver waits for a server to accept a connection.
//!
//! Only the connection is bounded. A server that accepts a TCP connection and never answers
//! (a hung process, a proxy whose backend is gone) would otherwise stall `status` and an
//! application's start-up for ever; with the bound they fail with
//! [`DriverErrorKind::ConnectTimeout`] naming the host. Statements get no read timeout on
//! purpose: a migration's DDL may legitimately run for hours (an index on a large table), and
//! abandoning it half-way on MySQL/MariaDB would leave exactly the unknown state the journal
//! exists to avoid. The lock wait has its own bound ([`crate::Config`]).

// With no driver compiled in (feature `cli` alone), nothing reaches a driver: the arguments and
// helpers below go unused.
#![cfg_attr(
    not(any(
        feature = "sqlx-mysql",
        feature = "mysql_async",
        feature = "sqlx-postgres",
        feature = "sqlx-sqlite"
    )),
    allow(unused_variables, dead_code)
)]

use std::future::Future;
use std::time::Duration;

use super::{DriverError, DriverErrorKind};
use crate::database_url::DatabaseUrl;

/// How long a connection attempt may take by default: 10 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The environment variable read by [`ConnectOptions::from_env`] and the CLI's
/// `--connect-timeout`: seconds, e.g. `10` or `2.5`.
pub const CONNECT_TIMEOUT_ENV: &str = "MIGRATE_CONNECT_TIMEOUT";

/// Options for opening a driver's connection ([`super::AnyDriver::connect_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// How long the server may take to accept the connection, handshake and authentication
    /// included.
    pub connect_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> ConnectOptions {
        ConnectOptions {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

impl ConnectOptions {
    /// The defaults with the connect timeout set to `timeout`.
    pub fn connect_timeout(mut self, timeout: Duration) -> ConnectOptions {
        self.connect_timeout = timeout;
        self
    }

    /// The defaults, with the connect timeout from `MIGRATE_CONNECT_TIMEOUT` when it is set.
    /// An unreadable value is an error that names the variable.
    pub fn from_env() -> Result<ConnectOptions, String> {
        match std::env::var(CONNECT_TIMEOUT_ENV) {
            Ok(value) if !value.trim().is_empty() => parse_timeout(&value)
                .map(|t| ConnectOptions::default().connect_timeout(t))
                .map_err(|e| format!("{CONNECT_TIMEOUT_ENV}: {e}")),
            _ => Ok(ConnectOptions::default()),
        }
    }
}

/// A timeout in seconds (`10`, `2.5`); positive and finite.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if seconds.is_nan() || seconds <= 0.0 || !seconds.is_finite() {
        return Err(format!("`{text}`: the timeout must be more than 0 seconds"));
    }
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("`{text}`: {e}"))
}

/// Runs `connect` for at most the connect timeout of `options`; when it runs out, a
/// [`DriverErrorKind::ConnectTimeout`] naming the host of `url` (never its password).
pub(crate) async fn bounded<T, F>(
    url: &DatabaseUrl,
    options: &ConnectOptions,
    connect: F,
) -> Result<T, DriverError>
where
    F: Future<Output = Result<T, DriverError>>,
{
    let timeout = options.connect_timeout;
    match tokio::time::timeout(timeout, connect).await {
        Ok(result) => result,
        Err(_) => Err(DriverError::new(
            DriverErrorKind::ConnectTimeout,
            format!(
                "no answer from {} within the connect timeout of {timeout:?}; check that the \
                 server is up, or raise --connect-timeout ({CONNECT_TIMEOUT_ENV})",
                host_or_default(url),
            ),
        )),
    }
}

/// `url` parsed for a driver of `dialect`: an invalid URL, or one for another backend, is a
/// [`DriverErrorKind::InvalidUrl`].
pub(crate) fn parse_for(url: &str, dialect: crate::Dialect) -> Result<DatabaseUrl, DriverError> {
    let url = DatabaseUrl::parse(url)?;
    if url.dialect() != dialect {
        return Err(DriverError::new(
            DriverErrorKind::InvalidUrl,
            format!("`{url}` is not a {dialect:?} URL"),
        ));
    }
    Ok(url)
}

fn host_or_default(url: &DatabaseUrl) -> &str {
    match url.host() {
        "" => "the default host",
        host => host,
    }
}

/// A URL refused before connecting: [`DriverErrorKind::InvalidUrl`].
impl From<crate::database_url::UrlError> for DriverError {
    fn from(error: crate::database_url::UrlError) -> DriverError {
        DriverError::new(DriverErrorKind::InvalidUrl, error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_timeout_reads_seconds() {
        assert_eq!(parse_timeout("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_timeout(" 0.25 "), Ok(Duration::from_millis(250)));
    }

    #[test]
    fn parse_timeout_refuses_zero_negative_and_words() {
        for text in ["0", "-1", "ten", "", "inf", "NaN"] {
            assert!(parse_timeout(text).is_err(), "{text}");
        }
    }
}
