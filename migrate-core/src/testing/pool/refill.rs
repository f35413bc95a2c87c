//! The background refill: one thread per process, with a runtime of its own, tops up every
//! pool the process has used, one copy at a time (copies compete with the tests for the
//! machine; one at a time keeps the refill from taking more than a core and a server session).

use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use super::copies::{size, Pool};
use super::{files, server};
use crate::testing::admin::Admin;
use crate::testing::backend::Backend;

/// The refill's state, shared with the tests.
#[derive(Debug, Default)]
struct State {
    /// The pools to keep full.
    pools: Vec<Pool>,
    /// A claim (or a new pool) since the refill last looked.
    pending: bool,
    /// The refill is topping pools up now.
    busy: bool,
    /// Copies made so far, and how long each took.
    made: Vec<Duration>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// The refill thread: once it has ended (it cannot build a runtime), nothing refills.
    thread: std::thread::JoinHandle<()>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        // Nothing can stop a test process's threads but its exit; the thread only ever waits
        // or copies, and a copy cut short by the exit is dealt with (see the module docs).
        let thread = std::thread::Builder::new()
            .name("migrate-test-pool".into())
            .spawn(run)
            .expect("spawning the test database pool's refill thread");
        Shared {
            state: Mutex::default(),
            wake: Condvar::new(),
            thread,
        }
    })
}

fn lock() -> MutexGuard<'static, State> {
    shared().state.lock().unwrap_or_else(|e| e.into_inner())
}

/// Asks the refill to keep `pool` full, and to look at it now.
pub(crate) fn wake(pool: Pool) {
    let mut state = lock();
    if !state.pools.iter().any(|p| p.same(&pool)) {
        state.pools.push(pool);
    }
    state.pending = true;
    shared().wake.notify_all();
}

/// Stops refilling the pools of `backend` (their templates are being dropped).
pub(crate) fn forget(backend: Backend) {
    lock().pools.retain(|p| p.backend != backend);
}

/// Whether the refill has nothing left to do, or has ended.
fn idle() -> bool {
    let state = lock();
    (!state.pending && !state.busy) || shared().thread.is_finished()
}

/// Waits until the refill has nothing left to do: every pool full, or failing.
pub(crate) async fn settled() {
    while !idle() {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// How long each copy the refill made so far took.
pub(crate) fn stats() -> Vec<Duration> {
    lock().made.clone()
}

fn run() {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    loop {
        let pools = {
            let shared = shared();
            let mut state = lock();
            state.busy = false;
            while !state.pending {
                state = shared.wake.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            state.pending = false;
            state.busy = true;
            state.pools.clone()
        };
        for pool in pools {
            match runtime.block_on(top_up(&pool)) {
                Ok(made) => lock().made.extend(made),
                Err(e) => {
                    // The template is gone (dropped by a sweep or by hand): claims find the
                    // pool empty and copy by themselves; the next use registers it again.
                    tracing::debug!("test database pool of {}: {e}", pool.template);
                    lock().pools.retain(|p| !p.same(&pool));
                }
            }
        }
    }
}

async fn top_up(pool: &Pool) -> Result<Vec<Duration>, crate::driver::DriverError> {
    let size = size();
    let Some(server) = pool.backend.server_url() else {
        return files::top_up(pool, size);
    };
    let mut admin = Admin::connect(pool.backend, &server).await?;
    server::top_up(&mut admin, &server, pool, size).await
}
