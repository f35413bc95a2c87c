//! CPU use over an interval, read from Linux's `/proc`: how busy the whole machine was, and how
//! much CPU time one process (the database server) took, so that a scenario's table says
//! whether it left cores idle or was bound by the server.

use std::time::Duration;

/// Clock ticks per second of `/proc`'s counters (`USER_HZ`, 100 on Linux for every
/// architecture this benchmark runs on).
const TICKS: u64 = 100;

/// The counters at one moment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    /// Ticks every core spent busy (not idle, not waiting for I/O), summed.
    busy: u64,
    /// Every tick of every core.
    total: u64,
    /// The watched process's user and system ticks.
    process: Option<u64>,
}

/// What happened between two samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Use {
    /// The share of all cores' time that was busy, 0 to 1.
    pub(crate) machine_busy: f64,
    /// The watched process's CPU time.
    pub(crate) process: Option<Duration>,
}

/// The counters now, the process `pid`'s included when it is given and readable.
pub(crate) fn sample(pid: Option<u32>) -> Option<Sample> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let (busy, total) = machine(&stat)?;
    let process = pid.and_then(|pid| {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        process_ticks(&text)
    });
    Some(Sample {
        busy,
        total,
        process,
    })
}

/// The use between `before` and `after`.
pub(crate) fn between(before: Sample, after: Sample) -> Use {
    let total = after.total.saturating_sub(before.total).max(1);
    let busy = after.busy.saturating_sub(before.busy);
    let process = match (before.process, after.process) {
        (Some(a), Some(b)) => Some(Duration::from_millis(b.saturating_sub(a) * 1000 / TICKS)),
        _ => None,
    };
    Use {
        machine_busy: busy as f64 / total as f64,
        process,
    }
}

/// The process id written in the file at `path` (a server's pid file).
pub(crate) fn pid_from_file(path: &str) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// `(busy, total)` ticks from the `cpu` line of `/proc/stat`: user, nice, system, idle,
/// iowait, irq, softirq, steal; busy is all but idle and iowait.
fn machine(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let total: u64 = fields.iter().sum();
    let idle = fields.get(3)? + fields.get(4)?;
    Some((total - idle, total))
}

/// User plus system ticks from a `/proc/<pid>/stat` line (fields 14 and 15, counted after the
/// command name, which may hold spaces and parentheses).
fn process_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_counts_all_but_idle_and_iowait_as_busy() {
        let stat = "cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 50 2 25 400 20 1 1 0 0 0\n";
        assert_eq!(machine(stat), Some((160, 1000)));
        assert_eq!(machine("intr 1 2 3\n"), None);
    }

    #[test]
    fn process_ticks_skip_a_name_with_spaces_and_parentheses() {
        let stat = "1234 (mariadbd (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 \
                    700 300 0 0 20 0 30 0 100 0 0";
        assert_eq!(process_ticks(stat), Some(1000));
        assert_eq!(process_ticks("1234 (short) S 1"), None);
    }

    #[test]
    fn use_between_two_samples() {
        let a = Sample {
            busy: 100,
            total: 1000,
            process: Some(50),
        };
        let b = Sample {
            busy: 600,
            total: 2000,
            process: Some(200),
        };
        assert_eq!(
            between(a, b),
            Use {
                machine_busy: 0.5,
                process: Some(Duration::from_millis(1500)),
            }
        );
    }
}
