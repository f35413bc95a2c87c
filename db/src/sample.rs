//! The development sample data, kept apart from the migrations.

/// Development sample data for each schema version, loaded only on request
/// ([`crate::Db::load_sample_data`]), never by a migration.
pub const SAMPLE_DATA: [&str; 2] = [
    include_str!("../../sql/sample/V1.sql"),
    include_str!("../../sql/sample/V2.sql"),
];
