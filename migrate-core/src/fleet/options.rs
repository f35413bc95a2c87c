//! The [`Fleet`] type: its databases and the options of a run (parallelism, canaries,
//! [`OnFailure`], connection and runner settings), set before the parent module runs it.

use std::num::NonZeroUsize;

use crate::database_url::DatabaseUrl;
use crate::driver::ConnectOptions;
use crate::Config;

/// What a fleet run does after a database fails (canaries aside: a canary's failure always
/// stops the run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OnFailure {
    /// Start no new database; those already running finish (the default).
    #[default]
    Stop,
    /// Keep migrating every other database.
    Continue,
}

/// The databases of a fleet and how to migrate them; see the [module docs](crate::fleet).
#[derive(Debug, Clone)]
pub struct Fleet {
    pub(super) databases: Vec<DatabaseUrl>,
    pub(super) parallelism: NonZeroUsize,
    pub(super) canaries: usize,
    pub(super) on_failure: OnFailure,
    pub(super) connect: ConnectOptions,
    pub(super) config: Config,
}

impl Fleet {
    /// A fleet of already parsed URLs, in the order given.
    pub fn new(databases: Vec<DatabaseUrl>) -> Fleet {
        Fleet {
            databases,
            parallelism: NonZeroUsize::new(default_parallelism()).unwrap_or(NonZeroUsize::MIN),
            canaries: 1,
            on_failure: OnFailure::Stop,
            connect: ConnectOptions::default(),
            config: Config::default(),
        }
    }

    /// The databases, in order.
    pub fn databases(&self) -> &[DatabaseUrl] {
        &self.databases
    }

    /// How many databases migrate at once (default: twice the available cores, at least 4);
    /// 0 is taken as 1.
    pub fn parallelism(mut self, parallelism: usize) -> Fleet {
        self.parallelism = NonZeroUsize::new(parallelism).unwrap_or(NonZeroUsize::MIN);
        self
    }

    /// How many databases, first in the list, migrate one at a time before the rest
    /// (default 1; 0 for none). A canary's failure stops the run.
    pub fn canaries(mut self, canaries: usize) -> Fleet {
        self.canaries = canaries;
        self
    }

    /// What to do after a database fails (default [`OnFailure::Stop`]).
    pub fn on_failure(mut self, on_failure: OnFailure) -> Fleet {
        self.on_failure = on_failure;
        self
    }

    /// How each connection is opened (the connect timeout).
    pub fn connect_options(mut self, options: ConnectOptions) -> Fleet {
        self.connect = options;
        self
    }

    /// The runner configuration used on every database (history table, lock timeout, …).
    pub fn config(mut self, config: Config) -> Fleet {
        self.config = config;
        self
    }
}

/// The parallelism of a new [`Fleet`]: twice the available cores, at least 4. A migration
/// mostly waits on its server, so a few more connections than cores keep the cores busy.
pub fn default_parallelism() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    (cores * 2).max(4)
}
