//! In-memory [`MemberProbe`] and [`MemberControl`]: each endpoint answers with a report or an
//! error set by the test or demo, and procedure calls go to a hook that may change them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::MemberProbe;
use crate::model::{Endpoint, MemberReport, ProbeError};
use crate::ports::member_control::{CallError, MemberControl, Procedure, ProcedureReply};

type Reading = Result<MemberReport, ProbeError>;
type CallHook = Arc<
    dyn Fn(&MemoryMembers, &Endpoint, Procedure) -> Result<ProcedureReply, CallError> + Send + Sync,
>;

/// Members held in memory; clones share the same state.
#[derive(Clone, Default)]
pub struct MemoryMembers {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    user: Option<String>,
    readings: HashMap<Endpoint, Reading>,
    calls: Vec<(Endpoint, Procedure)>,
    on_call: Option<CallHook>,
}

impl std::fmt::Debug for MemoryMembers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryMembers")
            .field("calls", &self.lock().calls)
            .finish_non_exhaustive()
    }
}

impl MemoryMembers {
    /// No member answers yet.
    pub fn new() -> Self {
        MemoryMembers::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What probing `endpoint` returns from now on.
    pub fn set(&self, endpoint: &Endpoint, reading: Reading) {
        self.lock().readings.insert(endpoint.clone(), reading);
    }

    /// The database user the members are read as from now on.
    pub fn set_user(&self, user: &str) {
        self.lock().user = Some(user.to_owned());
    }

    /// Procedure calls so far, in order.
    pub fn calls(&self) -> Vec<(Endpoint, Procedure)> {
        self.lock().calls.clone()
    }

    /// Answers procedure calls (and may [`set`](Self::set) new readings); without a hook a call
    /// answers with no message.
    pub fn on_call(
        &self,
        hook: impl Fn(&MemoryMembers, &Endpoint, Procedure) -> Result<ProcedureReply, CallError>
        + Send
        + Sync
        + 'static,
    ) {
        self.lock().on_call = Some(Arc::new(hook));
    }
}

impl MemberProbe for MemoryMembers {
    async fn probe(&self, endpoint: &Endpoint) -> Result<MemberReport, ProbeError> {
        self.lock()
            .readings
            .get(endpoint)
            .cloned()
            .unwrap_or_else(|| {
                Err(ProbeError::Refused {
                    message: format!("nothing listens on {endpoint}"),
                })
            })
    }

    fn user(&self) -> Option<String> {
        self.lock().user.clone()
    }
}

impl MemberControl for MemoryMembers {
    async fn call(
        &self,
        endpoint: &Endpoint,
        procedure: Procedure,
    ) -> Result<ProcedureReply, CallError> {
        let hook = {
            let mut state = self.lock();
            state.calls.push((endpoint.clone(), procedure));
            state.on_call.clone()
        };
        match hook {
            Some(hook) => hook(self, endpoint, procedure),
            None => Ok(ProcedureReply::default()),
        }
    }
}
