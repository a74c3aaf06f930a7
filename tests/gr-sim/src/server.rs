//! Each member's SQL port: a listener that exists only while mysqld runs, and one task per
//! connection (handshake, then COM_QUERY / PING / INIT_DB / RESET_CONNECTION / QUIT), with the
//! network faults applied: blackhole (accept, never answer) and added latency.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mysql_common::constants::{CapabilityFlags, StatusFlags};
use tokio::io::{AsyncRead, AsyncReadExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::errors::SqlError;
use crate::shared::Shared;
use crate::sql::session::Session;
use crate::sql::{self, Outcome};
use crate::wire::encode::Encoder;
use crate::wire::handshake::{self, FAST_AUTH_OK};
use crate::wire::packet::{self, Outgoing};

/// Pause before trying again to bind a port another process holds.
const REBIND_PAUSE: Duration = Duration::from_millis(20);

/// Pending connections a member's listener queues (what `TcpListener::bind` asks for).
const LISTEN_BACKLOG: u32 = 1024;

/// Serves member `m` on `addr` for as long as the cluster lives.
pub(crate) fn spawn_member(shared: Arc<Shared>, m: usize, listener: TcpListener) -> JoinHandle<()> {
    tokio::spawn(supervise(shared, m, listener))
}

/// Keeps a listener open while mysqld runs (closed port while it is down, like a real crash).
async fn supervise(shared: Arc<Shared>, m: usize, first: TcpListener) {
    let addr = shared.addrs[m];
    let mut port = Port::Listening(first);
    // Dropping this set (when the cluster aborts this task) ends every connection.
    let mut connections = JoinSet::new();
    let mut changed = shared.subscribe();
    loop {
        let (up, boot) = shared.with(|w| (w.members[m].up, w.members[m].boot));
        port = match port {
            Port::Listening(listener) if !up => {
                drop(listener);
                Port::reserve(addr)
            }
            Port::Reserved(socket) if up => Port::listen(socket, addr).await,
            Port::Lost if up => Port::bind(addr).await,
            Port::Lost => Port::reserve(addr),
            kept => kept,
        };
        while connections.try_join_next().is_some() {}
        match &port {
            Port::Listening(l) => tokio::select! {
                accepted = l.accept() => if let Ok((stream, peer)) = accepted {
                    connections.spawn(connection(Arc::clone(&shared), m, boot, stream, peer));
                },
                result = changed.changed() => if result.is_err() { return },
            },
            Port::Lost if up => tokio::time::sleep(REBIND_PAUSE).await,
            Port::Reserved(_) | Port::Lost => {
                if changed.changed().await.is_err() {
                    return;
                }
            }
        }
    }
}

/// A member's SQL port. While mysqld is down the port stays bound without listening: a connect
/// is refused, as by a stopped server, and no other socket (a client's ephemeral port, another
/// simulator's member) can take it before mysqld listens on it again.
enum Port {
    Listening(TcpListener),
    Reserved(TcpSocket),
    /// Neither: another socket held the port at the last try.
    Lost,
}

impl Port {
    fn socket(addr: SocketAddr) -> std::io::Result<TcpSocket> {
        let socket = TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        Ok(socket)
    }

    fn reserve(addr: SocketAddr) -> Port {
        match Port::socket(addr) {
            Ok(socket) => Port::Reserved(socket),
            Err(e) => {
                tracing::warn!(%addr, error = %e, "cannot keep the member port while down");
                Port::Lost
            }
        }
    }

    async fn listen(socket: TcpSocket, addr: SocketAddr) -> Port {
        match socket.listen(LISTEN_BACKLOG) {
            Ok(listener) => Port::Listening(listener),
            Err(e) => {
                tracing::warn!(%addr, error = %e, "cannot listen on the kept member port");
                Port::bind(addr).await
            }
        }
    }

    async fn bind(addr: SocketAddr) -> Port {
        match TcpListener::bind(addr).await {
            Ok(l) => Port::Listening(l),
            Err(e) => {
                tracing::warn!(%addr, error = %e, "cannot bind member port yet");
                Port::Lost
            }
        }
    }
}

/// Resolves once member `m` is no longer on boot `boot` (crashed, shut down or restarted).
async fn gone(shared: &Shared, m: usize, boot: u64) {
    let mut changed = shared.subscribe();
    while shared.with(|w| w.members[m].boot) == boot {
        if changed.changed().await.is_err() {
            return;
        }
    }
}

/// Resolves once member `m` is in offline mode.
async fn offline(shared: &Shared, m: usize) {
    let mut changed = shared.subscribe();
    while !shared.with(|w| w.members[m].offline_mode) {
        if changed.changed().await.is_err() {
            return;
        }
    }
}

/// Holds a blackholed connection: reads and drops whatever comes, answers nothing.
async fn swallow<R: AsyncRead + Unpin>(reader: &mut R, shared: &Shared, m: usize, boot: u64) {
    let mut scratch = [0u8; 512];
    tokio::select! {
        () = async { while matches!(reader.read(&mut scratch).await, Ok(n) if n > 0) {} } => {}
        () = gone(shared, m, boot) => {}
    }
}

struct Conn {
    shared: Arc<Shared>,
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    session: Session,
    encoder: Encoder,
}

async fn connection(shared: Arc<Shared>, m: usize, boot: u64, stream: TcpStream, peer: SocketAddr) {
    // Without NODELAY a loopback connect took 45–85 ms (measured on the project's CI machines).
    if stream.set_nodelay(true).is_err() {
        return;
    }
    let (read, writer) = stream.into_split();
    let connection_id = shared.next_connection_id();
    let mut conn = Conn {
        session: Session::new(m, boot, peer.ip().to_string(), connection_id),
        shared: Arc::clone(&shared),
        reader: BufReader::new(read),
        writer,
        encoder: Encoder {
            caps: CapabilityFlags::empty(),
        },
    };
    let serve = async {
        if conn.blackholed().await {
            return;
        }
        if conn.handshake().await.is_ok() {
            // Offline mode kills the sessions of users without CONNECTION_ADMIN (every user
            // here, as RDS's master user): the client sees its connection lost, not an error.
            tokio::select! {
                () = conn.commands() => {}
                () = offline(&shared, m) => {}
            }
        }
    };
    tokio::select! {
        () = serve => {}
        () = gone(&shared, m, boot) => {}
    }
}

impl Conn {
    fn member(&self) -> usize {
        self.session.member
    }

    /// True (after holding the connection until it ends) when the member is blackholed.
    async fn blackholed(&mut self) -> bool {
        let m = self.member();
        if !self.shared.with(|w| w.members[m].blackhole) {
            return false;
        }
        swallow(&mut self.reader, &self.shared, m, self.session.boot).await;
        true
    }

    /// Sends `out` after the member's injected latency.
    async fn send(&mut self, out: Outgoing) -> std::io::Result<()> {
        let m = self.member();
        let latency = self.shared.with(|w| w.members[m].latency);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        out.send(&mut self.writer).await
    }

    async fn handshake(&mut self) -> Result<(), ()> {
        let m = self.member();
        let auth = self.shared.auth;
        let version = self.shared.with(|w| w.members[m].version.to_string());
        let nonce = handshake::nonce(self.session.connection_id);
        let mut out = Outgoing::new(0);
        out.push(&handshake::greeting(
            &version,
            self.session.connection_id,
            &nonce,
            auth,
        ));
        self.send(out).await.map_err(|_| ())?;

        let (seq, payload) = packet::read(&mut self.reader).await.map_err(|_| ())?;
        let hello = handshake::parse_response(&payload).ok_or(())?;
        self.encoder.caps = hello.caps;
        self.session.multi_results = hello.caps.contains(CapabilityFlags::CLIENT_MULTI_RESULTS);
        self.session.user = hello.user.clone();
        self.session.grants = Arc::clone(&self.shared.grants);
        let mut next = seq.wrapping_add(1);
        let mut response = hello.auth_response.clone();
        if hello
            .plugin
            .as_deref()
            .is_some_and(|p| p != auth.plugin_name())
        {
            let mut out = Outgoing::new(next);
            out.push(&handshake::switch_request(auth, &nonce));
            self.send(out).await.map_err(|_| ())?;
            let (seq, payload) = packet::read(&mut self.reader).await.map_err(|_| ())?;
            response = payload;
            next = seq.wrapping_add(1);
        }

        let mut out = Outgoing::new(next);
        let password_ok = self
            .shared
            .password_of(&hello.user)
            .is_some_and(|password| handshake::password_matches(auth, &nonce, password, &response));
        if !password_ok {
            let e = SqlError::access_denied(&hello.user, &self.session.host, !response.is_empty());
            self.encoder.err(&mut out, &e);
            let _ = self.send(out).await;
            return Err(());
        }
        if auth == crate::config::Auth::CachingSha2Password {
            out.push(&FAST_AUTH_OK);
        }
        // Offline mode refuses the user after authentication, instead of the OK (MySQL's order).
        if let Some(refusal) = self.shared.with(|w| w.offline_refusal(m)) {
            self.encoder.err(&mut out, &refusal);
            let _ = self.send(out).await;
            return Err(());
        }
        self.session.db = hello.db;
        self.encoder.ok(&mut out, 0, self.status());
        self.send(out).await.map_err(|_| ())
    }

    fn status(&self) -> StatusFlags {
        let mut status = StatusFlags::empty();
        if self.session.autocommit {
            status |= StatusFlags::SERVER_STATUS_AUTOCOMMIT;
        }
        if self.session.in_transaction || self.session.pending_writes > 0 {
            status |= StatusFlags::SERVER_STATUS_IN_TRANS;
        }
        status
    }

    async fn commands(&mut self) {
        let m = self.member();
        loop {
            let Ok((seq, payload)) = packet::read(&mut self.reader).await else {
                return;
            };
            let Some((&command, body)) = payload.split_first() else {
                return;
            };
            if command == 0x01 {
                return;
            }
            let (blackhole, offline) = self
                .shared
                .with(|w| (w.members[m].blackhole, w.members[m].offline_mode));
            if blackhole {
                swallow(&mut self.reader, &self.shared, m, self.session.boot).await;
                return;
            }
            if offline {
                // The session was killed when offline mode came on.
                return;
            }
            let mut out = Outgoing::new(seq.wrapping_add(1));
            match command {
                0x02 => {
                    self.session.db = Some(String::from_utf8_lossy(body).into_owned());
                    self.encoder.ok(&mut out, 0, self.status());
                }
                0x03 => {
                    let sql = String::from_utf8_lossy(body).into_owned();
                    let Outcome::Replies(replies) =
                        sql::run(&self.shared, &mut self.session, &sql).await
                    else {
                        return;
                    };
                    self.encoder.replies(&mut out, &replies, self.status());
                }
                0x0e => self.encoder.ok(&mut out, 0, self.status()),
                0x1f => {
                    self.session.reset();
                    self.encoder.ok(&mut out, 0, self.status());
                }
                _ => self.encoder.err(&mut out, &SqlError::unknown_command()),
            }
            if self.send(out).await.is_err() {
                return;
            }
        }
    }
}
