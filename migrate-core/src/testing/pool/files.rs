//! Pools of SQLite files, beside the templates: a copy is written under a scratch name, renamed
//! to its pooled name once complete, and claimed by renaming it into the test's folder.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::copies::{rotated, Pool, PREFIX};
use crate::driver::DriverError;
use crate::testing::template::templates_folder;

/// The pooled files of `pool` that may be claimed.
fn ready(pool: &Pool) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(templates_folder()) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".db").map(str::to_owned))
        .filter(|n| pool.claimable(n))
        .collect()
}

/// Moves a ready copy of `pool` into a new folder as `{name}.db`.
pub(super) fn claim(
    pool: &Pool,
    name: &str,
) -> Result<Option<(tempfile::TempDir, PathBuf)>, DriverError> {
    let candidates = rotated(ready(pool));
    if candidates.is_empty() {
        return Ok(None);
    }
    let dir = tempfile::tempdir().map_err(DriverError::other)?;
    let path = dir.path().join(format!("{name}.db"));
    let folder = templates_folder();
    for copy in candidates {
        // Fails when another claimer moved it first.
        if std::fs::rename(folder.join(format!("{copy}.db")), &path).is_ok() {
            return Ok(Some((dir, path)));
        }
    }
    Ok(None)
}

/// Copies the template file until `size` copies are ready; how long each copy took.
pub(super) fn top_up(pool: &Pool, size: usize) -> Result<Vec<Duration>, DriverError> {
    let folder = templates_folder();
    let mut made = Vec::new();
    for _ in ready(pool).len()..size {
        let started = Instant::now();
        let name = pool.new_name();
        let scratch = folder.join(format!("{name}.part"));
        std::fs::copy(Path::new(&pool.template), &scratch).map_err(DriverError::other)?;
        std::fs::rename(&scratch, folder.join(format!("{name}.db"))).map_err(DriverError::other)?;
        made.push(started.elapsed());
    }
    Ok(made)
}

/// Removes every pooled file (and half-written one); returns their names.
pub(crate) fn drop_all() -> Result<Vec<String>, DriverError> {
    let mut dropped = Vec::new();
    let Ok(entries) = std::fs::read_dir(templates_folder()) else {
        return Ok(dropped);
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(PREFIX) {
            std::fs::remove_file(entry.path()).map_err(DriverError::other)?;
            dropped.push(name);
        }
    }
    Ok(dropped)
}
