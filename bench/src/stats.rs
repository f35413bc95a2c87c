//! Summaries of repeated timings: median with min and max; and of per-round ratios: their
//! median with their spread.

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

/// How many times `a` is `b`.
pub(crate) fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(f64::MIN_POSITIVE)
}

/// The median of ratios taken round by round (a contender over its baseline in the same round),
/// with their spread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Ratio {
    /// The median (the mean of the two middle values for an even count).
    pub(crate) median: f64,
    /// The lowest.
    pub(crate) min: f64,
    /// The highest.
    pub(crate) max: f64,
    /// How many rounds.
    pub(crate) rounds: usize,
}

impl Ratio {
    /// Summarises per-round `ratios`; `None` when there are none.
    pub(crate) fn of(ratios: &[f64]) -> Option<Ratio> {
        let mut sorted = ratios.to_vec();
        sorted.sort_by(f64::total_cmp);
        let rounds = sorted.len();
        let median = match rounds {
            0 => return None,
            n if n % 2 == 1 => sorted[n / 2],
            n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        Some(Ratio {
            median,
            min: sorted[0],
            max: sorted[rounds - 1],
            rounds,
        })
    }

    /// The spread, lowest–highest; `n/a` from a single round.
    pub(crate) fn spread(&self) -> String {
        match self.rounds {
            1 => "n/a".to_owned(),
            _ => format!("{:.2}–{:.2}", self.min, self.max),
        }
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}× ({})", self.median, self.spread())
    }
}

/// `n` and a noun, in the plural unless `n` is 1 (`1 round`, `5 rounds`).
pub(crate) fn count(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
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
    fn ratio_is_the_median_of_the_rounds_with_their_range() {
        let r = Ratio::of(&[1.2, 0.9, 1.0, 1.5, 1.1]).expect("ratio");
        assert_eq!((r.median, r.min, r.max, r.rounds), (1.1, 0.9, 1.5, 5));
        assert_eq!(r.to_string(), "1.10× (0.90–1.50)");
    }

    #[test]
    fn ratio_of_an_even_count_is_the_mean_of_the_middle_rounds() {
        let r = Ratio::of(&[1.0, 1.4, 1.2, 2.0]).expect("ratio");
        assert!((r.median - 1.3).abs() < 1e-12);
    }

    #[test]
    fn ratio_of_one_round_has_no_spread() {
        let r = Ratio::of(&[1.04]).expect("ratio");
        assert_eq!(r.to_string(), "1.04× (n/a)");
        assert_eq!(Ratio::of(&[]), None);
    }

    #[test]
    fn count_says_one_in_the_singular() {
        assert_eq!(
            (count(1, "round"), count(5, "round")),
            ("1 round".to_owned(), "5 rounds".to_owned())
        );
    }

    #[test]
    fn ratio_of_durations() {
        assert_eq!(
            ratio(Duration::from_millis(3), Duration::from_millis(2)),
            1.5
        );
    }

    #[test]
    fn human_picks_a_unit() {
        assert_eq!(Human(Duration::from_micros(812)).to_string(), "812 µs");
        assert_eq!(Human(Duration::from_micros(4310)).to_string(), "4.31 ms");
        assert_eq!(Human(Duration::from_millis(2070)).to_string(), "2.07 s");
    }
}
