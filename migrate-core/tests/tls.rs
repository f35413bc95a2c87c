//! TLS to PostgreSQL (feature `tls-rustls`): `scripts/start-servers.sh` turns TLS on with a
//! certificate for 127.0.0.1 signed by a test authority, which these tests trust through
//! `sslrootcert`. A run over TLS migrates like any other, the session is encrypted, and
//! verification is real: the same certificate without `sslrootcert` is refused.
#![cfg(all(feature = "testing", feature = "tls-rustls"))]

use std::path::Path;

use migrate_core::driver::{AnyDriver, Driver};
use migrate_core::testing::{servers_required, Backend, TestDatabase};
use migrate_core::{source, Dialect, Migrator, Target};

/// The test certificate authority `scripts/start-servers.sh` signs the server certificate with.
const CERTIFICATE: &str = "/var/lib/postgresql/migrate-tls/ca.crt";

/// A fresh PostgreSQL database and its URL with `params` added; `None` (and a loud skip) when
/// the server or its certificate is missing and servers are not required.
async fn database(params: &str) -> Option<(TestDatabase, String)> {
    if !Path::new(CERTIFICATE).exists() {
        assert!(
            !servers_required(),
            "{CERTIFICATE} is missing: run scripts/start-servers.sh"
        );
        eprintln!("SKIPPED: {CERTIFICATE} is missing (run scripts/start-servers.sh)");
        return None;
    }
    let database = TestDatabase::create(Backend::Postgres)
        .await
        .expect("test database")?;
    let url = format!("{}?{params}", database.url());
    Some((database, url))
}

fn migrations(dir: &Path) -> migrate_core::MigrationSet {
    let version = dir.join("V1__notes");
    std::fs::create_dir_all(&version).expect("version folder");
    std::fs::write(
        version.join("up.sql"),
        "CREATE TABLE notes (id BIGINT PRIMARY KEY);\n",
    )
    .expect("up");
    std::fs::write(version.join("down.sql"), "DROP TABLE notes;\n").expect("down");
    source::load_dir(dir, &Dialect::ALL).expect("migrations")
}

/// Whether the driver's own session is encrypted, as the server sees it.
async fn encrypted(driver: &mut AnyDriver) -> bool {
    let rows = driver
        .query("SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .await
        .expect("pg_stat_ssl");
    rows.first()
        .and_then(|row| row.first())
        .cloned()
        .flatten()
        .as_deref()
        == Some("true")
}

#[tokio::test]
async fn verify_full_with_the_servers_certificate_migrates_over_tls() {
    let params = format!("sslmode=verify-full&sslrootcert={CERTIFICATE}");
    let Some((database, url)) = database(&params).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let set = migrations(dir.path());
    let mut driver = AnyDriver::connect(&url).await.expect("connect over TLS");
    assert!(encrypted(&mut driver).await, "the session is not encrypted");
    let report = Migrator::new(&set)
        .up(&mut driver, Target::Latest)
        .await
        .expect("up over TLS");
    assert_eq!(report.steps.len(), 1);
    let history = Migrator::new(&set)
        .history(&mut driver)
        .await
        .expect("history");
    assert_eq!(history.len(), 1, "{history:?}");
    let reverted = Migrator::new(&set)
        .down(&mut driver, Target::Empty)
        .await
        .expect("down over TLS");
    assert_eq!(reverted.steps.len(), 1);
    drop(driver);
    database.drop_database().await;
}

#[tokio::test]
async fn sslmode_require_encrypts_without_verifying() {
    let Some((database, url)) = database("sslmode=require").await else {
        return;
    };
    let mut driver = AnyDriver::connect(&url).await.expect("connect over TLS");
    assert!(encrypted(&mut driver).await, "the session is not encrypted");
    drop(driver);
    database.drop_database().await;
}

#[tokio::test]
async fn verify_full_refuses_a_certificate_it_cannot_trust() {
    let Some((database, url)) = database("sslmode=verify-full").await else {
        return;
    };
    let error = AnyDriver::connect(&url)
        .await
        .map(drop)
        .expect_err("a self-signed certificate is not trusted without sslrootcert");
    let message = error.to_string().to_lowercase();
    assert!(
        message.contains("certificate") || message.contains("tls"),
        "{message}"
    );
    database.drop_database().await;
}
