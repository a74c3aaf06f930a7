//! The MySQL client/server protocol as the simulator speaks it: framing, connection phase and
//! response encoding. Packet layouts come from mysql_common where it has them.

pub(crate) mod encode;
pub(crate) mod handshake;
pub(crate) mod packet;
