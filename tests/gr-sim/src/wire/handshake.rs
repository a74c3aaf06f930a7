//! Connection phase: the initial handshake, the client's response, an auth switch when the
//! client picked another plugin, and the password check (mysql_native_password or the fast
//! path of caching_sha2_password).

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use mysql_common::constants::{CapabilityFlags, StatusFlags};
use mysql_common::io::ParseBuf;
use mysql_common::packets::{AuthSwitchRequest, HandshakePacket, HandshakeResponse};
use mysql_common::proto::MySerialize;
use mysql_common::scramble::{scramble_native, scramble_sha256};

use crate::config::Auth;

/// What the server offers; the connection uses what both sides support.
pub(crate) fn server_capabilities() -> CapabilityFlags {
    CapabilityFlags::CLIENT_LONG_PASSWORD
        | CapabilityFlags::CLIENT_FOUND_ROWS
        | CapabilityFlags::CLIENT_LONG_FLAG
        | CapabilityFlags::CLIENT_CONNECT_WITH_DB
        | CapabilityFlags::CLIENT_NO_SCHEMA
        | CapabilityFlags::CLIENT_PROTOCOL_41
        | CapabilityFlags::CLIENT_TRANSACTIONS
        | CapabilityFlags::CLIENT_SECURE_CONNECTION
        | CapabilityFlags::CLIENT_MULTI_STATEMENTS
        | CapabilityFlags::CLIENT_MULTI_RESULTS
        | CapabilityFlags::CLIENT_PS_MULTI_RESULTS
        | CapabilityFlags::CLIENT_PLUGIN_AUTH
        | CapabilityFlags::CLIENT_CONNECT_ATTRS
        | CapabilityFlags::CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
        | CapabilityFlags::CLIENT_DEPRECATE_EOF
}

/// A 20-byte scramble of printable, non-NUL bytes, different for every connection.
pub(crate) fn nonce(connection_id: u32) -> [u8; 20] {
    let hasher = RandomState::new();
    std::array::from_fn(|i| {
        let h = hasher.hash_one((connection_id, i));
        // Printable ASCII without '$' keeps every client's scramble parsing happy.
        let b = b'!' + (h % 94) as u8;
        if b == b'$' { b'%' } else { b }
    })
}

/// The initial handshake packet payload.
pub(crate) fn greeting(version: &str, connection_id: u32, nonce: &[u8; 20], auth: Auth) -> Vec<u8> {
    let mut scramble_1 = [0u8; 8];
    scramble_1.copy_from_slice(&nonce[..8]);
    let mut scramble_2 = nonce[8..].to_vec();
    scramble_2.push(0);
    let packet = HandshakePacket::new(
        10,
        version.as_bytes(),
        connection_id,
        scramble_1,
        Some(scramble_2),
        server_capabilities(),
        255,
        StatusFlags::SERVER_STATUS_AUTOCOMMIT,
        Some(auth.plugin_name().as_bytes()),
    );
    let mut p = Vec::new();
    packet.serialize(&mut p);
    p
}

/// The client's handshake response, reduced to what the server needs.
#[derive(Debug, Clone)]
pub(crate) struct ClientHello {
    pub caps: CapabilityFlags,
    pub user: String,
    pub auth_response: Vec<u8>,
    pub db: Option<String>,
    pub plugin: Option<String>,
}

/// Parses the handshake response (None when it is not one, e.g. an SSL request).
pub(crate) fn parse_response(payload: &[u8]) -> Option<ClientHello> {
    let response: HandshakeResponse<'_> = ParseBuf(payload).parse(()).ok()?;
    let caps = response.capabilities() & server_capabilities();
    Some(ClientHello {
        caps,
        user: String::from_utf8_lossy(response.user()).into_owned(),
        auth_response: response.scramble_buf().to_vec(),
        db: response
            .db_name()
            .filter(|d| !d.is_empty())
            .map(|d| String::from_utf8_lossy(d).into_owned()),
        plugin: response
            .auth_plugin()
            .map(|p| String::from_utf8_lossy(p.as_bytes()).into_owned()),
    })
}

/// The auth switch request asking the client to answer with `auth`'s scramble.
pub(crate) fn switch_request(auth: Auth, nonce: &[u8; 20]) -> Vec<u8> {
    let mut data = nonce.to_vec();
    data.push(0);
    let mut p = Vec::new();
    AuthSwitchRequest::new(auth.plugin_name().as_bytes(), data).serialize(&mut p);
    p
}

/// True when `response` proves knowledge of `password` for this nonce.
pub(crate) fn password_matches(
    auth: Auth,
    nonce: &[u8; 20],
    password: &str,
    response: &[u8],
) -> bool {
    if password.is_empty() {
        return response.is_empty();
    }
    match auth {
        Auth::NativePassword => {
            scramble_native(nonce, password.as_bytes()).is_some_and(|s| s.as_slice() == response)
        }
        Auth::CachingSha2Password => {
            scramble_sha256(nonce, password.as_bytes()).is_some_and(|s| s.as_slice() == response)
        }
    }
}

/// caching_sha2_password's "fast authentication succeeded" (AuthMoreData 0x03).
pub(crate) const FAST_AUTH_OK: [u8; 2] = [0x01, 0x03];
