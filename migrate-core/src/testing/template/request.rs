//! What a template is built for ([`Request`]): the digest that identifies it, and migrating a
//! database to its version and checking that the history got there.

use sha2::{Digest as _, Sha256};

use crate::driver::AnyDriver;
use crate::testing::admin::admin_error;
use crate::testing::backend::Backend;
use crate::{Config, Direction, Error, MigrationSet, Migrator, Target, Version};

/// What a test database must be at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request<'a> {
    pub(crate) backend: Backend,
    pub(crate) set: &'a MigrationSet,
    pub(crate) version: Version,
    pub(crate) config: &'a Config,
}

/// What a resolved template is cached under in a process: its server and its digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) server: Option<String>,
    pub(crate) digest: [u8; 32],
}

impl Request<'_> {
    /// What the template for this request is cached under.
    pub(crate) fn key(&self) -> Key {
        Key {
            server: self.backend.server_url(),
            digest: self.digest(),
        }
    }

    /// The digest of everything that decides the template's content.
    fn digest(&self) -> [u8; 32] {
        let dialect = self.backend.dialect();
        let mut hash = Sha256::new();
        let mut field = |text: &str| {
            hash.update((text.len() as u64).to_le_bytes());
            hash.update(text.as_bytes());
        };
        field("migrate template 1");
        field(&dialect.to_string());
        field(&self.version.to_string());
        field(&format!("{:?}", self.config));
        for m in self
            .set
            .migrations()
            .iter()
            .take_while(|m| m.version() <= self.version)
        {
            field(&m.version().to_string());
            field(m.description());
            for direction in [Direction::Up, Direction::Down] {
                let checksum = m
                    .script(direction, dialect)
                    .map(|s| s.checksum().to_string());
                field(checksum.as_deref().unwrap_or("-"));
            }
        }
        hash.finalize().into()
    }
}

/// Migrates the database at `url` to the request's version, with its configuration.
pub(crate) async fn migrate(request: &Request<'_>, url: &str) -> Result<(), Error> {
    let mut driver = AnyDriver::connect(url)
        .await
        .map_err(|e| admin_error("connecting to a template", e))?;
    Migrator::with_config(request.set, request.config.clone())
        .up(&mut driver, Target::Version(request.version))
        .await?;
    Ok(())
}

/// Whether the database at `url` holds every version of `request` up to its target, applied,
/// with the embedded checksums.
pub(crate) async fn history_complete(request: &Request<'_>, url: &str) -> Result<bool, Error> {
    let mut driver = AnyDriver::connect(url)
        .await
        .map_err(|e| admin_error("connecting to a template", e))?;
    let migrator = Migrator::with_config(request.set, request.config.clone());
    let Ok(applied) = migrator.history(&mut driver).await else {
        return Ok(false);
    };
    let dialect = request.backend.dialect();
    let expected: Vec<Version> = request
        .set
        .migrations()
        .iter()
        .map(|m| m.version())
        .take_while(|v| *v <= request.version)
        .collect();
    let versions: Vec<Version> = applied.iter().map(|r| r.version).collect();
    Ok(versions == expected
        && crate::plan::check_history(request.set, &applied, dialect).is_ok()
        && crate::plan::check_down_checksums(request.set, &applied, dialect).is_ok()
        && crate::plan::reject_failed(request.set, &applied, dialect).is_ok())
}
