//! No password from a database URL ever appears in an error or a log line.
#![cfg(feature = "testing")]

use std::io::Write;
use std::sync::{Arc, Mutex};

use migrate_core::driver::{AnyDriver, MysqlAsync};
use migrate_core::testing::{Backend, TestDatabase};
use migrate_core::{source, Dialect, Migrator, Target};

const SECRET: &str = "hunter2-S3CRET";

/// Collects everything `tracing` writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

fn assert_secret_free(what: &str, text: &str) {
    assert!(!text.contains(SECRET), "{what} leaks the password: {text}");
    assert!(
        !text.contains("hunter2"),
        "{what} leaks part of the password: {text}"
    );
}

/// A URL with the password set, for a server that ignores it (trust) or rejects it.
fn with_password(url: &str) -> String {
    url.replacen("://postgres@", &format!("://postgres:{SECRET}@"), 1)
        .replacen("://root@", &format!("://root:{SECRET}@"), 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_never_reach_errors_or_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // A migration that runs and then fails, with every span and event recorded, on PostgreSQL
    // (trust: the password is accepted and ignored).
    if let Some(db) = TestDatabase::create(Backend::Postgres)
        .await
        .expect("test database")
    {
        let dir = tempfile::tempdir().expect("temp dir");
        for (path, text) in [
            ("V1/up.sql", "CREATE TABLE t (id INTEGER);"),
            ("V1/down.sql", "DROP TABLE t;"),
            ("V2/up.sql", "INSERT INTO nowhere VALUES (1);"),
            ("V2/down.sql", "SELECT 1;"),
        ] {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        let set = source::load_dir(dir.path(), &Dialect::ALL).expect("tree");
        // The password in the userinfo, and as a query parameter.
        for url in [
            with_password(db.url()),
            format!("{}?password={SECRET}", db.url()),
        ] {
            assert!(url.contains(SECRET));
            let mut d = AnyDriver::connect(&url)
                .await
                .expect("trust accepts any password");
            let err = Migrator::new(&set)
                .up(&mut d, Target::Latest)
                .await
                .expect_err("V2 fails");
            assert_secret_free("migration error", &format!("{err} {err:?}"));
        }
        db.drop_database().await;
    }

    // Connections that fail: wrong password, unreachable server, malformed URL.
    let mysql = Backend::MySql.server_url().expect("url");
    let failing = [
        with_password(&mysql),
        format!("postgres://postgres:{SECRET}@127.0.0.1:1/db"),
        format!("mysql://root:{SECRET}@127.0.0.1:notaport/db"),
        format!("postgres://postgres:{SECRET}@127.0.0.1:5432/db?sslmode=bogus"),
        // No driver for the scheme: the error names the scheme only.
        format!("oracle://scott:{SECRET}@127.0.0.1/orcl"),
        // Refused before connecting: a password in the query of an unreachable server, an
        // unencoded `/`, `?` or `#` in the password, no scheme, no database.
        format!("postgres://postgres@127.0.0.1:1/db?password={SECRET}"),
        format!("postgres://postgres:hunter2/{SECRET}@127.0.0.1:5432/db"),
        format!("mysql://root:hunter2?{SECRET}@127.0.0.1:3306/test"),
        format!("mysql://root:hunter2#{SECRET}@127.0.0.1:3306/test"),
        format!("root:{SECRET}@127.0.0.1:3306/test"),
        format!("postgres://postgres:{SECRET}@127.0.0.1:5432"),
    ];
    for url in &failing {
        match AnyDriver::connect(url).await {
            Ok(_) => panic!("connecting to {url} should fail"),
            Err(e) => assert_secret_free("connection error", &format!("{e} {e:?}")),
        }
    }
    for url in [&failing[0], &failing[2]] {
        match MysqlAsync::connect(url).await {
            Ok(_) => panic!("connecting to {url} should fail"),
            Err(e) => assert_secret_free("mysql_async connection error", &format!("{e} {e:?}")),
        }
    }
    let logs = captured.text();
    assert!(logs.contains("migration"), "the run was not traced: {logs}");
    assert_secret_free("the logs", &logs);
}
