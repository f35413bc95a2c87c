//! Build cost: compiling a binary that embeds the same 1,000-version tree with
//! `migrate_macros::embed_migrations!` and with `sqlx::migrate!`, next to a baseline that embeds
//! nothing.
//!
//! The three crates live in a scratch workspace under `target/bench-build-cost/` with identical
//! dependencies, so their dependencies are compiled once (untimed) and shared. Each timing is
//! `cargo build --release -p <crate>` after touching the crate's `main.rs`: the crate itself is
//! recompiled, macro expansion included, and nothing else. Sizes are of the release binaries as
//! Cargo leaves them (not stripped).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context as _};
use migrate_core::Dialect;

use crate::stats::Summary;
use crate::tree::{self, GenVersion};

/// One crate's cost.
#[derive(Debug, Clone)]
pub(crate) struct CrateCost {
    /// What it embeds.
    pub(crate) what: &'static str,
    /// Rebuild time of the crate alone.
    pub(crate) build: Summary,
    /// Release binary size in bytes.
    pub(crate) size: u64,
}

/// The build-cost measurement.
#[derive(Debug, Clone)]
pub(crate) struct BuildCost {
    /// Versions in the tree.
    pub(crate) versions: u32,
    /// Bytes of SQL in the tree (up and down scripts).
    pub(crate) tree_bytes: usize,
    /// Baseline, migrate, sqlx.
    pub(crate) crates: Vec<CrateCost>,
}

struct Member {
    name: &'static str,
    what: &'static str,
    main: &'static str,
    expect: String,
}

/// Measures the build cost with `versions` versions, `reps` timed builds per crate.
pub(crate) fn measure(
    workspace: &Path,
    versions: u32,
    reps: usize,
    seed: u64,
) -> anyhow::Result<BuildCost> {
    let root = workspace.join("target").join("bench-build-cost");
    let generated = tree::generate(versions, Dialect::Postgres, seed);
    let tree_bytes = generated.iter().map(|v| v.up.len() + v.down.len()).sum();
    let members = members(versions);
    write_workspace(workspace, &root, &members, &generated)?;

    eprintln!("build cost: compiling the scratch workspace's dependencies (untimed, once)…");
    cargo_build(&root, None)?;
    let times = time_rebuilds(&root, &members, reps)?;
    let crates = crate_costs(&root, &members, &times)?;
    Ok(BuildCost {
        versions,
        tree_bytes,
        crates,
    })
}

/// The three crates: the baseline, then migrate's macro, then sqlx's, each printing what it
/// embeds so that the measurement can check it.
fn members(versions: u32) -> [Member; 3] {
    [
        Member {
            name: "baseline",
            what: "nothing (same dependencies)",
            main: "fn main() {\n    println!(\"{}\", std::hint::black_box(0));\n}\n",
            expect: "0".to_owned(),
        },
        Member {
            name: "embed-migrate",
            what: "`migrate_macros::embed_migrations!`",
            main: "static MIGRATIONS: migrate_core::MigrationSet =\n    migrate_macros::embed_migrations!(\"versions\");\n\n\
                   fn main() {\n    let set = std::hint::black_box(&MIGRATIONS);\n    \
                   println!(\"{}\", set.migrations().len());\n}\n",
            expect: versions.to_string(),
        },
        Member {
            name: "embed-sqlx",
            what: "`sqlx::migrate!`",
            main: "static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!(\"./migrations\");\n\n\
                   fn main() {\n    let migrator = std::hint::black_box(&MIGRATOR);\n    \
                   println!(\"{}\", migrator.iter().filter(|m| m.migration_type.is_up_migration()).count());\n}\n",
            expect: versions.to_string(),
        },
    ]
}

/// Rebuilds each crate alone `reps` times, in turn, and returns each crate's timings.
fn time_rebuilds(
    root: &Path,
    members: &[Member],
    reps: usize,
) -> anyhow::Result<Vec<Vec<Duration>>> {
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); members.len()];
    for rep in 0..reps {
        for (i, member) in members.iter().enumerate() {
            // Rewriting main.rs makes Cargo rebuild this crate, and only it.
            fs::write(root.join(member.name).join("src/main.rs"), member.main)?;
            let started = Instant::now();
            cargo_build(root, Some(member.name))?;
            times[i].push(started.elapsed());
            eprintln!(
                "build cost: {} rebuilt in {:.2} s (run {}/{reps})",
                member.name,
                times[i].last().map_or(0.0, Duration::as_secs_f64),
                rep + 1
            );
        }
    }
    Ok(times)
}

/// Each crate's cost: its rebuild timings and binary size, after checking that the binary
/// prints what its member expects.
fn crate_costs(
    root: &Path,
    members: &[Member],
    times: &[Vec<Duration>],
) -> anyhow::Result<Vec<CrateCost>> {
    let mut crates = Vec::new();
    for (member, samples) in members.iter().zip(times) {
        let binary = root.join("target/release").join(member.name);
        let output = Command::new(&binary)
            .output()
            .with_context(|| format!("running {}", binary.display()))?;
        let printed = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        ensure!(
            printed == member.expect,
            "{} printed {printed:?}, expected {:?}",
            member.name,
            member.expect
        );
        crates.push(CrateCost {
            what: member.what,
            build: Summary::of(samples).context("no build timings")?,
            size: fs::metadata(&binary)?.len(),
        });
    }
    Ok(crates)
}

fn write_workspace(
    workspace: &Path,
    root: &Path,
    members: &[Member],
    generated: &[GenVersion],
) -> anyhow::Result<()> {
    fs::create_dir_all(root)?;
    let names: Vec<String> = members.iter().map(|m| format!("\"{}\"", m.name)).collect();
    fs::write(
        root.join("Cargo.toml"),
        format!(
            "# Scratch workspace written by migrate-bench (build cost); safe to delete.\n\
             [workspace]\nresolver = \"2\"\nmembers = [{}]\n",
            names.join(", ")
        ),
    )?;
    // The same dependency versions as the main workspace.
    let lock = root.join("Cargo.lock");
    if !lock.exists() {
        fs::copy(workspace.join("Cargo.lock"), &lock)?;
    }
    let path = |p: &str| workspace.join(p).display().to_string();
    for member in members {
        let dir = root.join(member.name);
        fs::create_dir_all(dir.join("src"))?;
        fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
                 [dependencies]\n\
                 migrate-core = {{ path = \"{}\" }}\n\
                 migrate-macros = {{ path = \"{}\" }}\n\
                 sqlx = {{ version = \"0.8\", default-features = false, features = [\"runtime-tokio\", \"macros\", \"migrate\"] }}\n",
                member.name,
                path("migrate-core"),
                path("migrate-macros"),
            ),
        )?;
        fs::write(dir.join("src/main.rs"), member.main)?;
    }
    let versions_dir = root.join("embed-migrate/versions");
    let sqlx_dir = root.join("embed-sqlx/migrations");
    for dir in [&versions_dir, &sqlx_dir] {
        if dir.exists() {
            fs::remove_dir_all(dir)?;
        }
        fs::create_dir_all(dir)?;
    }
    for v in generated {
        tree::write_migrate_version(&versions_dir, v)?;
        let stem = format!("{}_{}", v.number, v.description);
        fs::write(sqlx_dir.join(format!("{stem}.up.sql")), &v.up)?;
        fs::write(sqlx_dir.join(format!("{stem}.down.sql")), &v.down)?;
    }
    Ok(())
}

/// `cargo build --release` in the scratch workspace (one package, or all).
fn cargo_build(root: &Path, package: Option<&str>) -> anyhow::Result<()> {
    let cargo = std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["build", "--release", "--quiet"])
        .env("CARGO_TARGET_DIR", root.join("target"));
    // Variables `cargo run` set for this binary must not leak into the nested build.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("CARGO_") && key != "CARGO_HOME" && key != "CARGO_TARGET_DIR" {
            command.env_remove(&key);
        }
    }
    match package {
        Some(name) => command.args(["-p", name]),
        None => command.arg("--workspace"),
    };
    let status = command.status().context("running cargo")?;
    if !status.success() {
        bail!("cargo build in {} failed ({status})", root.display());
    }
    Ok(())
}
