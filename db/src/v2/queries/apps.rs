//! v2 apps: v1's operations plus the app type.

use anyhow::Context;
use sqlx::any::AnyArguments;
use sqlx::{AnyPool, Arguments};

use crate::sql::Sql;
use crate::v2::tables::{App, AppPatch, NewApp};
use crate::Page;

/// The apps queries.
#[derive(Debug, Clone, Copy)]
pub struct Apps<'a> {
    pool: &'a AnyPool,
    sql: Sql,
}

impl<'a> Apps<'a> {
    pub(crate) fn new(pool: &'a AnyPool, sql: Sql) -> Apps<'a> {
        Apps { pool, sql }
    }

    fn columns(&self) -> String {
        format!(
            "id, name, description, app_type, {}, {}",
            self.sql.text("created_at"),
            self.sql.text("updated_at")
        )
    }

    /// The app `id`, unless it does not exist or was deleted.
    pub async fn get(&self, id: i64) -> anyhow::Result<Option<App>> {
        let query = format!(
            "SELECT {} FROM apps WHERE id = ? AND deleted_at IS NULL",
            self.columns()
        );
        sqlx::query_as(self.sql.render(&query))
            .bind(id)
            .fetch_optional(self.pool)
            .await
            .with_context(|| format!("v2: reading app {id}"))
    }

    /// Apps in id order, one page at a time, optionally of one type.
    pub async fn list(&self, page: Page, app_type: Option<&str>) -> anyhow::Result<Vec<App>> {
        let filter = if app_type.is_some() {
            " AND app_type = ?"
        } else {
            ""
        };
        let query = format!(
            "SELECT {} FROM apps WHERE deleted_at IS NULL{filter} ORDER BY id LIMIT ? OFFSET ?",
            self.columns()
        );
        let rendered = self.sql.render(&query);
        let mut list = sqlx::query_as(rendered);
        if let Some(app_type) = app_type {
            list = list.bind(app_type);
        }
        list.bind(i64::from(page.limit))
            .bind(i64::from(page.offset))
            .fetch_all(self.pool)
            .await
            .context("v2: listing apps")
    }

    /// Creates an app and returns it.
    pub async fn create(&self, new: &NewApp) -> anyhow::Result<App> {
        let app_type = new.app_type.as_deref().unwrap_or("standard");
        let insert = "INSERT INTO apps (name, description, app_type) VALUES (?, ?, ?)";
        let mut args = AnyArguments::default();
        args.add(&new.name).map_err(sqlx::Error::Encode)?;
        args.add(&new.description).map_err(sqlx::Error::Encode)?;
        args.add(app_type).map_err(sqlx::Error::Encode)?;
        let id = self
            .sql
            .insert_returning_id(self.pool, insert, args)
            .await
            .context("v2: creating an app")?;
        self.get(id).await?.context("v2: the new app vanished")
    }

    /// Changes the fields `patch` sets; `None` if there is no such app.
    pub async fn update(&self, id: i64, patch: &AppPatch) -> anyhow::Result<Option<App>> {
        let mut sets = Vec::new();
        if patch.name.is_some() {
            sets.push("name = ?");
        }
        if patch.description.is_some() {
            sets.push("description = ?");
        }
        if patch.app_type.is_some() {
            sets.push("app_type = ?");
        }
        let now = format!("updated_at = {}", self.sql.now());
        sets.push(&now);
        let query = format!(
            "UPDATE apps SET {} WHERE id = ? AND deleted_at IS NULL",
            sets.join(", ")
        );
        let rendered = self.sql.render(&query);
        let mut update = sqlx::query(rendered);
        if let Some(name) = &patch.name {
            update = update.bind(name);
        }
        if let Some(description) = &patch.description {
            update = update.bind(description);
        }
        if let Some(app_type) = &patch.app_type {
            update = update.bind(app_type);
        }
        let done = update
            .bind(id)
            .execute(self.pool)
            .await
            .with_context(|| format!("v2: updating app {id}"))?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        self.get(id).await
    }

    /// Soft-deletes the app; `false` if there was none to delete. Its features stay, as
    /// history.
    pub async fn delete(&self, id: i64) -> anyhow::Result<bool> {
        // Soft delete has the same meaning in both API versions.
        crate::v1::queries::apps::Apps::new(self.pool, self.sql)
            .delete(id)
            .await
    }
}
