//! SQLite templates: files in `migrate_templates` under the temporary folder.

use std::path::Path;
use std::sync::OnceLock;

use super::copying::Template;
use super::name::{folder, hex, PREFIX, REUSE_FOR};
use super::request::{history_complete, migrate, Request};
use crate::driver::{AnyDriver, DriverError};
use crate::scratch_name::STALE_AFTER;
use crate::testing::admin::admin_error;
use crate::Error;

/// The template file of `digest`, built (and swept) if needed.
pub(crate) async fn resolve(request: &Request<'_>, digest: &[u8; 32]) -> Result<Template, Error> {
    let folder = folder();
    std::fs::create_dir_all(&folder).map_err(io("creating the templates folder"))?;
    sweep(&folder);
    let path = folder.join(format!("{PREFIX}{}.db", hex(digest)));
    if young(&path) {
        return Ok(Template::Sqlite(path));
    }
    // Build beside it and rename: the final name only ever holds a finished file. Two
    // processes racing both build; the last rename wins with identical content.
    let scratch = tempfile::Builder::new()
        .prefix(PREFIX)
        .tempdir_in(&folder)
        .map_err(io("creating a scratch folder"))?;
    let building = scratch.path().join("build.db");
    let url = format!("sqlite://{}", building.display());
    migrate(request, &url).await?;
    if !history_complete(request, &url).await? {
        return Err(admin_error(
            "building a template",
            DriverError::other("its history does not match the migrations after migrating"),
        ));
    }
    // One self-contained file, whatever journal the connection used.
    let finished = scratch.path().join("finished.db");
    let mut driver = AnyDriver::connect(&url)
        .await
        .map_err(|e| admin_error("connecting to a template", e))?;
    let target = crate::Dialect::Sqlite.string_literal(&finished.display().to_string());
    crate::driver::Driver::execute(&mut driver, &format!("VACUUM INTO {target}"))
        .await
        .map_err(|e| admin_error("writing a template", e))?;
    drop(driver);
    std::fs::rename(&finished, &path).map_err(io("publishing a template"))?;
    Ok(Template::Sqlite(path))
}

/// Whether `path` exists and was written less than [`REUSE_FOR`] ago.
fn young(path: &Path) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age < REUSE_FOR)
}

/// Removes templates, pooled copies and scratch folders older than a day, once per process.
fn sweep(folder: &Path) {
    static SWEPT: OnceLock<()> = OnceLock::new();
    if SWEPT.set(()).is_err() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_AFTER);
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with(PREFIX) || name.starts_with(crate::testing::pool::PREFIX);
        if stale && ours {
            let path = entry.path();
            let _ = std::fs::remove_file(&path).or_else(|_| std::fs::remove_dir_all(&path));
        }
    }
}

fn io(doing: &'static str) -> impl Fn(std::io::Error) -> Error {
    move |e| admin_error(doing, DriverError::other(e))
}
