//! Timestamps as people and machines read them: RFC 3339 in UTC with milliseconds,
//! `2026-12-05T23:20:01.123Z`, whatever the server printed.
//!
//! The history stores `applied_at` in the server's own type and reads it back as text, which
//! differs by dialect: `2026-12-05 23:20:01.123456` (MySQL/MariaDB `DATETIME(6)`, UTC),
//! `2026-12-05 23:20:01.123456+00` (PostgreSQL `TIMESTAMPTZ`, in the session's time zone) and
//! `2026-12-05 23:20:01.123` (SQLite, UTC). Every output shows them in one form.

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// A date and time as servers print them, `T` or a space between date and time, the
/// fraction optional.
const SERVER: &[BorrowedFormatItem<'_>] = format_description!(
    version = 2,
    "[year]-[month]-[day][first [ ][T]][hour]:[minute]:[second][optional [.[subsecond]]]"
);

/// [`SERVER`] followed by an offset: `Z`, `+00`, `+05:30` or `-0800`.
const SERVER_WITH_OFFSET: &[BorrowedFormatItem<'_>] = format_description!(
    version = 2,
    "[year]-[month]-[day][first [ ][T]][hour]:[minute]:[second][optional [.[subsecond]]][first [Z][[offset_hour sign:mandatory][optional [[optional [:]][offset_minute]]]]]"
);

/// What every output prints.
const RFC3339_MILLIS: &[BorrowedFormatItem<'_>] = format_description!(
    version = 2,
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
);

/// `text`, a timestamp as the server printed it, in RFC 3339 (UTC, milliseconds). A
/// timestamp without an offset is UTC, as the runner records it. Text in no known form is
/// returned as it is, so that nothing is hidden.
pub(crate) fn rfc3339(text: &str) -> String {
    let text = text.trim();
    let parsed = OffsetDateTime::parse(text, SERVER_WITH_OFFSET)
        .or_else(|_| PrimitiveDateTime::parse(text, SERVER).map(PrimitiveDateTime::assume_utc));
    parsed
        .ok()
        .and_then(|at| format(at.to_offset(UtcOffset::UTC)))
        .unwrap_or_else(|| text.to_owned())
}

/// The current time, for log lines.
#[cfg(feature = "cli")]
pub(crate) fn now() -> String {
    format(OffsetDateTime::now_utc()).unwrap_or_default()
}

fn format(at: OffsetDateTime) -> Option<String> {
    at.format(RFC3339_MILLIS).ok()
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    macro_rules! converts {
        ($($name:ident: $server:expr => $shown:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(rfc3339($server), $shown);
            }
        )*};
    }

    converts! {
        mysql_datetime_is_utc: "2026-12-05 23:20:01.123456" => "2026-12-05T23:20:01.123Z";
        sqlite_milliseconds_are_kept: "2026-12-05 23:20:01.120" => "2026-12-05T23:20:01.120Z";
        postgres_utc_offset_becomes_z: "2026-12-05 23:20:01.123456+00" => "2026-12-05T23:20:01.123Z";
        postgres_offset_with_minutes_is_converted: "2026-12-06 05:20:01.5+05:30" => "2026-12-05T23:50:01.500Z";
        negative_offset_crosses_midnight: "2026-12-31 20:00:00-08" => "2027-01-01T04:00:00.000Z";
        compact_offset_is_read: "2026-12-05 23:20:01-0130" => "2026-12-06T00:50:01.000Z";
        whole_seconds_get_zero_milliseconds: "2026-12-05 23:20:01" => "2026-12-05T23:20:01.000Z";
        rfc3339_stays_as_it_is: "2026-12-05T23:20:01.123Z" => "2026-12-05T23:20:01.123Z";
        surrounding_blanks_are_ignored: " 2026-12-05 23:20:01 " => "2026-12-05T23:20:01.000Z";
        unknown_text_is_kept: "Sat Dec 05 23:20:01 2026" => "Sat Dec 05 23:20:01 2026";
    }
}
