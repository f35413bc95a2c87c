//! Summaries of repeated timings: median with min and max.

use std::fmt;
use std::time::Duration;

/// The median, minimum and maximum of some timings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Summary {
    /// The median (the mean of the two middle values for an even count).
    pub(crate) median: Duration,
    /// The fastest.
    pub(crate) min: Duration,
    /// The slowest.
    pub(crate) max: Duration,
    /// How many timings.
    pub(crate) count: usize,
}

impl Summary {
    /// Summarises `samples`; `None` when there are none.
    pub(crate) fn of(samples: &[Duration]) -> Option<Summary> {
        let mut sorted = samples.to_vec();
        sorted.sort();
        let count = sorted.len();
        let median = match count {
            0 => return None,
            n if n % 2 == 1 => sorted[n / 2],
            n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
        };
        Some(Summary {
            median,
            min: sorted[0],
            max: sorted[count - 1],
            count,
        })
    }

    /// This median divided by `base`'s.
    pub(crate) fn ratio_to(&self, base: &Summary) -> f64 {
        self.median.as_secs_f64() / base.median.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}–{})",
            Human(self.median),
            Human(self.min),
            Human(self.max)
        )
    }
}

/// A duration printed with a unit that suits its size (`812 µs`, `4.31 ms`, `2.07 s`).
pub(crate) struct Human(pub(crate) Duration);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.as_secs_f64();
        if secs >= 1.0 {
            write!(f, "{secs:.2} s")
        } else if secs >= 1e-3 {
            write!(f, "{:.2} ms", secs * 1e3)
        } else {
            write!(f, "{:.0} µs", secs * 1e6)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn median_of_odd_count_is_the_middle_value() {
        let s = Summary::of(&ms(&[5, 1, 3])).expect("summary");
        assert_eq!(
            (s.median, s.min, s.max),
            (
                Duration::from_millis(3),
                Duration::from_millis(1),
                Duration::from_millis(5)
            )
        );
    }

    #[test]
    fn median_of_even_count_is_the_mean_of_the_middle_values() {
        let s = Summary::of(&ms(&[4, 1, 2, 3])).expect("summary");
        assert_eq!(s.median, Duration::from_micros(2500));
    }

    #[test]
    fn no_samples_no_summary() {
        assert_eq!(Summary::of(&[]), None);
    }

    #[test]
    fn human_picks_a_unit() {
        assert_eq!(Human(Duration::from_micros(812)).to_string(), "812 µs");
        assert_eq!(Human(Duration::from_micros(4310)).to_string(), "4.31 ms");
        assert_eq!(Human(Duration::from_millis(2070)).to_string(), "2.07 s");
    }
}
