//! What the operator sees while migrations run: a progress bar on a terminal for a run of
//! several migrations, otherwise one line per migration as it finishes.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::runner::{Progress, StepReport};
use crate::Direction;

/// A run needs at least this many migrations to get a bar; shorter runs print lines only.
const BAR_FROM_STEPS: u64 = 2;

/// Shows a run's progress; [`Display::observer`] goes to [`crate::Migrator::with_progress`].
#[derive(Debug, Clone)]
pub(super) struct Display {
    /// Present on a terminal; hidden until a run is long enough.
    bar: Option<ProgressBar>,
}

impl Display {
    /// A bar when standard output and standard error are both a terminal; plain lines on
    /// standard output otherwise (so that `migrate up > deploy.log` keeps every line).
    pub(super) fn new() -> Display {
        let terminal = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        let bar = terminal.then(|| {
            let bar = ProgressBar::hidden();
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {wide_msg}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        Display { bar }
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
                        bar.set_draw_target(ProgressDrawTarget::stderr());
                        bar.enable_steady_tick(Duration::from_millis(120));
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
                        bar.println(line);
                        bar.inc(1);
                    }
                    // A closed standard output (`| head`) must not stop the migration.
                    _ => {
                        let _ = writeln!(std::io::stdout(), "{line}");
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
