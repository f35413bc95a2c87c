//! Connecting: a server that accepts and never answers fails with the connect timeout, and a
//! URL that cannot be used is refused before any connection is attempted.
#![cfg(feature = "testing")]

use std::net::TcpListener;
use std::time::{Duration, Instant};

use migrate_core::driver::{
    AnyDriver, ConnectOptions, DriverError, DriverErrorKind, MysqlAsync, SqlxMySql, SqlxPostgres,
    DEFAULT_CONNECT_TIMEOUT,
};

/// A server that accepts every connection and never sends a byte.
fn silent_server() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let accepting = listener.try_clone().expect("clone");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in accepting.incoming().flatten() {
            held.push(stream);
        }
    });
    (listener, port)
}

#[track_caller]
fn assert_timed_out(result: Result<(), DriverError>, port: u16, started: Instant, most: Duration) {
    let error = result.expect_err("a silent server cannot be connected to");
    assert_eq!(error.kind(), DriverErrorKind::ConnectTimeout, "{error}");
    let message = error.to_string();
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(message.contains("connect timeout"), "{message}");
    assert!(!message.contains("pw-secret"), "{message}");
    assert!(started.elapsed() < most, "took {:?}", started.elapsed());
}

#[tokio::test]
async fn a_silent_server_fails_every_driver_within_the_configured_timeout() {
    let (_listener, port) = silent_server();
    let options = ConnectOptions::default().connect_timeout(Duration::from_millis(300));
    let most = Duration::from_secs(5);
    let mysql = format!("mysql://app:pw-secret@127.0.0.1:{port}/app");
    let postgres = format!("postgres://app:pw-secret@127.0.0.1:{port}/app");
    for url in [&mysql, &postgres] {
        let started = Instant::now();
        let result = AnyDriver::connect_with(url, &options).await.map(drop);
        assert_timed_out(result, port, started, most);
    }
    let started = Instant::now();
    let result = SqlxMySql::connect_with(&mysql, &options).await.map(drop);
    assert_timed_out(result, port, started, most);
    let started = Instant::now();
    let result = MysqlAsync::connect_with(&mysql, &options).await.map(drop);
    assert_timed_out(result, port, started, most);
    let started = Instant::now();
    let result = SqlxPostgres::connect_with(&postgres, &options)
        .await
        .map(drop);
    assert_timed_out(result, port, started, most);
}

#[tokio::test]
async fn a_silent_server_fails_the_default_connect_after_ten_seconds() {
    let (_listener, port) = silent_server();
    let url = format!("postgres://app@127.0.0.1:{port}/app");
    let started = Instant::now();
    let bounded = tokio::time::timeout(Duration::from_secs(30), AnyDriver::connect(&url))
        .await
        .expect("the connect returns on its own");
    assert!(started.elapsed() >= DEFAULT_CONNECT_TIMEOUT);
    assert_timed_out(bounded.map(drop), port, started, Duration::from_secs(20));
}

#[tokio::test]
async fn unusable_urls_are_refused_before_connecting() {
    for url in [
        "postgres:/",
        "postgres://postgres@127.0.0.1:5432",
        "mysql://root@127.0.0.1:3306/",
        "mysql://root:pw/secret@127.0.0.1:3306/test",
        "root:pw-secret@127.0.0.1:3306/test",
        "sqlite://",
    ] {
        let error = AnyDriver::connect(url)
            .await
            .map(drop)
            .expect_err("refused");
        assert_eq!(error.kind(), DriverErrorKind::InvalidUrl, "{url}: {error}");
        assert!(!error.to_string().contains("secret"), "{url}: {error}");
    }
    // A driver refuses another backend's URL.
    let error = SqlxPostgres::connect("mysql://root@127.0.0.1:3306/test")
        .await
        .map(drop)
        .expect_err("refused");
    assert_eq!(error.kind(), DriverErrorKind::InvalidUrl, "{error}");
}
