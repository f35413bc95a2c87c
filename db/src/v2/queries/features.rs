//! v2 features: list per app, get, create, switch on or off, delete.

use anyhow::Context;
use sqlx::any::AnyArguments;
use sqlx::{AnyPool, Arguments};

use crate::sql::Sql;
use crate::v2::tables::{Feature, NewFeature};

/// The features queries.
#[derive(Debug, Clone, Copy)]
pub struct Features<'a> {
    pool: &'a AnyPool,
    sql: Sql,
}

impl<'a> Features<'a> {
    pub(crate) fn new(pool: &'a AnyPool, sql: Sql) -> Features<'a> {
        Features { pool, sql }
    }

    fn columns(&self) -> String {
        format!(
            "id, app_id, name, {}, {}",
            self.sql.flag("enabled"),
            self.sql.text("created_at")
        )
    }

    /// The feature `id`.
    pub async fn get(&self, id: i64) -> anyhow::Result<Option<Feature>> {
        let query = format!("SELECT {} FROM features WHERE id = ?", self.columns());
        sqlx::query_as(self.sql.render(&query))
            .bind(id)
            .fetch_optional(self.pool)
            .await
            .with_context(|| format!("v2: reading feature {id}"))
    }

    /// The features of app `app_id`, in id order.
    pub async fn for_app(&self, app_id: i64) -> anyhow::Result<Vec<Feature>> {
        let query = format!(
            "SELECT {} FROM features WHERE app_id = ? ORDER BY id",
            self.columns()
        );
        sqlx::query_as(self.sql.render(&query))
            .bind(app_id)
            .fetch_all(self.pool)
            .await
            .with_context(|| format!("v2: listing the features of app {app_id}"))
    }

    /// Creates a feature and returns it; the app must exist (foreign key).
    pub async fn create(&self, new: &NewFeature) -> anyhow::Result<Feature> {
        let insert = "INSERT INTO features (app_id, name, enabled) VALUES (?, ?, ?)";
        let mut args = AnyArguments::default();
        args.add(new.app_id).map_err(sqlx::Error::Encode)?;
        args.add(&new.name).map_err(sqlx::Error::Encode)?;
        args.add(new.enabled).map_err(sqlx::Error::Encode)?;
        let id = self
            .sql
            .insert_returning_id(self.pool, insert, args)
            .await
            .context("v2: creating a feature")?;
        self.get(id).await?.context("v2: the new feature vanished")
    }

    /// Switches the feature on or off; `false` if there is no such feature.
    pub async fn set_enabled(&self, id: i64, enabled: bool) -> anyhow::Result<bool> {
        let done = sqlx::query(
            self.sql
                .render("UPDATE features SET enabled = ? WHERE id = ?"),
        )
        .bind(enabled)
        .bind(id)
        .execute(self.pool)
        .await
        .with_context(|| format!("v2: switching feature {id}"))?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes the feature; `false` if there was none.
    pub async fn delete(&self, id: i64) -> anyhow::Result<bool> {
        let done = sqlx::query(self.sql.render("DELETE FROM features WHERE id = ?"))
            .bind(id)
            .execute(self.pool)
            .await
            .with_context(|| format!("v2: deleting feature {id}"))?;
        Ok(done.rows_affected() > 0)
    }
}
