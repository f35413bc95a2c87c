//! Where a fleet's databases come from: a list of URLs, a file of URLs, or the rows of a query
//! on a catalog database. Every URL is parsed before anything runs, and each error names where
//! the URL came from ([`Origin`]): a fleet with one bad line migrates nothing.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::options::Fleet;
use crate::database_url::{DatabaseUrl, UrlError};
use crate::driver::{AnyDriver, ConnectOptions, Driver, DriverError};

/// Where a URL of a fleet came from, for errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The `index`-th URL (from 1) of a list.
    List {
        /// Its position, from 1.
        index: usize,
    },
    /// A line of a file.
    File {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
    },
    /// A row of the catalog query.
    Catalog {
        /// The row, from 1.
        row: usize,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::List { index } => write!(f, "URL {index} of the list"),
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::Catalog { row } => write!(f, "row {row} of the catalog query"),
        }
    }
}

/// Why a fleet could not be built. No variant contains a password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    /// The file of URLs could not be read.
    #[error("cannot read the fleet file `{}`", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An entry is not a usable database URL.
    #[error("{at}: not a usable database URL")]
    InvalidUrl {
        /// Where the entry came from.
        at: Origin,
        /// What is wrong with it.
        #[source]
        source: UrlError,
    },
    /// A database is listed twice; two runs on it would only wait for each other.
    #[error("{second}: `{database}` is already listed at {first}; list each database once")]
    Duplicate {
        /// The database, password hidden.
        database: String,
        /// Where it was first listed.
        first: Origin,
        /// Where it was listed again.
        second: Origin,
    },
    /// The catalog database could not be reached.
    #[error("cannot connect to the catalog database {database}")]
    CatalogConnect {
        /// The catalog database, password hidden.
        database: String,
        /// The client's error.
        #[source]
        source: DriverError,
    },
    /// The catalog query failed.
    #[error("the catalog query failed; it must return one column, a database URL per row")]
    CatalogQuery {
        /// The client's error.
        #[source]
        source: DriverError,
    },
    /// A row of the catalog query is not one non-NULL column.
    #[error("{at}: {problem}; the query must return one column, a database URL per row")]
    CatalogRow {
        /// The row.
        at: Origin,
        /// What is wrong with it.
        problem: String,
    },
}

impl Fleet {
    /// A fleet of `urls`, in order; each must be a valid database URL, listed once.
    pub fn from_urls<I, S>(urls: I) -> Result<Fleet, FleetError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let entries = urls
            .into_iter()
            .enumerate()
            .map(|(i, url)| (Origin::List { index: i + 1 }, url.as_ref().to_owned()));
        collect(entries).map(Fleet::new)
    }

    /// A fleet from a file: one URL per line; blank lines and lines starting with `#` are
    /// skipped, surrounding spaces are ignored. Errors name the file and line.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Fleet, FleetError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| FleetError::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        Fleet::from_lines(path, &text)
    }

    /// [`Fleet::from_file`] on text already read from `path` (named in errors).
    pub fn from_lines(path: impl AsRef<Path>, text: &str) -> Result<Fleet, FleetError> {
        let path = path.as_ref();
        let entries = text.lines().enumerate().filter_map(|(i, line)| {
            let line = line.trim();
            (!line.is_empty() && !line.starts_with('#')).then(|| {
                let at = Origin::File {
                    path: path.to_owned(),
                    line: i + 1,
                };
                (at, line.to_owned())
            })
        });
        collect(entries).map(Fleet::new)
    }

    /// A fleet from the rows of `query` on a catalog database (e.g. `SELECT url FROM tenants
    /// ORDER BY id`): one column, a database URL per row, in the order returned.
    pub async fn from_catalog<D: Driver>(
        catalog: &mut D,
        query: &str,
    ) -> Result<Fleet, FleetError> {
        let rows = catalog
            .query(query)
            .await
            .map_err(|source| FleetError::CatalogQuery { source })?;
        let mut entries = Vec::with_capacity(rows.len());
        for (i, row) in rows.into_iter().enumerate() {
            let at = Origin::Catalog { row: i + 1 };
            let problem = match row.as_slice() {
                [Some(url)] => {
                    entries.push((at, url.clone()));
                    continue;
                }
                [None] => "the URL is NULL".to_owned(),
                cells => format!("{} columns", cells.len()),
            };
            return Err(FleetError::CatalogRow { at, problem });
        }
        collect(entries).map(Fleet::new)
    }

    /// [`Fleet::from_catalog`] on a catalog database reached at `url`; the connection is
    /// closed before the fleet runs.
    pub async fn from_catalog_url(
        url: &str,
        options: &ConnectOptions,
        query: &str,
    ) -> Result<Fleet, FleetError> {
        let parsed = DatabaseUrl::parse(url).map_err(|source| FleetError::CatalogConnect {
            database: crate::driver::redact_url(url),
            source: source.into(),
        })?;
        let mut catalog = AnyDriver::connect_with(parsed.connection_string(), options)
            .await
            .map_err(|source| FleetError::CatalogConnect {
                database: parsed.redacted().to_owned(),
                source,
            })?;
        Fleet::from_catalog(&mut catalog, query).await
    }
}

/// Parses every entry and refuses a database listed twice.
fn collect(
    entries: impl IntoIterator<Item = (Origin, String)>,
) -> Result<Vec<DatabaseUrl>, FleetError> {
    let mut seen: HashMap<String, Origin> = HashMap::new();
    let mut urls = Vec::new();
    for (at, text) in entries {
        let url = match DatabaseUrl::parse(&text) {
            Ok(url) => url,
            Err(source) => return Err(FleetError::InvalidUrl { at, source }),
        };
        if let Some(first) = seen.get(url.connection_string()) {
            return Err(FleetError::Duplicate {
                database: url.redacted().to_owned(),
                first: first.clone(),
                second: at,
            });
        }
        seen.insert(url.connection_string().to_owned(), at);
        urls.push(url);
    }
    Ok(urls)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Result<Fleet, FleetError> {
        Fleet::from_lines("tenants.txt", text)
    }

    #[test]
    fn file_skips_comments_and_blank_lines_and_keeps_order() {
        let fleet = file(
            "# tenants\n\nmysql://app:s3cret@db/t1\n  postgres://db/t2  \n\t# retired: sqlite://old.db\nsqlite://t3.db\n",
        )
        .expect("fleet");
        let shown: Vec<String> = fleet.databases().iter().map(|u| u.to_string()).collect();
        assert_eq!(
            shown,
            [
                "mysql://app:***@db/t1",
                "postgres://db/t2",
                "sqlite://t3.db"
            ]
        );
    }

    #[test]
    fn file_error_names_the_file_and_line() {
        let e = file("mysql://db/t1\n\nnot a url\n").expect_err("refused");
        assert!(matches!(
            &e,
            FleetError::InvalidUrl {
                at: Origin::File { line: 3, .. },
                ..
            }
        ));
        assert!(e.to_string().starts_with("tenants.txt:3: "), "{e}");
    }

    #[test]
    fn url_without_database_is_refused_with_its_line() {
        let e = file("mysql://db/t1\nmysql://root:pw@db\n").expect_err("refused");
        assert!(e.to_string().starts_with("tenants.txt:2: "), "{e}");
        assert!(!format!("{e:?}").contains("pw"), "{e:?}");
    }

    #[test]
    fn duplicate_names_both_lines_without_the_password() {
        let e = file("mysql://u:pw@db/t1\n# x\nmysql://u:pw@db/t1\n").expect_err("refused");
        let text = e.to_string();
        assert!(
            text.contains("tenants.txt:3") && text.contains("tenants.txt:1"),
            "{text}"
        );
        assert!(!text.contains("pw"), "{text}");
    }

    #[test]
    fn missing_file_names_it() {
        let e = Fleet::from_file("/nonexistent/tenants.txt").expect_err("refused");
        assert!(e.to_string().contains("/nonexistent/tenants.txt"), "{e}");
    }

    #[test]
    fn list_error_names_the_position() {
        let e = Fleet::from_urls(["sqlite://a.db", "sqlite://b.db", "db/t3"]).expect_err("refused");
        assert!(e.to_string().starts_with("URL 3 of the list: "), "{e}");
        assert_eq!(
            Fleet::from_urls(Vec::<String>::new())
                .expect("empty")
                .databases()
                .len(),
            0
        );
    }
}
