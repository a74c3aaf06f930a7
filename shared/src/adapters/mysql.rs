//! [`MemberProbe`] and [`MemberControl`] over mysql_async (text protocol only); the probe's
//! statements and the parsing of their rows are in `queries`.
//!
//! mysql_async has no connect timeout of its own: every connect, ping and query is wrapped in
//! `tokio::time::timeout`, so a blackholed member costs at most the connect timeout, and a whole
//! probe has its own deadline ([`ConnectSettings::probe_deadline`]), so a member that answers
//! every statement slowly, just within the query timeout, cannot stretch a tick. Connections
//! are kept per endpoint while a Lambda stays warm; a kept one is pinged before reuse and, when
//! broken, replaced once by a fresh connection (never after a statement was sent).

mod queries;

pub use queries::SETTING_NAMES;

use std::collections::{BTreeMap, HashMap};
use std::io::ErrorKind;
use std::sync::{Mutex, MutexGuard, RwLock};
use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, IoError, OptsBuilder, SslOpts, Value};
use tokio::time::timeout;
use tracing::{debug, instrument, warn};

use crate::ports::member_control::{CallError, MemberControl, Procedure, ProcedureReply};
use crate::ports::member_probe::MemberProbe;
use crate::ports::secrets::Credentials;

use crate::config::Tls;
use crate::model::{Endpoint, LastGrCall, MemberReport, ProbeError, untrusted};
use queries::{Row, Statement};

/// MySQL 8.0's unknown-system-variable error: the Group Replication plugin is not loaded.
const ER_UNKNOWN_SYSTEM_VARIABLE: u16 = 1193;

/// Query timeouts the statements of one probe share: one slow statement may use its whole
/// bound, and all the others together get one more.
const PROBE_QUERY_TIMEOUTS: u32 = 2;

/// The `during` of a probe that ran out of its deadline.
const PROBE: &str = "probe";

/// Bounds and TLS for every member connection.
#[derive(Debug, Clone)]
pub struct ConnectSettings {
    /// TCP + handshake (and the ping of a kept connection).
    pub connect_timeout: Duration,
    /// Each query and each procedure call.
    pub query_timeout: Duration,
    /// TLS mode and trusted CAs.
    pub tls: Tls,
}

impl ConnectSettings {
    /// The bound of one whole probe of one member: the connection (or the ping of a kept one),
    /// then every statement. Past it the probe is a [`ProbeError::Timeout`] during `probe`.
    pub fn probe_deadline(&self) -> Duration {
        self.connect_timeout + self.query_timeout * PROBE_QUERY_TIMEOUTS
    }
}

/// Members reached over MySQL; one per cold start, shared by every tick.
pub struct MysqlMembers {
    settings: ConnectSettings,
    credentials: RwLock<Credentials>,
    kept: Mutex<HashMap<Endpoint, Conn>>,
}

impl std::fmt::Debug for MysqlMembers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MysqlMembers")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// How a statement failed: the server answered with an error (the connection is fine), or the
/// connection is no longer usable (timeout, I/O).
enum Failure {
    Answered(ProbeError),
    Broken(ProbeError),
}

impl Failure {
    fn into_error(self) -> ProbeError {
        match self {
            Failure::Answered(e) | Failure::Broken(e) => e,
        }
    }
}

impl MysqlMembers {
    /// Members reached with `credentials` under `settings`.
    pub fn new(settings: ConnectSettings, credentials: Credentials) -> Self {
        MysqlMembers {
            settings,
            credentials: RwLock::new(credentials),
            kept: Mutex::new(HashMap::new()),
        }
    }

    /// The MySQL user it logs in as.
    pub fn username(&self) -> String {
        self.credentials
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .username
            .clone()
    }

    /// Uses new credentials from now on (a rotated secret); kept connections are dropped only
    /// when they changed.
    pub fn set_credentials(&self, credentials: Credentials) {
        let mut current = self.credentials.write().unwrap_or_else(|e| e.into_inner());
        if *current != credentials {
            *current = credentials;
            self.kept().clear();
        }
    }

    fn kept(&self) -> MutexGuard<'_, HashMap<Endpoint, Conn>> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn opts(&self, endpoint: &Endpoint) -> OptsBuilder {
        let credentials = self.credentials.read().unwrap_or_else(|e| e.into_inner());
        // Explicit packet size and wait timeout and no socket preference: mysql_async then sends
        // no query of its own on connect.
        let opts = OptsBuilder::default()
            .ip_or_hostname(endpoint.host.clone())
            .tcp_port(endpoint.port)
            .user(Some(credentials.username.clone()))
            .pass(Some(credentials.password.expose().to_owned()))
            .prefer_socket(false)
            .max_allowed_packet(Some(16 * 1024 * 1024))
            .wait_timeout(Some(28_800))
            .stmt_cache_size(0);
        match &self.settings.tls {
            Tls::Disabled => opts,
            Tls::Verify(bundle) => opts.ssl_opts(Some(
                SslOpts::default()
                    .with_root_certs(vec![bundle.pem().to_vec().into()])
                    .with_disable_built_in_roots(true),
            )),
        }
    }

    async fn connect(&self, endpoint: &Endpoint) -> Result<Conn, ProbeError> {
        match timeout(
            self.settings.connect_timeout,
            Conn::new(self.opts(endpoint)),
        )
        .await
        {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(probe_error(e)),
            Err(_) => Err(ProbeError::Timeout {
                during: "connect".to_owned(),
            }),
        }
    }

    /// A kept connection that answers a ping, else a fresh one.
    async fn checkout(&self, endpoint: &Endpoint) -> Result<Conn, ProbeError> {
        let kept = self.kept().remove(endpoint);
        if let Some(mut conn) = kept {
            match timeout(self.settings.connect_timeout, conn.ping()).await {
                Ok(Ok(())) => return Ok(conn),
                // Server restarted, or closed the idle connection: connect again, once.
                Ok(Err(e)) => debug!(%endpoint, error = %e, "kept connection broken, reconnecting"),
                // Not answering within the connect bound: the member is not reachable now.
                Err(_) => {
                    return Err(ProbeError::Timeout {
                        during: "ping".to_owned(),
                    });
                }
            }
        }
        self.connect(endpoint).await
    }

    fn checkin(&self, endpoint: &Endpoint, conn: Conn) {
        self.kept().insert(endpoint.clone(), conn);
    }

    async fn rows(&self, conn: &mut Conn, statement: Statement) -> Result<Vec<Row>, Failure> {
        match timeout(
            self.settings.query_timeout,
            conn.query::<mysql_async::Row, _>(statement.sql),
        )
        .await
        {
            Ok(Ok(rows)) => Ok(rows.into_iter().map(cells).collect()),
            Ok(Err(mysql_async::Error::Server(e))) => Err(Failure::Answered(server_error(e))),
            Ok(Err(e)) => Err(Failure::Broken(probe_error(e))),
            Err(_) => Err(Failure::Broken(ProbeError::Timeout {
                during: statement.name.to_owned(),
            })),
        }
    }

    /// Rows of an optional reading: a server error leaves it empty, a broken connection fails.
    async fn optional_rows(
        &self,
        conn: &mut Conn,
        statement: Statement,
        endpoint: &Endpoint,
    ) -> Result<Vec<Row>, Failure> {
        match self.rows(conn, statement).await {
            Err(Failure::Answered(error)) => {
                warn!(%endpoint, %error, statement = statement.name, "optional reading unavailable");
                Ok(Vec::new())
            }
            other => other,
        }
    }

    async fn read(&self, conn: &mut Conn, endpoint: &Endpoint) -> Result<MemberReport, Failure> {
        let identity_rows = match self.rows(conn, queries::IDENTITY).await {
            Err(Failure::Answered(ProbeError::Mysql { code, .. }))
                if code == ER_UNKNOWN_SYSTEM_VARIABLE =>
            {
                self.rows(conn, queries::IDENTITY_WITHOUT_GR).await?
            }
            other => other?,
        };
        let identity = identity_rows
            .first()
            .ok_or_else(|| "no row".to_owned())
            .and_then(queries::identity)
            .map_err(|e| Failure::Answered(other(format!("{}: {e}", queries::IDENTITY.name))))?;
        let view = self
            .rows(conn, queries::MEMBERS)
            .await?
            .iter()
            .map(queries::view_member)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Failure::Answered(other(format!("{}: {e}", queries::MEMBERS.name))))?;
        let stats = self.optional_rows(conn, queries::STATS, endpoint).await?;
        let channels = self
            .optional_rows(conn, queries::CHANNELS, endpoint)
            .await?;
        let errors = self
            .optional_rows(conn, queries::ERROR_LOG, endpoint)
            .await?;
        let retention = self
            .optional_rows(conn, queries::BINLOG_RETENTION, endpoint)
            .await?;
        // Unlike the other optional readings, "could not read" must stay distinguishable from
        // "nothing recorded": the planner will not guess whether a stop was deliberate.
        let last_gr_call = match self.rows(conn, queries::LAST_GR_CALL).await {
            Ok(rows) => queries::last_gr_call(&rows).unwrap_or_else(LastGrCall::Unreadable),
            Err(Failure::Answered(error)) => LastGrCall::Unreadable(error.to_string()),
            Err(other) => return Err(other),
        };
        let mut report = identity;
        report.settings.binlog_retention_hours =
            lenient(endpoint, queries::BINLOG_RETENTION, || {
                queries::binlog_retention(&retention)
            });
        Ok(MemberReport {
            last_gr_call,
            view,
            stats: all_or_none(endpoint, queries::STATS, &stats, queries::member_stats),
            channels: all_or_none(endpoint, queries::CHANNELS, &channels, queries::channel),
            errors: all_or_none(
                endpoint,
                queries::ERROR_LOG,
                &errors,
                queries::error_log_entry,
            ),
            ..report
        })
    }

    /// Runs the procedure and drains every result set, keeping the first message.
    async fn run_call(
        &self,
        conn: &mut Conn,
        procedure: Procedure,
    ) -> Result<ProcedureReply, Failure> {
        let call = async {
            let mut result = conn.query_iter(procedure.statement()).await?;
            let mut message = None;
            while !result.is_empty() {
                let rows: Vec<mysql_async::Row> = result.collect().await?;
                if message.is_none() {
                    message = rows
                        .into_iter()
                        .next()
                        .and_then(|row| cells(row).into_iter().next().flatten())
                        .map(|text| untrusted::clean(&text, untrusted::KEPT));
                }
            }
            Ok::<_, mysql_async::Error>(ProcedureReply { message })
        };
        match timeout(self.settings.query_timeout, call).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(mysql_async::Error::Server(e))) => Err(Failure::Answered(server_error(e))),
            Ok(Err(e)) => Err(Failure::Broken(probe_error(e))),
            Err(_) => Err(Failure::Broken(ProbeError::Timeout {
                during: procedure.statement().into_owned(),
            })),
        }
    }
}

/// What `grkeeper doctor` reads of one member over the probe's connection: the account's
/// grants, the settings in effect, and the binlog retention (or why it could not be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountReport {
    /// `SHOW GRANTS`, one line each.
    pub grants: Vec<String>,
    /// Each of [`SETTING_NAMES`] and its value (`None`: NULL, or the plugin is not loaded).
    pub settings: BTreeMap<String, Option<String>>,
    /// `binlog retention hours`, or the server's refusal.
    pub binlog_retention_hours: Result<Option<u32>, String>,
}

impl MysqlMembers {
    /// Logs into the member as a tick does (same credentials, TLS and bounds) and reads what
    /// `grkeeper doctor` checks. Read-only: nothing but SELECT and SHOW.
    pub async fn account(&self, endpoint: &Endpoint) -> Result<AccountReport, ProbeError> {
        let reading = async {
            let mut conn = self.connect(endpoint).await.map_err(Failure::Broken)?;
            let grants = self.rows(&mut conn, queries::GRANTS).await?;
            let settings = match self.rows(&mut conn, queries::SETTINGS).await {
                Ok(rows) => rows.into_iter().next().unwrap_or_default(),
                // The plugin is not loaded (1193): no group_replication_* variable to read.
                Err(Failure::Answered(_)) => Vec::new(),
                Err(broken) => return Err(broken),
            };
            let retention = match self.rows(&mut conn, queries::BINLOG_RETENTION).await {
                Ok(rows) => queries::binlog_retention(&rows),
                Err(Failure::Answered(e)) => Err(e.to_string()),
                Err(broken) => return Err(broken),
            };
            Ok(AccountReport {
                grants: grants
                    .into_iter()
                    .filter_map(|row| row.into_iter().next().flatten())
                    .collect(),
                settings: SETTING_NAMES
                    .iter()
                    .enumerate()
                    .map(|(i, name)| ((*name).to_owned(), settings.get(i).cloned().flatten()))
                    .collect(),
                binlog_retention_hours: retention,
            })
        };
        match timeout(self.settings.probe_deadline(), reading).await {
            Ok(result) => result.map_err(Failure::into_error),
            Err(_) => Err(ProbeError::Timeout {
                during: PROBE.to_owned(),
            }),
        }
    }
}

impl MemberProbe for MysqlMembers {
    #[instrument(skip(self, endpoint), fields(%endpoint))]
    async fn probe(&self, endpoint: &Endpoint) -> Result<MemberReport, ProbeError> {
        let probing = async {
            let mut conn = self.checkout(endpoint).await?;
            let read = self.read(&mut conn, endpoint).await;
            Ok::<_, ProbeError>((conn, read))
        };
        // On expiry the connection is dropped mid-statement with the future: never kept.
        let Ok(probed) = timeout(self.settings.probe_deadline(), probing).await else {
            return Err(ProbeError::Timeout {
                during: PROBE.to_owned(),
            });
        };
        let (conn, read) = probed?;
        match read {
            Ok(report) => {
                self.checkin(endpoint, conn);
                Ok(report)
            }
            Err(Failure::Answered(e)) => {
                self.checkin(endpoint, conn);
                Err(e)
            }
            Err(broken) => Err(broken.into_error()),
        }
    }

    fn user(&self) -> Option<String> {
        let credentials = self.credentials.read().unwrap_or_else(|e| e.into_inner());
        Some(credentials.username.clone())
    }
}

impl MemberControl for MysqlMembers {
    #[instrument(skip(self, endpoint), fields(%endpoint))]
    async fn call(
        &self,
        endpoint: &Endpoint,
        procedure: Procedure,
    ) -> Result<ProcedureReply, CallError> {
        let mut conn = self.checkout(endpoint).await.map_err(CallError::NotSent)?;
        match self.run_call(&mut conn, procedure).await {
            Ok(reply) => {
                self.checkin(endpoint, conn);
                Ok(reply)
            }
            Err(Failure::Answered(e)) => {
                self.checkin(endpoint, conn);
                Err(CallError::Rejected(e))
            }
            Err(Failure::Broken(e)) => Err(CallError::Unanswered(e)),
        }
    }
}

/// A text-protocol row as columns of text.
fn cells(row: mysql_async::Row) -> Row {
    row.unwrap()
        .into_iter()
        .map(|value| match value {
            Value::NULL => None,
            Value::Bytes(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            other => Some(other.as_sql(true)),
        })
        .collect()
}

fn other(message: String) -> ProbeError {
    ProbeError::Other {
        message: untrusted::clean(&message, untrusted::KEPT),
    }
}

/// A server's error answer; its message is the server's words, kept cleaned.
fn server_error(error: mysql_async::ServerError) -> ProbeError {
    ProbeError::Mysql {
        code: error.code,
        message: untrusted::clean(&error.message, untrusted::KEPT),
    }
}

/// Every row parsed, or nothing (with a warning) when one does not parse.
fn all_or_none<T>(
    endpoint: &Endpoint,
    statement: Statement,
    rows: &[Row],
    parse: impl Fn(&Row) -> Result<T, String>,
) -> Vec<T> {
    rows.iter()
        .map(parse)
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|error| {
            warn!(%endpoint, %error, statement = statement.name, "optional reading does not parse");
            Vec::new()
        })
}

fn lenient<T>(
    endpoint: &Endpoint,
    statement: Statement,
    parse: impl Fn() -> Result<Option<T>, String>,
) -> Option<T> {
    parse().unwrap_or_else(|error| {
        warn!(%endpoint, %error, statement = statement.name, "optional reading does not parse");
        None
    })
}

/// mysql_async's error as the model's [`ProbeError`].
fn probe_error(error: mysql_async::Error) -> ProbeError {
    match error {
        mysql_async::Error::Server(e) => server_error(e),
        mysql_async::Error::Io(IoError::Io(e))
            if matches!(
                e.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
            ) =>
        {
            ProbeError::Refused {
                message: untrusted::clean(&e.to_string(), untrusted::KEPT),
            }
        }
        mysql_async::Error::Io(IoError::Tls(e)) => other(format!("TLS: {e}")),
        other_error => other(other_error.to_string()),
    }
}
