//! MySQL packet framing: 3-byte little-endian length + sequence id + payload, with payloads of
//! 16 MiB and more split across packets.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Longest payload one packet carries.
const MAX_PAYLOAD: usize = 0xFF_FFFF;

/// Reads one (possibly multi-packet) payload and the sequence id of its last packet.
pub(crate) async fn read<R: AsyncRead + Unpin>(reader: &mut R) -> std::io::Result<(u8, Vec<u8>)> {
    let mut payload = Vec::new();
    loop {
        let mut header = [0u8; 4];
        reader.read_exact(&mut header).await?;
        let len =
            usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
        let start = payload.len();
        payload.resize(start + len, 0);
        reader.read_exact(&mut payload[start..]).await?;
        if len < MAX_PAYLOAD {
            return Ok((header[3], payload));
        }
    }
}

/// Packets of one reply, numbered from the sequence id the reply starts at.
#[derive(Debug)]
pub(crate) struct Outgoing {
    bytes: Vec<u8>,
    seq: u8,
}

impl Outgoing {
    pub fn new(seq: u8) -> Self {
        Outgoing {
            bytes: Vec::new(),
            seq,
        }
    }

    /// Appends one payload as one or more packets.
    pub fn push(&mut self, payload: &[u8]) {
        let mut chunks = payload.chunks(MAX_PAYLOAD).peekable();
        if chunks.peek().is_none() {
            self.frame(&[]);
        }
        while let Some(chunk) = chunks.next() {
            self.frame(chunk);
            // A payload that fills the last packet exactly ends with an empty one.
            if chunks.peek().is_none() && chunk.len() == MAX_PAYLOAD {
                self.frame(&[]);
            }
        }
    }

    fn frame(&mut self, chunk: &[u8]) {
        let len = chunk.len();
        self.bytes
            .extend_from_slice(&[len as u8, (len >> 8) as u8, (len >> 16) as u8, self.seq]);
        self.bytes.extend_from_slice(chunk);
        self.seq = self.seq.wrapping_add(1);
    }

    /// Writes everything and flushes.
    pub async fn send<W: AsyncWrite + Unpin>(self, writer: &mut W) -> std::io::Result<()> {
        writer.write_all(&self.bytes).await?;
        writer.flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_payload_round_trips_through_framing() {
        let mut out = Outgoing::new(3);
        out.push(b"hello");
        let mut bytes: &[u8] = &out.bytes;
        let (seq, payload) = read(&mut bytes).await.unwrap();
        assert_eq!((seq, payload.as_slice()), (3, &b"hello"[..]));
    }
}
