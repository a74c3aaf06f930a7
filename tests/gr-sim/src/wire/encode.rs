//! Server responses on the wire: OK, ERR, EOF and text result sets, ending result sets with an
//! OK packet for clients with CLIENT_DEPRECATE_EOF and with EOF packets for the others.

use mysql_common::constants::{CapabilityFlags, ColumnFlags, ColumnType, StatusFlags};
use mysql_common::io::BufMutExt;
use mysql_common::packets::{Column as ColumnDef, ErrPacket, ServerError, SqlState};
use mysql_common::proto::MySerialize;

use crate::errors::SqlError;
use crate::sql::Reply;
use crate::sql::value::{Column, Kind, ResultSet};
use crate::wire::packet::Outgoing;

const UTF8MB4_0900_AI_CI: u16 = 255;
const BINARY: u16 = 63;

/// Writes replies in the format the client negotiated.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Encoder {
    pub caps: CapabilityFlags,
}

impl Encoder {
    fn deprecate_eof(self) -> bool {
        self.caps.contains(CapabilityFlags::CLIENT_DEPRECATE_EOF)
    }

    /// An OK packet.
    pub fn ok(self, out: &mut Outgoing, affected: u64, status: StatusFlags) {
        let mut p = vec![0x00];
        p.put_lenenc_int(affected);
        p.put_lenenc_int(0);
        p.extend_from_slice(&status.bits().to_le_bytes());
        p.extend_from_slice(&[0, 0]);
        out.push(&p);
    }

    /// An ERR packet (with `#` and SQLSTATE, as after the handshake).
    pub fn err(self, out: &mut Outgoing, error: &SqlError) {
        let state = error.state.as_bytes();
        let state: [u8; 5] = std::array::from_fn(|i| state.get(i).copied().unwrap_or(b'0'));
        let packet = ErrPacket::Error(ServerError::new(
            error.code,
            Some(SqlState::new(state)),
            error.message.as_bytes(),
        ));
        let mut p = Vec::new();
        packet.serialize(&mut p);
        out.push(&p);
    }

    /// The end of column definitions or rows: EOF, or OK with header 0xFE under DEPRECATE_EOF.
    fn terminator(self, out: &mut Outgoing, status: StatusFlags) {
        let mut p = vec![0xFE];
        if self.deprecate_eof() {
            p.put_lenenc_int(0);
            p.put_lenenc_int(0);
            p.extend_from_slice(&status.bits().to_le_bytes());
            p.extend_from_slice(&[0, 0]);
        } else {
            p.extend_from_slice(&[0, 0]);
            p.extend_from_slice(&status.bits().to_le_bytes());
        }
        out.push(&p);
    }

    /// A text-protocol result set.
    pub fn result_set(self, out: &mut Outgoing, rs: &ResultSet, status: StatusFlags) {
        let mut count = Vec::new();
        count.put_lenenc_int(rs.columns.len() as u64);
        out.push(&count);
        for column in &rs.columns {
            let mut p = Vec::new();
            definition(column).serialize(&mut p);
            out.push(&p);
        }
        if !self.deprecate_eof() {
            self.terminator(out, status);
        }
        for row in &rs.rows {
            let mut p = Vec::new();
            for value in row {
                match value.to_text() {
                    Some(text) => p.put_lenenc_str(text.as_bytes()),
                    None => p.push(0xFB),
                }
            }
            out.push(&p);
        }
        self.terminator(out, status);
    }

    /// The results of one COM_QUERY; every result but the last says more follow.
    pub fn replies(self, out: &mut Outgoing, replies: &[Reply], base: StatusFlags) {
        for (i, reply) in replies.iter().enumerate() {
            let mut status = base;
            if i + 1 < replies.len() {
                status |= StatusFlags::SERVER_MORE_RESULTS_EXISTS;
            }
            match reply {
                Reply::Ok { affected } => self.ok(out, *affected, status),
                Reply::Rows(rs) => self.result_set(out, rs, status),
                Reply::Err(e) => self.err(out, e),
            }
        }
    }
}

fn definition(column: &Column) -> ColumnDef {
    let (kind, charset, flags, length, decimals) = match column.kind {
        Kind::Int => (
            ColumnType::MYSQL_TYPE_LONGLONG,
            BINARY,
            ColumnFlags::NUM_FLAG | ColumnFlags::BINARY_FLAG,
            21,
            0,
        ),
        Kind::Str => (
            ColumnType::MYSQL_TYPE_VAR_STRING,
            UTF8MB4_0900_AI_CI,
            ColumnFlags::empty(),
            4096,
            0,
        ),
        Kind::Timestamp => (
            ColumnType::MYSQL_TYPE_TIMESTAMP,
            BINARY,
            ColumnFlags::BINARY_FLAG,
            26,
            6,
        ),
    };
    ColumnDef::new(kind)
        .with_schema(column.schema.as_bytes())
        .with_table(column.table.as_bytes())
        .with_org_table(column.org_table.as_bytes())
        .with_name(column.name.as_bytes())
        .with_org_name(column.org_name.as_bytes())
        .with_character_set(charset)
        .with_flags(flags)
        .with_column_length(length)
        .with_decimals(decimals)
}
