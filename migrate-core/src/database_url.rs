//! [`DatabaseUrl`]: a database URL parsed once, in one place, by the `url` crate.
//!
//! Every part of the crate that connects to, names or prints a database goes through this
//! type, so that the three questions a URL raises are answered the same way everywhere:
//!
//! - **Which backend, which database?** The scheme picks the dialect (`mysql://`, `mariadb://`,
//!   `postgres://`, `postgresql://`, `sqlite:`); the path (or PostgreSQL's `?dbname=`) names the
//!   database. A URL that names none is refused: a client would otherwise pick a default (the
//!   account's database, the server's Unix socket) and migrate something nobody asked for.
//! - **Is it what the user meant?** A password with an unencoded `/`, `?` or `#` ends the
//!   authority early: `mysql://app:pa/ss@db/app` reads as host `app`, port `pa`, database
//!   `ss@db/app`. Such a URL is refused with a hint to percent-encode, rather than guessed.
//! - **What may be shown?** [`DatabaseUrl::redacted`] hides every credential form: the
//!   userinfo password and query parameters such as `password=` and `sslpassword=`. The
//!   [`Display`](fmt::Display) and [`Debug`](fmt::Debug) of the type are the redacted form,
//!   and no [`UrlError`] contains a password.

use std::fmt;

use percent_encoding::percent_decode_str;
use url::Url;

use crate::Dialect;

/// What replaces a secret in a redacted URL or message.
const MASK: &str = "***";

/// Why a database URL was refused. No variant contains a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// The text does not start with a scheme such as `mysql://`.
    #[error("the database URL has no scheme; write it as `mysql://user:password@host/database`, `postgres://…` or `sqlite://file.db`")]
    NoScheme,
    /// The scheme names no backend this crate knows.
    #[error("unsupported database URL scheme `{scheme}`; use mysql://, mariadb://, postgres://, postgresql:// or sqlite:")]
    UnknownScheme {
        /// The scheme, as written.
        scheme: String,
    },
    /// The URL could not be parsed.
    #[error("malformed database URL `{shown}`: {reason}; write it as `{scheme}://user:password@host:port/database`")]
    Malformed {
        /// The scheme, as written.
        scheme: String,
        /// The URL with its credentials hidden (only its scheme when it could not be read).
        shown: String,
        /// What is wrong.
        reason: String,
    },
    /// The URL names no database.
    #[error("the URL names no database: `{shown}`; add it to the path (`…/database`)")]
    NoDatabase {
        /// The URL with its credentials hidden.
        shown: String,
    },
    /// The password holds a character that ends the authority, so the URL reads otherwise
    /// than it was meant.
    #[error("the password in the `{scheme}://` database URL seems to contain an unencoded `{character}`, which would end it early; percent-encode it (`/` as %2F, `?` as %3F, `#` as %23, `@` as %40)")]
    AmbiguousPassword {
        /// The scheme, as written.
        scheme: String,
        /// The character that ends the authority early.
        character: char,
    },
}

/// A database URL, validated: a known backend, a database name, an unambiguous password.
///
/// ```
/// use migrate_core::{database_url::DatabaseUrl, Dialect};
///
/// let url: DatabaseUrl = "postgres://app:s3cret@db:5432/app?sslpassword=k3y".parse()?;
/// assert_eq!(url.dialect(), Dialect::Postgres);
/// assert_eq!(url.database(), "app");
/// assert_eq!(url.to_string(), "postgres://app:***@db:5432/app?sslpassword=***");
/// assert!("postgres:/".parse::<DatabaseUrl>().is_err());
/// # Ok::<(), migrate_core::database_url::UrlError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    dialect: Dialect,
    /// What the client is given (it holds the password).
    connect: String,
    redacted: String,
    database: String,
    /// `host:port` (or the SQLite file), for messages.
    host: String,
    /// Every secret as written and percent-decoded, for scrubbing messages.
    secrets: Vec<String>,
    /// The parsed form of `connect` (`None` for SQLite, which is not parsed as a URL).
    parsed: Option<Url>,
}

impl DatabaseUrl {
    /// Parses and validates `text`.
    pub fn parse(text: &str) -> Result<DatabaseUrl, UrlError> {
        let text = text.trim();
        let Some((scheme, rest)) = split_scheme(text) else {
            return Err(UrlError::NoScheme);
        };
        let dialect = match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => return parse_sqlite(text, rest),
            "mysql" | "mariadb" => Dialect::MySql,
            "postgres" | "postgresql" => Dialect::Postgres,
            // `localhost:5432/db`, `user:password@host/db`: the "scheme" is not one.
            _ if !rest.starts_with("//") => return Err(UrlError::NoScheme),
            _ => {
                return Err(UrlError::UnknownScheme {
                    scheme: scheme.to_owned(),
                })
            }
        };
        parse_server(text, scheme, rest, dialect)
    }

    /// The backend's dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The database the URL names (for SQLite, the file or `:memory:`).
    pub fn database(&self) -> &str {
        &self.database
    }

    /// `host:port` as written (empty host: the client's default, e.g. a Unix socket); the
    /// file for SQLite. For messages.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The URL with every credential replaced by `***`: safe to print and log.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }

    /// The URL to hand to the database client. It contains the password: never print it.
    pub fn connection_string(&self) -> &str {
        &self.connect
    }

    /// `message` with every secret of this URL (as written and percent-decoded) replaced by
    /// `***`: for a client's error text, which may quote the URL.
    pub fn scrub(&self, message: &str) -> String {
        let mut out = message.replace(&self.connect, &self.redacted);
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), MASK);
        }
        out
    }

    /// The same server and credentials, database `name` (SQLite: the file `name`).
    pub fn with_database(&self, name: &str) -> DatabaseUrl {
        if self.dialect.file_databases() {
            let mut url = self.clone();
            url.connect = format!("sqlite://{name}");
            url.redacted.clone_from(&url.connect);
            url.database = name.to_owned();
            url.host = name.to_owned();
            return url;
        }
        let mut url = self.clone();
        let Some(parsed) = url.parsed.as_mut() else {
            return url; // SQLite, handled above
        };
        parsed.set_path(&format!("/{name}"));
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .filter(|(k, _)| k != "dbname")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        set_query(parsed, &pairs);
        url.connect = parsed.to_string();
        url.redacted = redact(parsed);
        url.database = name.to_owned();
        url
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = UrlError;

    fn from_str(text: &str) -> Result<DatabaseUrl, UrlError> {
        DatabaseUrl::parse(text)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl").field(&self.redacted).finish()
    }
}

/// `(scheme, rest after the colon)` when `text` starts with an RFC 3986 scheme.
fn split_scheme(text: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = text.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    let valid = first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some((scheme, rest))
}

/// `sqlite://file.db`, `sqlite:file.db`, `sqlite::memory:`, with an optional `?query`. No
/// credentials; the text is handed to the client as written.
fn parse_sqlite(text: &str, rest: &str) -> Result<DatabaseUrl, UrlError> {
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let file = rest.split_once('?').map_or(rest, |(file, _)| file);
    if file.is_empty() {
        return Err(UrlError::NoDatabase {
            shown: text.to_owned(),
        });
    }
    Ok(DatabaseUrl {
        dialect: Dialect::Sqlite,
        connect: text.to_owned(),
        redacted: text.to_owned(),
        database: file.to_owned(),
        host: file.to_owned(),
        secrets: Vec::new(),
        parsed: None,
    })
}

fn parse_server(
    text: &str,
    scheme: &str,
    rest: &str,
    dialect: Dialect,
) -> Result<DatabaseUrl, UrlError> {
    let malformed = |shown: String, reason: &str| UrlError::Malformed {
        scheme: scheme.to_owned(),
        shown,
        reason: reason.to_owned(),
    };
    let Some(after_slashes) = rest.strip_prefix("//") else {
        return Err(malformed(
            format!("{scheme}:…"),
            "expected `//` and a host after the scheme",
        ));
    };
    if let Some(character) = ambiguous_password(after_slashes) {
        return Err(UrlError::AmbiguousPassword {
            scheme: scheme.to_owned(),
            character,
        });
    }
    // The parser's messages ("invalid port number", …) quote nothing of the URL.
    let mut parsed =
        Url::parse(text).map_err(|e| malformed(format!("{scheme}://…"), &e.to_string()))?;
    let aliased = dialect
        .client_scheme_alias()
        .filter(|(alias, _)| scheme.eq_ignore_ascii_case(alias));
    if let Some((_, client)) = aliased {
        // The clients know only `mysql://`; MariaDB speaks the same protocol.
        parsed
            .set_scheme(client)
            .map_err(|()| malformed(redact(&parsed), "cannot read the scheme"))?;
    }
    parsed.set_fragment(None);
    let redacted = redact(&parsed);
    let database = database_name(&parsed, dialect);
    if database.is_empty() {
        return Err(UrlError::NoDatabase { shown: redacted });
    }
    if database.contains('/') {
        return Err(malformed(
            redacted,
            "the database name contains `/` (percent-encode it as %2F if it really does)",
        ));
    }
    let host = match parsed.port() {
        Some(port) => format!("{}:{port}", parsed.host_str().unwrap_or_default()),
        None => parsed.host_str().unwrap_or_default().to_owned(),
    };
    Ok(DatabaseUrl {
        dialect,
        secrets: secrets(&parsed),
        connect: parsed.to_string(),
        redacted,
        database,
        host,
        parsed: Some(parsed),
    })
}

/// The character (`/`, `?` or `#`) that ends the authority before the userinfo's `@`: the
/// password holds it unencoded. An `@` inside a query parameter (`?user=a@b`) is not counted.
fn ambiguous_password(after_slashes: &str) -> Option<char> {
    let end = after_slashes.find(['/', '?', '#'])?;
    let tail = &after_slashes[end..];
    let at = tail.find('@')?;
    if tail[..at].contains(['=', '&']) {
        return None;
    }
    tail.chars().next()
}

/// The path's single segment, percent-decoded; on PostgreSQL `?dbname=` when the path is empty.
fn database_name(url: &Url, dialect: Dialect) -> String {
    let path = url.path().trim_start_matches('/');
    let name = percent_decode_str(path).decode_utf8_lossy().into_owned();
    if name.is_empty() && dialect.dbname_parameter() {
        if let Some((_, value)) = url.query_pairs().find(|(k, _)| k == "dbname") {
            return value.into_owned();
        }
    }
    name
}

/// Whether a query parameter carries a secret (`password`, `sslpassword`, …).
fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["pass", "secret", "token"].iter().any(|s| key.contains(s))
}

/// Every secret of `url`, as written and percent-decoded, longest first (so that a secret
/// containing another is scrubbed whole).
fn secrets(url: &Url) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(password) = url.password() {
        out.push(password.to_owned());
        out.push(
            percent_decode_str(password)
                .decode_utf8_lossy()
                .into_owned(),
        );
    }
    if let Some(query) = url.query() {
        for pair in query.split('&') {
            if let Some((key, value)) = pair.split_once('=') {
                if is_secret_key(key) {
                    out.push(value.to_owned());
                }
            }
        }
    }
    for (key, value) in url.query_pairs() {
        if is_secret_key(&key) {
            out.push(value.into_owned());
        }
    }
    out.retain(|s| !s.is_empty());
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// `url` with the userinfo password and every secret query parameter replaced by `***`.
fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Only fails for URLs that cannot have a password, and this one has one.
        let _ = shown.set_password(Some(MASK));
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_secret_key(&k) {
                    MASK.to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        set_query(&mut shown, &pairs);
    }
    shown.to_string()
}

/// Replaces the query of `url` by `pairs` (none: no query at all).
fn set_query(url: &mut Url, pairs: &[(String, String)]) {
    url.set_query(None);
    if !pairs.is_empty() {
        url.query_pairs_mut().extend_pairs(pairs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "hunter2";

    fn parse(text: &str) -> Result<DatabaseUrl, UrlError> {
        DatabaseUrl::parse(text)
    }

    /// Neither the URL's Display, Debug, redacted form nor the error holds the secret.
    #[track_caller]
    fn assert_hidden(text: &str) {
        let shown = match parse(text) {
            Ok(url) => format!("{url} {url:?} {}", url.redacted()),
            Err(e) => format!("{e} {e:?}"),
        };
        assert!(!shown.contains(SECRET), "{text} shows {shown}");
    }

    #[test]
    fn mysql_url_names_backend_database_and_host() {
        let url = parse("mysql://root@127.0.0.1:3306/test").expect("valid");
        assert_eq!(url.dialect(), Dialect::MySql);
        assert_eq!(url.database(), "test");
        assert_eq!(url.host(), "127.0.0.1:3306");
        assert_eq!(url.redacted(), "mysql://root@127.0.0.1:3306/test");
        assert_eq!(url.connection_string(), "mysql://root@127.0.0.1:3306/test");
    }

    #[test]
    fn mariadb_scheme_connects_as_mysql() {
        let url = parse("mariadb://u:p@h/db").expect("valid");
        assert_eq!(url.dialect(), Dialect::MySql);
        assert_eq!(url.connection_string(), "mysql://u:p@h/db");
        assert_eq!(url.redacted(), "mysql://u:***@h/db");
    }

    #[test]
    fn redacted_hides_userinfo_password_encoded_or_not() {
        let url = parse("postgres://u:hunter2%2F%3F%23x@h/db?x=1").expect("valid");
        assert_eq!(url.redacted(), "postgres://u:***@h/db?x=1");
        assert_hidden("postgres://u:hunter2%2F%3F%23x@h/db");
        assert_hidden("mysql://u:hunter2@x@h/db");
    }

    #[test]
    fn redacted_hides_password_query_parameters() {
        let url = parse("postgres://u@h/db?password=hunter2&sslmode=disable&sslpassword=hunter2b")
            .expect("valid");
        assert_eq!(
            url.redacted(),
            "postgres://u@h/db?password=***&sslmode=disable&sslpassword=***"
        );
        assert_hidden("postgres://u@h/db?password=hunter2%21");
    }

    #[test]
    fn scrub_removes_every_secret_from_a_message() {
        let url = parse("postgres://u:p%40hunter2@h/db?sslpassword=hunter2k").expect("valid");
        let message = format!(
            "bad: {} / p@hunter2 / p%40hunter2 / hunter2k",
            url.connection_string()
        );
        let scrubbed = url.scrub(&message);
        assert!(!scrubbed.contains(SECRET), "{scrubbed}");
        assert!(scrubbed.contains("postgres://u:***@h/db"), "{scrubbed}");
    }

    #[test]
    fn unencoded_slash_question_mark_or_hash_in_password_is_refused() {
        for (text, character) in [
            ("mysql://root:hunt/er2@127.0.0.1:3306/test", '/'),
            ("mysql://root:hunt?er2@127.0.0.1:3306/test", '?'),
            ("postgres://u:hunt#er2@h/db", '#'),
            ("postgres://u:12/hunter2@h/db", '/'),
        ] {
            assert_eq!(
                parse(text),
                Err(UrlError::AmbiguousPassword {
                    scheme: text.split(':').next().expect("scheme").to_owned(),
                    character
                }),
                "{text}"
            );
            assert_hidden(text);
        }
    }

    #[test]
    fn at_sign_inside_a_query_parameter_is_not_ambiguous() {
        let url = parse("postgres://h:5432/db?user=admin@server").expect("valid");
        assert_eq!(url.database(), "db");
    }

    #[test]
    fn url_without_scheme_is_refused() {
        for text in [
            "root:hunter2@127.0.0.1:3306/test",
            "127.0.0.1:3306/test",
            "localhost/test",
            "",
        ] {
            assert_eq!(parse(text), Err(UrlError::NoScheme), "{text}");
            assert_hidden(text);
        }
    }

    #[test]
    fn unknown_scheme_is_refused_by_name() {
        assert_eq!(
            parse("oracle://scott:hunter2@h/orcl"),
            Err(UrlError::UnknownScheme {
                scheme: "oracle".into()
            })
        );
    }

    #[test]
    fn malformed_urls_are_refused() {
        for text in [
            "postgres:/",
            "postgres:",
            "mysql:db",
            "mysql://root:hunter2@127.0.0.1:notaport/db",
            "mysql://root:hunter2@[::1/db",
        ] {
            assert!(
                matches!(parse(text), Err(UrlError::Malformed { .. })),
                "{text}: {:?}",
                parse(text)
            );
            assert_hidden(text);
        }
    }

    #[test]
    fn url_without_database_is_refused() {
        for text in [
            "postgres://u:hunter2@h",
            "postgres://u:hunter2@h/",
            "mysql://root@127.0.0.1:3306",
            "mysql://root@127.0.0.1:3306/?ssl-mode=disabled",
            "sqlite://",
            "sqlite:",
        ] {
            let err = parse(text).expect_err(text);
            assert!(
                matches!(err, UrlError::NoDatabase { .. }),
                "{text}: {err:?}"
            );
            assert!(err.to_string().contains("names no database"), "{err}");
            assert_hidden(text);
        }
    }

    #[test]
    fn postgres_dbname_parameter_names_the_database() {
        let url = parse("postgres://u@h?dbname=app").expect("valid");
        assert_eq!(url.database(), "app");
        let other = url.with_database("x");
        assert_eq!(other.connection_string(), "postgres://u@h/x");
    }

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            parse("sqlite://data.db").expect("valid").database(),
            "data.db"
        );
        assert_eq!(
            parse("sqlite:data.db").expect("valid").database(),
            "data.db"
        );
        assert_eq!(
            parse("sqlite::memory:").expect("valid").database(),
            ":memory:"
        );
        assert_eq!(
            parse("sqlite:///tmp/a.db?mode=rwc")
                .expect("valid")
                .database(),
            "/tmp/a.db"
        );
    }

    #[test]
    fn with_database_keeps_credentials_and_query() {
        let url = parse("postgres://u:hunter2@h:5/postgres?sslmode=disable").expect("valid");
        let other = url.with_database("x");
        assert_eq!(
            other.connection_string(),
            "postgres://u:hunter2@h:5/x?sslmode=disable"
        );
        assert_eq!(other.redacted(), "postgres://u:***@h:5/x?sslmode=disable");
        assert_eq!(other.database(), "x");
    }
}
