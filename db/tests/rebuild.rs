//! A new version folder does not leave a stale binary.
//!
//! Builds a small crate that embeds a tree and ships `db/build.rs` as its build script, then:
//! adds a version folder and runs the old binary (a debug build reports the folder it did not
//! embed), runs `cargo build` again (the build-script line makes Cargo rebuild) and sees the new
//! version embedded.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn add_version(root: &Path, n: u32) {
    let dir = root.join(format!("sql/versions/V{n}"));
    write(
        &dir.join("up.sql"),
        &format!("CREATE TABLE t{n} (id INT);\n"),
    );
    write(&dir.join("down.sql"), &format!("DROP TABLE t{n};\n"));
}

fn cargo_build(app: &Path, target: &Path) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--offline"])
        .current_dir(app)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("MIGRATE_MACROS_TEST_MANIFEST_DIR")
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build of the probe crate failed");
}

fn run(target: &Path) -> Output {
    Command::new(target.join("debug/rebuild-probe"))
        .output()
        .expect("probe runs")
}

#[test]
fn new_version_folder_is_reported_then_embedded_after_cargo_build() {
    let ws = workspace();
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    let app = root.join("app");
    let dep = |name: &str| format!("{name} = {{ path = {:?} }}\n", ws.join(name));
    write(
        &app.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"rebuild-probe\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
             [dependencies]\n{}{}\n[workspace]\n",
            dep("migrate-core"),
            dep("migrate-macros")
        ),
    );
    std::fs::copy(ws.join("Cargo.lock"), app.join("Cargo.lock")).expect("lock file");
    // The very build script the example application ships.
    std::fs::copy(ws.join("db/build.rs"), app.join("build.rs")).expect("build.rs");
    write(
        &app.join("src/main.rs"),
        r#"static MIGRATIONS: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("../sql/versions");

fn main() {
    if let Err(e) = MIGRATIONS.check_source_dir() {
        eprintln!("{e}");
        std::process::exit(3);
    }
    let versions: Vec<String> =
        MIGRATIONS.migrations().iter().map(|m| m.version().to_string()).collect();
    println!("{}", versions.join(","));
}
"#,
    );
    add_version(root, 1);
    // Kept between runs so only the probe itself is rebuilt.
    let target = ws.join("target/rebuild-probe");

    cargo_build(&app, &target);
    let first = run(&target);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&first.stdout).trim(), "1");

    add_version(root, 2);
    let stale = run(&target);
    let stderr = String::from_utf8_lossy(&stale.stderr);
    assert_eq!(
        stale.status.code(),
        Some(3),
        "stale binary not reported: {stderr}"
    );
    assert!(
        stderr.contains("V2") && stderr.contains("rerun-if-changed"),
        "{stderr}"
    );

    cargo_build(&app, &target);
    let rebuilt = run(&target);
    assert!(
        rebuilt.status.success(),
        "{}",
        String::from_utf8_lossy(&rebuilt.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&rebuilt.stdout).trim(), "1,2");
}
