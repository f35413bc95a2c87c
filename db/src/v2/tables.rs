//! v2's rows and inputs.

use serde::Serialize;

pub use crate::v1::tables::Metadata;

/// An app as v2 shows it (soft-deleted apps are never returned).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct App {
    /// Identifier.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// The kind of app (`standard` unless set).
    pub app_type: String,
    /// When it was created, as the database prints it.
    pub created_at: String,
    /// When it was last changed, as the database prints it.
    pub updated_at: String,
}

/// A new app.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewApp {
    /// Name.
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// The kind of app; `None` takes the schema's default, `standard`.
    pub app_type: Option<String>,
}

/// A partial update: `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppPatch {
    /// A new name.
    pub name: Option<String>,
    /// A new description (`Some(None)` clears it).
    pub description: Option<Option<String>>,
    /// A new type.
    pub app_type: Option<String>,
}

/// A feature of an app.
///
/// `FromRow` is written out rather than derived: the queries read `enabled` as 0 or 1, since
/// sqlx's `Any` driver cannot read SQLite booleans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feature {
    /// Identifier.
    pub id: i64,
    /// The app it belongs to.
    pub app_id: i64,
    /// Name.
    pub name: String,
    /// Whether it is switched on.
    pub enabled: bool,
    /// When it was created, as the database prints it.
    pub created_at: String,
}

/// A new feature.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewFeature {
    /// The app it belongs to.
    pub app_id: i64,
    /// Name.
    pub name: String,
    /// Whether it starts switched on.
    pub enabled: bool,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for Feature {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Feature, sqlx::Error> {
        use sqlx::Row;
        Ok(Feature {
            id: row.try_get("id")?,
            app_id: row.try_get("app_id")?,
            name: row.try_get("name")?,
            enabled: row.try_get::<i64, _>("enabled")? != 0,
            created_at: row.try_get("created_at")?,
        })
    }
}
