//! One client connection's SQL state: who it is, where, and its open transaction.

use std::collections::HashMap;

use std::sync::Arc;

use crate::grants::Grants;
use crate::sql::value::Value;

#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// Index of the member the client is connected to.
    pub member: usize,
    /// The member's boot when the client connected; a later boot means the server restarted.
    pub boot: u64,
    pub user: String,
    /// What the user may do (the server's grants, set at login).
    pub grants: Arc<Grants>,
    /// Client address as MySQL names it in errors (`'admin'@'127.0.0.1'`).
    pub host: String,
    pub connection_id: u32,
    pub db: Option<String>,
    pub autocommit: bool,
    /// Inside BEGIN … COMMIT (or autocommit off).
    pub in_transaction: bool,
    /// Write statements waiting for COMMIT.
    pub pending_writes: u64,
    /// Group membership the open transaction started in (None: standalone).
    pub write_context: Option<u64>,
    pub user_vars: HashMap<String, Value>,
    /// The client can take several results for one statement (CALL needs it).
    pub multi_results: bool,
}

impl Session {
    pub fn new(member: usize, boot: u64, host: String, connection_id: u32) -> Self {
        Session {
            member,
            boot,
            user: String::new(),
            grants: Arc::new(Grants::new("", &[] as &[&str])),
            host,
            connection_id,
            db: None,
            autocommit: true,
            in_transaction: false,
            pending_writes: 0,
            write_context: None,
            user_vars: HashMap::new(),
            multi_results: false,
        }
    }

    /// COM_RESET_CONNECTION: back to a fresh session, same user and database.
    pub fn reset(&mut self) {
        self.autocommit = true;
        self.in_transaction = false;
        self.pending_writes = 0;
        self.write_context = None;
        self.user_vars.clear();
    }

    /// Ends the open transaction without committing it.
    pub fn rollback(&mut self) {
        self.in_transaction = false;
        self.pending_writes = 0;
        self.write_context = None;
    }

    /// `'user'@'host'` as `USER()` returns it.
    pub fn account(&self) -> String {
        format!("{}@{}", self.user, self.host)
    }
}
