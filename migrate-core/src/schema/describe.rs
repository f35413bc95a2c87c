//! The one query per dialect that describes a live schema as rows of (kind, name, definition).

use crate::history::{quote_ident, string_literal, HistoryTable};
use crate::Dialect;

/// The describe query for `dialect`, leaving out `table` and its log table.
pub(super) fn query(dialect: Dialect, table: &HistoryTable) -> String {
    let _ = quote_ident;
    let history = string_literal(dialect, table.name());
    let log = string_literal(dialect, &table.log_name());
    match dialect {
        Dialect::MySql => format!(
            "SELECT 'column', CAST(CONCAT(TABLE_NAME, '.', COLUMN_NAME) AS CHAR), CAST(CONCAT_WS(' ', COLUMN_TYPE, IS_NULLABLE, IFNULL(COLUMN_DEFAULT, '<none>'), EXTRA) AS CHAR) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT IN ({history}, {log})"
        ),
        Dialect::Postgres => format!(
            "SELECT 'column', table_name || '.' || column_name, concat_ws(' ', data_type, is_nullable, column_default) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name NOT IN ({history}, {log})"
        ),
        Dialect::Sqlite => format!(
            "SELECT 'column', m.name || '.' || p.name, p.type || ' ' || p.\"notnull\" || ' ' || IFNULL(p.dflt_value, '<none>') FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT IN ({history}, {log}) AND m.name NOT LIKE 'sqlite_%'"
        ),
    }
}
