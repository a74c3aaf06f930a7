//! The protocol as clients see it: authentication, the connect query, command handling.

use gr_sim::{Auth, Cluster, SimConfig};
use mysql_async::prelude::*;
use mysql_async::{Conn, OptsBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::*;

#[tokio::test]
async fn mysql_async_connects_with_caching_sha2_and_gets_its_connect_query_answered() {
    let sim = cluster(1).await;
    // Default options: mysql_async sends SELECT @@max_allowed_packet,@@wait_timeout,@@socket.
    let mut conn = connect(&sim, "db1").await;
    let one: Vec<i64> = bounded(conn.query("SELECT 1")).await.unwrap();
    assert_eq!(one, [1]);
    let row: Vec<(i64, i64, Option<String>)> =
        bounded(conn.query("SELECT @@max_allowed_packet,@@wait_timeout,@@socket"))
            .await
            .unwrap();
    assert_eq!(row, [(67_108_864, 28_800, None)]);
    bounded(conn.disconnect()).await.unwrap();
}

#[tokio::test]
async fn grkeeper_probe_options_connect_without_a_connect_query() {
    let sim = cluster(1).await;
    let mut conn = bounded(Conn::new(probe_opts(&sim, "db1"))).await.unwrap();
    assert_eq!(
        column(&mut conn, "SELECT @@hostname").await,
        ["ip-10-0-1-11"]
    );
}

#[tokio::test]
async fn native_password_authentication_works_too() {
    let sim = Cluster::start(SimConfig::with_members(1).auth(Auth::NativePassword))
        .await
        .unwrap();
    let mut conn = connect(&sim, "db1").await;
    assert_eq!(column(&mut conn, "SELECT @@version").await, ["8.0.36"]);
}

#[tokio::test]
async fn a_wrong_password_gets_error_1045_access_denied() {
    let sim = cluster(1).await;
    let opts = OptsBuilder::from_opts(opts(&sim, "db1")).pass(Some("nope"));
    let err = bounded(Conn::new(opts)).await.unwrap_err();
    let mysql_async::Error::Server(e) = err else {
        panic!("expected a server error, got {err:?}");
    };
    assert_eq!((e.code, e.state.as_str()), (1045, "28000"));
    assert_eq!(
        e.message,
        "Access denied for user 'admin'@'127.0.0.1' (using password: YES)"
    );
}

#[tokio::test]
async fn an_unknown_user_gets_error_1045_too() {
    let sim = cluster(1).await;
    let opts = OptsBuilder::from_opts(opts(&sim, "db1")).user(Some("root"));
    let err = bounded(Conn::new(opts)).await.unwrap_err();
    assert_eq!(code(&err), 1045);
}

#[tokio::test]
async fn ping_and_reset_connection_answer_ok() {
    let sim = cluster(1).await;
    let mut conn = connect(&sim, "db1").await;
    bounded(conn.ping()).await.unwrap();
    bounded(conn.reset()).await.unwrap();
    assert_eq!(column(&mut conn, "SELECT @@autocommit").await, ["1"]);
}

#[tokio::test]
async fn prepared_statements_are_refused_with_error_1047() {
    let sim = cluster(1).await;
    let mut conn = connect(&sim, "db1").await;
    let err = bounded(conn.prep("SELECT 1")).await.unwrap_err();
    assert_eq!(code(&err), 1047);
    // The connection stays usable.
    assert_eq!(
        column(&mut conn, "SELECT 'still here'").await,
        ["still here"]
    );
}

/// A hand-written client: no CLIENT_DEPRECATE_EOF, so result sets end with EOF packets, and
/// COM_INIT_DB answers OK.
#[tokio::test]
async fn a_client_without_deprecate_eof_gets_eof_packets_and_init_db_works() {
    let sim = Cluster::start(
        SimConfig::with_members(1)
            .auth(Auth::NativePassword)
            .user("admin", ""),
    )
    .await
    .unwrap();
    let mut stream = tokio::net::TcpStream::connect(sim.addr("db1").unwrap())
        .await
        .unwrap();
    let greeting = read_packet(&mut stream).await;
    assert_eq!(greeting[0], 10, "protocol version 10");
    // PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH, empty password (empty auth response).
    let caps: u32 = 0x0200 | 0x8000 | 0x0008_0000;
    let mut hello = caps.to_le_bytes().to_vec();
    hello.extend_from_slice(&(1u32 << 24).to_le_bytes());
    hello.push(255);
    hello.extend_from_slice(&[0; 23]);
    hello.extend_from_slice(b"admin\0");
    hello.push(0);
    hello.extend_from_slice(b"mysql_native_password\0");
    write_packet(&mut stream, 1, &hello).await;
    assert_eq!(read_packet(&mut stream).await[0], 0x00, "auth OK");

    write_packet(&mut stream, 0, b"\x02test").await;
    assert_eq!(read_packet(&mut stream).await[0], 0x00, "COM_INIT_DB OK");

    write_packet(&mut stream, 0, b"\x03SELECT DATABASE()").await;
    assert_eq!(read_packet(&mut stream).await, [1], "one column");
    let _definition = read_packet(&mut stream).await;
    let eof = read_packet(&mut stream).await;
    assert_eq!(
        (eof[0], eof.len()),
        (0xFE, 5),
        "EOF after the column definitions"
    );
    assert_eq!(read_packet(&mut stream).await, b"\x04test", "the row");
    let eof = read_packet(&mut stream).await;
    assert_eq!((eof[0], eof.len()), (0xFE, 5), "EOF after the rows");
}

async fn read_packet(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut header = [0u8; 4];
    bounded(stream.read_exact(&mut header)).await.unwrap();
    let len = usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
    let mut payload = vec![0; len];
    bounded(stream.read_exact(&mut payload)).await.unwrap();
    payload
}

async fn write_packet(stream: &mut tokio::net::TcpStream, seq: u8, payload: &[u8]) {
    let len = payload.len();
    let mut bytes = vec![len as u8, (len >> 8) as u8, (len >> 16) as u8, seq];
    bytes.extend_from_slice(payload);
    stream.write_all(&bytes).await.unwrap();
}
