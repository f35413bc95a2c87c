//! The order in which a fleet's databases run: canaries one at a time, then the rest at most
//! `parallelism` at once, and no new start after a failure when the run stops on one.
//!
//! Written once for any per-database task (`up`, `status`), so that the rules cannot differ
//! between commands. The caller's task drives the schedule through
//! [`StreamExt::buffer_unordered`](futures_util::StreamExt::buffer_unordered), which keeps at
//! most `parallelism` tasks going and starts the next one only when one finishes — the point
//! where a stop is checked. The fleet hands each database's work to [`on_worker`], so that the
//! work itself (TLS, parsing rows, planning, describing schemas) spreads over the runtime's
//! worker threads instead of sharing the caller's one.

use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::OnceLock;

use futures_util::stream::{self, StreamExt as _};
use tokio::task::JoinHandle;
use tracing::Instrument as _;

use super::options::OnFailure;
use super::report::StopCause;
use crate::database_url::DatabaseUrl;

/// How a run is laid out.
#[derive(Debug, Clone, Copy)]
pub(super) struct Schedule {
    pub(super) parallelism: NonZeroUsize,
    /// At most the number of databases.
    pub(super) canaries: usize,
    pub(super) on_failure: OnFailure,
}

/// Why a run stopped early, before the database it stopped on is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Halt {
    /// A canary failed.
    Canary,
    /// A database failed and the run stops on failure.
    Failure,
}

impl Halt {
    /// The cause, at `database`.
    pub(super) fn at(self, database: DatabaseUrl) -> StopCause {
        match self {
            Halt::Canary => StopCause::Canary { database },
            Halt::Failure => StopCause::Failure { database },
        }
    }
}

impl Schedule {
    /// Runs `task` on each of `databases` and returns each result in the order of
    /// `databases` (`None` for a database never started), with why and at which database
    /// the run stopped, if it did. `failed` tells a failure from a success.
    pub(super) async fn run<'a, T, F, Fut>(
        &self,
        databases: &'a [DatabaseUrl],
        task: F,
        failed: impl Fn(&T) -> bool,
    ) -> (Vec<Option<T>>, Option<(Halt, usize)>)
    where
        F: Fn(&'a DatabaseUrl) -> Fut,
        Fut: Future<Output = T>,
    {
        let mut results: Vec<Option<T>> = databases.iter().map(|_| None).collect();
        for (i, url) in databases.iter().enumerate().take(self.canaries) {
            let result = task(url).await;
            let stop = failed(&result);
            results[i] = Some(result);
            if stop {
                return (results, Some((Halt::Canary, i)));
            }
        }
        let first_failure = OnceLock::new();
        let stops = self.on_failure == OnFailure::Stop;
        let (task, failed, first) = (&task, &failed, &first_failure);
        let mut running = stream::iter(databases.iter().enumerate().skip(self.canaries))
            .map(|(i, url)| async move {
                if stops && first.get().is_some() {
                    return (i, None);
                }
                let result = task(url).await;
                if failed(&result) {
                    let _ = first.set(i);
                }
                (i, Some(result))
            })
            .buffer_unordered(self.parallelism.get());
        while let Some((i, result)) = running.next().await {
            results[i] = result;
        }
        drop(running);
        let halt = first_failure
            .get()
            .filter(|_| stops)
            .map(|&i| (Halt::Failure, i));
        (results, halt)
    }
}

/// Runs `work` as a task of its own on the current Tokio runtime (on a multi-thread runtime,
/// any worker thread) and waits for its result, in the caller's `tracing` span. Dropping the
/// returned future aborts the task, so a dropped fleet run leaves nothing running; a panic in
/// `work` resumes in the caller, as if `work` had been awaited in place.
pub(super) async fn on_worker<T, F>(work: F) -> T
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut task = AbortOnDrop(tokio::spawn(work.in_current_span()));
    match (&mut task.0).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Only the runtime's shutdown cancels the task: this future's drop aborts it, and then
        // nobody awaits it.
        Err(e) => panic!("a fleet task was cancelled by the runtime's shutdown: {e}"),
    }
}

/// A spawned task that is aborted when its handle is dropped.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    fn urls(n: usize) -> Vec<DatabaseUrl> {
        (0..n)
            .map(|i| DatabaseUrl::parse(&format!("sqlite://t{i}.db")).expect("url"))
            .collect()
    }

    fn schedule(parallelism: usize, canaries: usize, on_failure: OnFailure) -> Schedule {
        Schedule {
            parallelism: NonZeroUsize::new(parallelism).expect("non-zero"),
            canaries,
            on_failure,
        }
    }

    /// Each task sleeps a little, counts how many run at once and "fails" on `bad`.
    async fn run_with(
        plan: Schedule,
        n: usize,
        bad: &[usize],
    ) -> (Vec<Option<usize>>, Option<(Halt, usize)>, usize) {
        let dbs = urls(n);
        let (now, peak) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let index = |url: &DatabaseUrl| dbs.iter().position(|u| u == url).expect("listed");
        let (results, halt) = plan
            .run(
                &dbs,
                |url| {
                    let (now, peak) = (&now, &peak);
                    let i = index(url);
                    async move {
                        let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(running, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        now.fetch_sub(1, Ordering::SeqCst);
                        i
                    }
                },
                |i| bad.contains(i),
            )
            .await;
        (results, halt, peak.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn every_database_runs_in_list_order_with_bounded_parallelism() {
        let (results, halt, peak) = run_with(schedule(3, 1, OnFailure::Stop), 10, &[]).await;
        assert_eq!(results, (0..10).map(Some).collect::<Vec<_>>());
        assert_eq!(halt, None);
        assert_eq!(peak, 3);
    }

    #[tokio::test]
    async fn a_failed_canary_stops_everything_after_it() {
        let (results, halt, _) = run_with(schedule(4, 3, OnFailure::Continue), 8, &[1]).await;
        assert_eq!(results[..2], [Some(0), Some(1)]);
        assert!(results[2..].iter().all(Option::is_none));
        assert_eq!(halt, Some((Halt::Canary, 1)));
    }

    #[tokio::test]
    async fn stop_starts_nothing_after_a_failure_and_continue_runs_all() {
        let (results, halt, _) = run_with(schedule(2, 0, OnFailure::Stop), 10, &[0]).await;
        assert_eq!(halt, Some((Halt::Failure, 0)));
        // Database 1 was running beside 0; nothing started after 0 failed.
        assert_eq!(results[..2], [Some(0), Some(1)]);
        assert!(results[3..].iter().all(Option::is_none), "{results:?}");
        let (results, halt, _) = run_with(schedule(2, 0, OnFailure::Continue), 10, &[0]).await;
        assert_eq!(halt, None);
        assert!(results.iter().all(Option::is_some));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_worker_returns_the_result_and_a_dropped_wait_aborts_the_task() {
        assert_eq!(on_worker(async { 7 }).await, 7);
        let (keep, dropped) = tokio::sync::oneshot::channel::<()>();
        let forever = on_worker(async move {
            let _keep = keep;
            std::future::pending::<()>().await;
        });
        let waited = tokio::time::timeout(Duration::from_millis(20), forever).await;
        assert!(waited.is_err(), "the task never ends on its own");
        // The task was aborted, and its end of the channel dropped with it.
        assert!(dropped.await.is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[should_panic(expected = "a tenant's task panicked")]
    async fn a_panic_in_the_task_resumes_in_the_caller() {
        on_worker(async { panic!("a tenant's task panicked") }).await;
    }
}
