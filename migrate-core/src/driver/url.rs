//! Database URLs as the drivers show them (credentials hidden) and point them at another
//! database.

/// `url` with every credential replaced by `***`, for messages and logs (see
/// [`DatabaseUrl::redacted`](crate::database_url::DatabaseUrl::redacted)). A URL that cannot be
/// parsed shows as its scheme only, since where its password ends is unknown.
///
/// ```
/// assert_eq!(
///     migrate_core::driver::redact_url("mysql://app:s3cret@db:3306/app"),
///     "mysql://app:***@db:3306/app"
/// );
/// ```
pub fn redact_url(url: &str) -> String {
    match crate::database_url::DatabaseUrl::parse(url) {
        Ok(url) => url.redacted().to_owned(),
        Err(_) => match url.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://…"),
            None => "(unreadable database URL)".to_owned(),
        },
    }
}

/// `url` pointing at database `name` instead of its own (`url` unchanged if it is invalid:
/// connecting to it then reports why).
#[cfg(any(
    feature = "sqlx-mysql",
    feature = "sqlx-postgres",
    feature = "sqlx-sqlite",
    feature = "mysql_async",
    feature = "cli"
))]
pub(crate) fn with_database(url: &str, name: &str) -> String {
    match crate::database_url::DatabaseUrl::parse(url) {
        Ok(url) => url.with_database(name).connection_string().to_owned(),
        Err(_) => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_only_the_password() {
        assert_eq!(
            redact_url("postgres://u:p%40ss@h/db?x=1"),
            "postgres://u:***@h/db?x=1"
        );
        assert_eq!(
            redact_url("mysql://root@127.0.0.1/test"),
            "mysql://root@127.0.0.1/test"
        );
        assert_eq!(redact_url("sqlite://data.db"), "sqlite://data.db");
        assert_eq!(redact_url("mysql://a:b@c@h/db"), "mysql://a:***@h/db");
        assert_eq!(redact_url("mysql://a:b/c@h/db"), "mysql://…");
        assert_eq!(redact_url("a:b@h/db"), "(unreadable database URL)");
    }

    #[cfg(any(
        feature = "sqlx-mysql",
        feature = "sqlx-postgres",
        feature = "sqlx-sqlite",
        feature = "mysql_async"
    ))]
    #[test]
    fn with_database_replaces_the_path() {
        assert_eq!(
            with_database("mysql://root@127.0.0.1:3306/test", "x"),
            "mysql://root@127.0.0.1:3306/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/postgres?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
    }
}
