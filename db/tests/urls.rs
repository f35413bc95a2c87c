//! Database URLs through every operator command and every example, each run as its own process
//! (the binaries `cargo test -p db` builds in `target/<profile>/examples/`):
//!
//! - no URL shape ever shows its password: not on standard output, not in `--json`, not in
//!   error lines, not in debug logs;
//! - a URL that is malformed, names no database or has an ambiguous password is refused with
//!   exit 2 (the CLI) before anything connects, never defaulted;
//! - a server that accepts connections and never answers makes `status` and the start-up job
//!   fail quickly with the connect timeout, instead of hanging.

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use migrate_core::testing::{Backend, TestDatabase};

#[path = "support/example.rs"]
mod example;

use example::example_binary;

/// The password every URL here carries, in several spellings.
const SECRET: &str = "hunter2-S3CRET";

/// Fragments of [`SECRET`] that must not appear either.
const FRAGMENTS: [&str; 2] = ["hunter2", "S3CRET"];

/// What a process did.
#[derive(Debug)]
struct Run {
    /// `None`: killed after the time limit.
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Run {
    fn all(&self) -> String {
        format!("--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr)
    }

    #[track_caller]
    fn assert_secret_free(&self, what: &str) {
        for fragment in FRAGMENTS {
            assert!(
                !self.stdout.contains(fragment) && !self.stderr.contains(fragment),
                "{what} shows the password:\n{}",
                self.all()
            );
        }
    }
}

/// Runs `program` with `args`, `DATABASE_URL=url` and `env`, in `dir`, killing it after
/// `limit`.
fn run(
    program: &str,
    args: &[&str],
    url: &str,
    env: &[(&str, &str)],
    dir: &Path,
    limit: Duration,
) -> Run {
    let started = Instant::now();
    let mut child = Command::new(example_binary(program))
        .args(args)
        .current_dir(dir)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "debug")
        .env_remove("MIGRATE_CONNECT_TIMEOUT")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the example");
    let out = child.stdout.take().expect("stdout");
    let err = child.stderr.take().expect("stderr");
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let (out, err) = (reader(Box::new(out)), reader(Box::new(err)));
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Run {
        code,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
        elapsed: started.elapsed(),
    }
}

/// Every operator command, as the `migrate` example takes it.
const COMMANDS: &[&[&str]] = &[
    &["status"],
    &["status", "--json"],
    &["plan"],
    &["plan", "--json"],
    &["up"],
    &["validate"],
    &["validate", "--json"],
    &["redo", "--yes"],
    &["down", "--to", "1", "--yes"],
    &["resume"],
    &["repair"],
    &["baseline", "--version", "1"],
    &["accept-checksum", "--version", "1"],
    &["verify", "--json"],
];

/// The examples other than `migrate`, with their arguments.
const EXAMPLES: &[(&str, &[&str])] = &[
    ("startup", &[]),
    ("status", &[]),
    ("rollback", &["--to", "1"]),
];

const LIMIT: Duration = Duration::from_secs(120);

/// `url` (`scheme://user@host/db`) with `password` put in the userinfo.
fn with_userinfo_password(url: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("scheme");
    let (user, rest) = rest.split_once('@').expect("user");
    format!("{scheme}://{user}:{password}@{rest}")
}

/// Runs every command and example with `url`; each must keep the password secret and exit
/// with a status in `allowed`.
fn run_everything(url: &str, allowed: &[i32], dir: &Path) {
    for args in COMMANDS {
        let run = run("migrate", args, url, &[], dir, LIMIT);
        run.assert_secret_free(&format!("`migrate {}` with {url:?}", args.join(" ")));
        let code = run.code.unwrap_or(-1);
        assert!(
            allowed.contains(&code),
            "`migrate {}` with {url:?} exited with {code}, not one of {allowed:?}\n{}",
            args.join(" "),
            run.all()
        );
    }
    for (program, args) in EXAMPLES {
        let run = run(program, args, url, &[], dir, LIMIT);
        run.assert_secret_free(&format!("the `{program}` example with {url:?}"));
        assert!(
            run.code.is_some(),
            "the `{program}` example hung\n{}",
            run.all()
        );
    }
}

#[tokio::test]
async fn no_command_or_example_shows_a_password_in_any_url_shape() {
    let dir = tempfile::tempdir().expect("temp dir");
    // PostgreSQL trusts the test user, so a password is accepted and ignored: every command
    // runs for real with it.
    if let Some(db) = TestDatabase::create(Backend::Postgres)
        .await
        .expect("test database")
    {
        let encoded = with_userinfo_password(db.url(), &format!("{SECRET}%2F%3F%23%40x"));
        let query = format!("{}?password={SECRET}&sslmode=disable", db.url());
        for url in [&encoded, &query] {
            let json = run(
                "migrate",
                &["status", "--json"],
                url,
                &[],
                dir.path(),
                LIMIT,
            );
            assert_eq!(json.code, Some(0), "{url}\n{}", json.all());
            let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
            let shown = json["database"].as_str().expect("database");
            assert!(shown.contains("***"), "{shown}");
            run_everything(url, &[0, 1, 3], dir.path());
        }
        // Unencoded `/`, `?`, `#`: refused, whatever the parser would have made of them.
        for separator in ["/", "?", "#"] {
            let url = with_userinfo_password(db.url(), &format!("hunter2{separator}S3CRET"));
            run_everything(&url, &[2], dir.path());
        }
        db.drop_database().await;
    }
    // MariaDB's root has no password: one given is refused by the server (exit 1).
    if let Some(server) = Backend::MySql.server_url() {
        let wrong = with_userinfo_password(&server, &format!("{SECRET}%2Fx"));
        for args in [&["status"][..], &["status", "--json"], &["up"]] {
            let run = run("migrate", args, &wrong, &[], dir.path(), LIMIT);
            run.assert_secret_free("a refused MySQL password");
            assert_eq!(run.code, Some(1), "{}", run.all());
        }
    }
    // No scheme at all.
    for url in [
        format!("postgres:{SECRET}@127.0.0.1:5432/postgres"),
        format!("root:{SECRET}@127.0.0.1:3306/test"),
        format!("//root:{SECRET}@127.0.0.1:3306/test"),
    ] {
        run_everything(&url, &[2], dir.path());
    }
}

#[test]
fn malformed_or_databaseless_urls_are_refused_not_defaulted() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (url, says) in [
        ("postgres:/", "malformed database URL"),
        ("postgres://postgres@127.0.0.1:5432", "names no database"),
        ("postgres://postgres@127.0.0.1:5432/", "names no database"),
        ("mysql://root@127.0.0.1:3306", "names no database"),
        (
            "mysql://root@127.0.0.1:3306/?ssl=false",
            "names no database",
        ),
        ("sqlite://", "names no database"),
    ] {
        for args in COMMANDS {
            let run = run("migrate", args, url, &[], dir.path(), LIMIT);
            assert_eq!(run.code, Some(2), "{url} {args:?}\n{}", run.all());
            assert!(run.stderr.contains(says), "{url} {args:?}\n{}", run.all());
            assert_eq!(run.stdout, "", "{url} {args:?}");
        }
        for (program, args) in EXAMPLES {
            let run = run(program, args, url, &[], dir.path(), LIMIT);
            assert_eq!(run.code, Some(1), "{program} {url}\n{}", run.all());
            assert!(run.stderr.contains(says), "{program} {url}\n{}", run.all());
        }
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "a refused URL created files: {left:?}");
}

/// A server that accepts every connection and never sends a byte.
fn silent_server() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let accepting = listener.try_clone().expect("clone");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in accepting.incoming().flatten() {
            held.push(stream); // kept open, never answered
        }
    });
    (listener, port)
}

#[test]
fn a_server_that_never_answers_fails_status_verify_and_startup_with_the_connect_timeout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_listener, port) = silent_server();
    let limit = Duration::from_secs(15);
    for scheme in ["mysql", "postgres"] {
        let url = format!("{scheme}://app:{SECRET}@127.0.0.1:{port}/app");
        let host = format!("127.0.0.1:{port}");
        let flag = run(
            "migrate",
            &["status", "--connect-timeout", "1"],
            &url,
            &[],
            dir.path(),
            limit,
        );
        let verify = run(
            "migrate",
            &["verify", "--connect-timeout", "1"],
            &url,
            &[],
            dir.path(),
            limit,
        );
        let env = [("MIGRATE_CONNECT_TIMEOUT", "1")];
        let from_env = run("migrate", &["status"], &url, &env, dir.path(), limit);
        let startup = run("startup", &[], &url, &env, dir.path(), limit);
        let status = run("status", &[], &url, &env, dir.path(), limit);
        for (what, run) in [
            ("status --connect-timeout 1", flag),
            ("verify --connect-timeout 1", verify),
            ("status with MIGRATE_CONNECT_TIMEOUT=1", from_env),
            ("the startup example", startup),
            ("the status example", status),
        ] {
            assert_eq!(run.code, Some(1), "{scheme}: {what}\n{}", run.all());
            assert!(
                run.elapsed < Duration::from_secs(10),
                "{scheme}: {what} took {:?}",
                run.elapsed
            );
            assert!(
                run.stderr.contains("connect timeout") && run.stderr.contains(&host),
                "{scheme}: {what}\n{}",
                run.all()
            );
            run.assert_secret_free(what);
        }
    }
}

#[test]
fn an_unreadable_connect_timeout_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = "sqlite://unused.db";
    let run_flag = run(
        "migrate",
        &["status", "--connect-timeout", "soon"],
        url,
        &[],
        dir.path(),
        LIMIT,
    );
    assert_eq!(run_flag.code, Some(2), "{}", run_flag.all());
    let env = [("MIGRATE_CONNECT_TIMEOUT", "0")];
    let startup = run("startup", &[], url, &env, dir.path(), LIMIT);
    assert_eq!(startup.code, Some(1), "{}", startup.all());
    assert!(
        startup.stderr.contains("MIGRATE_CONNECT_TIMEOUT"),
        "{}",
        startup.all()
    );
}
