//! The server's responses on their way to the `imap` crate, with those it cannot take made
//! readable: `* NAMESPACE …` (RFC 2342) becomes `* OK NAMESPACE …` and `* XLIST …` (the old
//! special-use listing) `* LIST …`, which has the same syntax (unparsed, either ends the command
//! with a parse error and leaves its completion unread); an untagged warning `* NO …` (Cyrus
//! sends `* NO [ALERT] Mailbox is at 100% of … quota` on SELECT) becomes `* OK …`, logged,
//! because the crate panics on it while selecting. Literal data (message bodies) passes
//! untouched: only response lines are looked at.

use super::tls::Stream;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The connection as the `imap` crate reads and writes it.
pub struct Wire {
    stream: Stream,
    /// A response line read so far (not yet complete).
    line: Vec<u8>,
    /// Bytes ready for the reader.
    out: Vec<u8>,
    taken: usize,
    /// Bytes of a literal still to pass through untouched.
    literal: usize,
}

impl Wire {
    pub fn new(stream: Stream) -> Wire {
        Wire {
            stream,
            line: Vec::new(),
            out: Vec::new(),
            taken: 0,
            literal: 0,
        }
    }

    /// The TCP socket under it, to wake a blocked read by shutting it down.
    pub fn socket(&self) -> &TcpStream {
        self.stream.socket()
    }

    /// Takes in bytes from the server, releasing whole lines (rewritten) and literal data.
    fn take_in(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.literal > 0 {
                let n = self.literal.min(bytes.len());
                self.out.extend_from_slice(&bytes[..n]);
                self.literal -= n;
                bytes = &bytes[n..];
                continue;
            }
            match memchr::memchr(b'\n', bytes) {
                Some(end) => {
                    self.line.extend_from_slice(&bytes[..=end]);
                    bytes = &bytes[end + 1..];
                    let line = std::mem::take(&mut self.line);
                    self.literal = literal_length(&line);
                    self.out.extend_from_slice(&rewrite(line));
                }
                None => {
                    self.line.extend_from_slice(bytes);
                    bytes = &[];
                }
            }
        }
    }
}

/// The length announced by a line ending in `{N}` or `{N+}` (a literal follows).
fn literal_length(line: &[u8]) -> usize {
    let trimmed = line.strip_suffix(b"\n").unwrap_or(line);
    let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
    let Some(body) = trimmed.strip_suffix(b"}") else {
        return 0;
    };
    let body = body.strip_suffix(b"+").unwrap_or(body);
    let Some(open) = body.iter().rposition(|&b| b == b'{') else {
        return 0;
    };
    std::str::from_utf8(&body[open + 1..])
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A response line the `imap` crate would not parse, made one it does.
fn rewrite(line: Vec<u8>) -> Vec<u8> {
    let starts = |word: &[u8]| {
        line.len() > word.len() + 2
            && line.starts_with(b"* ")
            && line[2..2 + word.len()].eq_ignore_ascii_case(word)
            && line[2 + word.len()] == b' '
    };
    if starts(b"NAMESPACE") {
        let mut out = b"* OK ".to_vec();
        out.extend_from_slice(&line[2..]);
        out
    } else if starts(b"XLIST") {
        let mut out = b"* LIST".to_vec();
        out.extend_from_slice(&line[7..]);
        out
    } else if starts(b"NO") {
        tracing::warn!(
            "server warning: {}",
            String::from_utf8_lossy(&line[5..]).trim_end()
        );
        let mut out = b"* OK".to_vec();
        out.extend_from_slice(&line[4..]);
        out
    } else {
        line
    }
}

impl Read for Wire {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        while self.taken >= self.out.len() {
            self.out.clear();
            self.taken = 0;
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                // The end: whatever part of a line came is all there is.
                let rest = std::mem::take(&mut self.line);
                self.out.extend_from_slice(&rest);
                if self.out.is_empty() {
                    return Ok(0);
                }
                break;
            }
            self.take_in(&chunk[..n]);
        }
        let n = buf.len().min(self.out.len() - self.taken);
        buf[..n].copy_from_slice(&self.out[self.taken..self.taken + n]);
        self.taken += n;
        Ok(n)
    }
}

impl Write for Wire {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.stream.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush()
    }
}

impl imap::extensions::idle::SetReadTimeout for Wire {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> imap::Result<()> {
        self.socket()
            .set_read_timeout(timeout)
            .map_err(imap::Error::Io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(input: &[u8]) -> Vec<u8> {
        let mut w = Wire::new(Stream::Plain(
            std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| TcpStream::connect(l.local_addr()?))
                .expect("a socket"),
        ));
        // Fed in small pieces, as the network may deliver them.
        for piece in input.chunks(5) {
            w.take_in(piece);
        }
        w.out
    }

    #[test]
    fn namespace_and_xlist_lines_are_made_readable_and_literals_pass_untouched() {
        assert_eq!(
            through(b"* NAMESPACE ((\"INBOX.\" \".\")) NIL NIL\r\na3 OK done\r\n"),
            b"* OK NAMESPACE ((\"INBOX.\" \".\")) NIL NIL\r\na3 OK done\r\n"
        );
        assert_eq!(
            through(b"* XLIST (\\Sent) \"/\" \"[Gmail]/Sent Mail\"\r\n"),
            b"* LIST (\\Sent) \"/\" \"[Gmail]/Sent Mail\"\r\n"
        );
        let body = b"* 1 FETCH (BODY[] {23}\r\n* NAMESPACE in a body\r\n)\r\n";
        assert_eq!(through(body), body.to_vec());
        let plus = b"* 1 FETCH (BODY[] {14+}\r\n* XLIST body\r\n)\r\n";
        assert_eq!(through(plus), plus.to_vec());
        assert_eq!(through(b"* OK fine\r\n"), b"* OK fine\r\n");
        assert_eq!(
            through(b"* NO [ALERT] Mailbox is at 100% of quota\r\n"),
            b"* OK [ALERT] Mailbox is at 100% of quota\r\n"
        );
        assert_eq!(through(b"a4 NO refused\r\n"), b"a4 NO refused\r\n");
    }
}
