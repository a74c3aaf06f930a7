//! The state every task shares: the group model behind one lock, the clock, the credentials,
//! a revision channel that wakes whoever waits for the model to change, and the statements of
//! the query texts seen so far, parsed.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sqlparser::ast::Statement;

use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::Auth;
use crate::grants::Grants;
use crate::model::World;

#[derive(Debug)]
pub(crate) struct Shared {
    world: Mutex<World>,
    pub clock: Clock,
    changed: watch::Sender<u64>,
    pub user: String,
    pub password: String,
    /// A person's own account: (user, password).
    pub operator: (String, String),
    pub auth: Auth,
    /// What the account may do.
    pub grants: std::sync::Arc<Grants>,
    /// Listening address of each member, by index.
    pub addrs: Vec<SocketAddr>,
    next_connection: AtomicU32,
    parsed: Mutex<HashMap<String, Arc<Vec<Statement>>>>,
}

/// Query texts whose statements are kept parsed (a bound, so odd clients cannot grow it).
const PARSED_KEPT: usize = 512;

impl Shared {
    pub fn new(
        world: World,
        clock: Clock,
        (user, password): (String, String),
        operator: (String, String),
        auth: Auth,
        grants: Grants,
        addrs: Vec<SocketAddr>,
    ) -> Self {
        let (changed, _) = watch::channel(world.revision);
        Shared {
            world: Mutex::new(world),
            clock,
            changed,
            user,
            password,
            operator,
            auth,
            grants: std::sync::Arc::new(grants),
            addrs,
            next_connection: AtomicU32::new(8),
            parsed: Mutex::new(HashMap::new()),
        }
    }

    /// The password of account `user`, when members accept it.
    pub fn password_of(&self, user: &str) -> Option<&str> {
        [
            (&self.user, &self.password),
            (&self.operator.0, &self.operator.1),
        ]
        .into_iter()
        .find(|(name, _)| *name == user)
        .map(|(_, password)| password.as_str())
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        // A panic while holding the lock leaves a usable model; keep serving it.
        self.world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the model at the current time, settles the rules, and wakes waiters when
    /// anything changed.
    pub fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let mut world = self.lock();
        let before = world.revision;
        if let Some(now) = self.clock.elapsed() {
            world.advance_to(now);
        }
        let mark = world.revision;
        let result = f(&mut world);
        if world.revision != mark {
            world.step();
        }
        let after = world.revision;
        drop(world);
        if after != before {
            self.changed.send_replace(after);
        }
        result
    }

    /// A receiver that fires after the model changes.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// The statements of a query text: parsed once, then kept (a client such as grkeeper's
    /// probe sends the same few texts over and over; parsing is most of the cost of answering).
    pub fn parsed<E>(
        &self,
        sql: &str,
        parse: impl FnOnce() -> Result<Vec<Statement>, E>,
    ) -> Result<Arc<Vec<Statement>>, E> {
        let mut cache = self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(statements) = cache.get(sql) {
            return Ok(Arc::clone(statements));
        }
        let statements = Arc::new(parse()?);
        if cache.len() >= PARSED_KEPT {
            cache.clear();
        }
        cache.insert(sql.to_owned(), Arc::clone(&statements));
        Ok(statements)
    }

    /// Connection ids as the handshake and CONNECTION_ID() show them.
    pub fn next_connection_id(&self) -> u32 {
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }
}
