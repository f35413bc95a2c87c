//! What the operator sees while migrations run: a progress bar on a terminal for a run of
//! several migrations, otherwise one line per migration as it finishes.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::runner::{Progress, StepReport};
use crate::Direction;

/// A run needs at least this many migrations to get a bar; shorter runs print lines only.
const BAR_FROM_STEPS: u64 = 2;

/// Where the line of each finished migration goes when no bar is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lines {
    /// Standard output, with the command's own output.
    Stdout,
    /// Standard error: standard output holds a JSON document.
    Stderr,
}

/// Shows a run's progress; [`Display::observer`] goes to [`crate::Migrator::with_progress`].
#[derive(Debug, Clone)]
pub(super) struct Display {
    /// Present on a terminal; hidden until a run is long enough.
    bar: Option<ProgressBar>,
    /// Where the bar is drawn once it appears (standard error); taken then.
    target: Arc<Mutex<Option<ProgressDrawTarget>>>,
    lines: Lines,
}

impl Display {
    /// A bar when the output `lines` would go to and standard error are both a terminal;
    /// plain lines otherwise (so that `migrate up > deploy.log` keeps every line).
    pub(super) fn new(lines: Lines) -> Display {
        let terminal = match lines {
            Lines::Stdout => std::io::stdout().is_terminal(),
            Lines::Stderr => true,
        } && std::io::stderr().is_terminal();
        if terminal {
            Display::drawing_to(ProgressDrawTarget::stderr(), lines)
        } else {
            Display {
                bar: None,
                target: Arc::default(),
                lines,
            }
        }
    }

    /// A bar drawn on `target` once a run is long enough (a terminal, or a test's recorder).
    fn drawing_to(target: ProgressDrawTarget, lines: Lines) -> Display {
        // Hidden, but with a length to grow: a bar without one never reaches `BAR_FROM_STEPS`.
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {wide_msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Display {
            bar: Some(bar),
            target: Arc::new(Mutex::new(Some(target))),
            lines,
        }
    }

    /// The observer for the runner.
    pub(super) fn observer(&self) -> impl Fn(Progress<'_>) + Send + Sync + 'static {
        let display = self.clone();
        move |event| display.on(event)
    }

    fn on(&self, event: Progress<'_>) {
        match event {
            Progress::Planned { steps } => {
                if let Some(bar) = &self.bar {
                    bar.inc_length(steps as u64);
                    if bar.is_hidden() && bar.length().unwrap_or(0) >= BAR_FROM_STEPS {
                        let target = self.target.lock().ok().and_then(|mut t| t.take());
                        if let Some(target) = target {
                            bar.set_draw_target(target);
                            bar.enable_steady_tick(Duration::from_millis(120));
                        }
                    }
                }
            }
            Progress::Started {
                version,
                description,
                direction,
                statements,
            } => {
                if let Some(bar) = &self.bar {
                    bar.set_message(format!(
                        "{} V{version} {description} ({statements} statements)",
                        doing(direction)
                    ));
                }
            }
            Progress::Finished(step) => {
                let line = finished_line(step);
                match &self.bar {
                    Some(bar) if !bar.is_hidden() => {
                        // Counted first: the bar redrawn under the line shows it done.
                        bar.inc(1);
                        bar.println(line);
                    }
                    // A closed output (`| head`) must not stop the migration.
                    _ => {
                        let _ = match self.lines {
                            Lines::Stdout => writeln!(std::io::stdout(), "{line}"),
                            Lines::Stderr => writeln!(std::io::stderr(), "{line}"),
                        };
                    }
                }
            }
        }
    }

    /// Removes the bar, if one was drawn.
    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn doing(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "applying",
        Direction::Down => "reverting",
    }
}

/// `applied V2 features (3 statements, 12 ms)`.
pub(super) fn finished_line(step: &StepReport) -> String {
    let verb = match step.direction {
        Direction::Up => "applied",
        Direction::Down => "reverted",
    };
    let description = if step.description.is_empty() {
        String::new()
    } else {
        format!(" {}", step.description)
    };
    format!(
        "{verb} V{}{description} ({} statements, {} ms)",
        step.version,
        step.statements,
        step.duration.as_millis()
    )
}

#[cfg(test)]
mod tests {
    use std::io;

    use indicatif::TermLike;

    use super::*;
    use crate::Version;

    /// A terminal that records what is written to it.
    #[derive(Debug, Clone, Default)]
    struct Recorder(Arc<Mutex<String>>);

    impl Recorder {
        fn push(&self, text: &str) -> io::Result<()> {
            self.0.lock().expect("recorder").push_str(text);
            Ok(())
        }
    }

    impl TermLike for Recorder {
        fn width(&self) -> u16 {
            100
        }
        fn move_cursor_up(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> io::Result<()> {
            self.push(&format!("{s}\n"))
        }
        fn write_str(&self, s: &str) -> io::Result<()> {
            self.push(s)
        }
        fn clear_line(&self) -> io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> io::Result<()> {
            Ok(())
        }
    }

    fn step(version: u32) -> StepReport {
        StepReport {
            version: Version::new(version).expect("positive"),
            description: "users".to_owned(),
            direction: Direction::Up,
            script: "V1__users/up.sql".to_owned(),
            statements: 2,
            duration: Duration::from_millis(5),
        }
    }

    #[test]
    fn bar_is_drawn_for_a_run_of_several_migrations() {
        let recorder = Recorder::default();
        let display = Display::drawing_to(
            ProgressDrawTarget::term_like(Box::new(recorder.clone())),
            Lines::Stdout,
        );
        let observe = display.observer();
        observe(Progress::Planned { steps: 3 });
        observe(Progress::Started {
            version: Version::new(1).expect("positive"),
            description: "users",
            direction: Direction::Up,
            statements: 2,
        });
        observe(Progress::Finished(&step(1)));
        let drawn = recorder.0.lock().expect("recorder").clone();
        assert!(
            drawn.contains("applied V1 users (2 statements"),
            "{drawn:?}"
        );
        assert!(
            drawn.contains("1/3"),
            "the bar shows the run's length: {drawn:?}"
        );
        display.finish();
    }

    #[test]
    fn a_single_migration_gets_no_bar() {
        let recorder = Recorder::default();
        let display = Display::drawing_to(
            ProgressDrawTarget::term_like(Box::new(recorder.clone())),
            Lines::Stdout,
        );
        display.observer()(Progress::Planned { steps: 1 });
        assert!(display.bar.as_ref().is_some_and(ProgressBar::is_hidden));
        assert!(recorder.0.lock().expect("recorder").is_empty());
    }
}
