//! v1's rows and inputs.

use serde::Serialize;

/// An app as v1 shows it (soft-deleted apps are never returned).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct App {
    /// Identifier.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
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
}

/// A partial update: `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppPatch {
    /// A new name.
    pub name: Option<String>,
    /// A new description (`Some(None)` clears it).
    pub description: Option<Option<String>>,
}

/// One metadata entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Metadata {
    /// The key.
    pub name: String,
    /// The value.
    pub value: String,
}
