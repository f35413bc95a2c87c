//! Skipping loudly: whether an unreachable server may skip a test at all, and the message that
//! says so, written past the test harness's capture.

use std::io::Write;

/// Whether unreachable servers fail tests instead of skipping them.
pub fn servers_required() -> bool {
    ["MIGRATE_REQUIRE_SERVERS", "CI"]
        .iter()
        .any(|var| std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false"))
}

/// Writes `message` to the process's standard error directly, past the harness's capture.
pub(crate) fn announce(message: &str) {
    let line = format!("\n*** {message} ***\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}
