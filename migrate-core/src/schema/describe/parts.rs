//! What the per-dialect describe queries share: the names they leave out or keep to, and the
//! way their parts are joined.

/// The names of the history table and its log, as string literals for `NOT IN (…)`, and those
/// of the tables a scoped query describes, for `IN (…)`.
pub(super) struct History {
    /// The history table, its log and its lock table, as string literals.
    pub(super) names: String,
    /// The scope's names, as string literals.
    pub(super) scope: Option<Vec<String>>,
    /// Whether triggers are described (always, unless the scope says otherwise).
    pub(super) triggers: bool,
}

impl History {
    /// ` AND {column} IN (…)` when the query is scoped, written by `cond`; else nothing.
    pub(super) fn scoped(&self, cond: impl Fn(&str) -> String) -> String {
        self.scope
            .as_ref()
            .map(|names| format!(" AND {}", cond(&names.join(", "))))
            .unwrap_or_default()
    }
}

/// The parts of one query, one per object kind, as one `UNION ALL`.
pub(super) fn union_all(parts: &[String]) -> String {
    parts.join("\nUNION ALL\n")
}
