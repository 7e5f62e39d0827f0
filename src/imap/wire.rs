//! The server's responses on their way to the `imap` crate, with those it cannot take made
//! readable: `* NAMESPACE …` (RFC 2342) becomes `* OK NAMESPACE …` and `* XLIST …` (the old
//! special-use listing) `* LIST …`, which has the same syntax (unparsed, either ends the command
//! with a parse error and leaves its completion unread); an untagged warning `* NO …` (Cyrus
//! sends `* NO [ALERT] Mailbox is at 100% of … quota` on SELECT) becomes `* OK …`, logged,
//! because the crate panics on it while selecting. Literal data (message bodies) passes
//! untouched: only response lines are looked at.

use super::tls::Stream;
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The connection as the `imap` crate reads and writes it. It hands the crate at most one
/// whole response per read, so the crate's buffer never holds bytes past the response it
/// waits for, and duebox can read the next responses itself (`Handle::next_response`).
pub struct Wire {
    inner: Arc<Mutex<Inner>>,
    socket: TcpStream,
}

/// A second hold on the connection, for the commands duebox reads itself (FETCH of bodies,
/// MOVE with its COPYUID): complete responses, literals read as bytes, each parsed once.
#[derive(Clone)]
pub struct Handle(Arc<Mutex<Inner>>);

struct Inner {
    stream: Stream,
    /// A response line read so far (not yet complete).
    line: Vec<u8>,
    /// Bytes ready for the reader.
    out: Vec<u8>,
    taken: usize,
    /// Bytes of a literal still to pass through untouched.
    literal: usize,
    /// Where, in `out`, complete responses end (ascending, all past `taken`).
    ends: VecDeque<usize>,
    /// Round trips so far: writes that follow a read (or open the connection). Pipelined
    /// commands written together count once, however many responses come back.
    turns: u64,
    /// Whether the network was read since the last write.
    read_since_write: bool,
}

impl Wire {
    pub fn new(stream: Stream) -> Wire {
        let socket = stream
            .socket()
            .try_clone()
            .expect("a TCP socket can be cloned");
        Wire {
            inner: Arc::new(Mutex::new(Inner {
                stream,
                line: Vec::new(),
                out: Vec::new(),
                taken: 0,
                literal: 0,
                ends: VecDeque::new(),
                turns: 0,
                read_since_write: true,
            })),
            socket,
        }
    }

    /// The TCP socket under it, to wake a blocked read by shutting it down.
    pub fn socket(&self) -> &TcpStream {
        &self.socket
    }

    pub fn handle(&self) -> Handle {
        Handle(self.inner.clone())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave the buffers half-written: each step is one copy.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Handle {
    /// Writes `bytes` at once (one TLS record for a short pipeline) and flushes.
    pub fn send(&self, bytes: &[u8]) -> std::io::Result<()> {
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        inner.wrote();
        inner.stream.write_all(bytes)?;
        inner.stream.flush()
    }

    /// How many round trips the connection has taken (see `Inner::turns`).
    pub fn turns(&self) -> u64 {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).turns
    }

    /// The next complete response as the server sent it (untagged data with its literals
    /// whole, or a tagged completion); waits for the network as long as needed.
    pub fn next_response(&self) -> std::io::Result<Vec<u8>> {
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(end) = inner.ends.pop_front() {
                let response = inner.out[inner.taken..end].to_vec();
                inner.taken = end;
                inner.compact();
                return Ok(response);
            }
            if inner.fill()? == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                ));
            }
        }
    }
}

impl Inner {
    fn wrote(&mut self) {
        if self.read_since_write {
            self.turns += 1;
            self.read_since_write = false;
        }
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
                    let literal = literal_length(&line);
                    self.out.extend_from_slice(&rewrite(line));
                    match literal {
                        // The response goes on after the literal (`{0}` included).
                        Some(n) => self.literal = n,
                        None => self.ends.push_back(self.out.len()),
                    }
                }
                None => {
                    self.line.extend_from_slice(bytes);
                    bytes = &[];
                }
            }
        }
    }

    /// Reads once from the network; 0 at the end of the stream.
    fn fill(&mut self) -> std::io::Result<usize> {
        let mut chunk = [0u8; 64 * 1024];
        self.read_since_write = true;
        let n = self.stream.read(&mut chunk)?;
        self.take_in(&chunk[..n]);
        Ok(n)
    }

    /// Drops what was handed out, once that is most of the buffer.
    fn compact(&mut self) {
        if self.taken == self.out.len() {
            self.out.clear();
            self.taken = 0;
            self.ends.clear();
        } else if self.taken > 1 << 20 && self.taken * 2 > self.out.len() {
            let taken = self.taken;
            self.out.drain(..taken);
            self.taken = 0;
            for end in self.ends.iter_mut() {
                *end -= taken;
            }
        }
    }
}

/// The length announced by a line ending in `{N}` or `{N+}` (a literal follows).
fn literal_length(line: &[u8]) -> Option<usize> {
    let trimmed = line.strip_suffix(b"\n").unwrap_or(line);
    let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
    let body = trimmed.strip_suffix(b"}")?;
    let body = body.strip_suffix(b"+").unwrap_or(body);
    let open = body.iter().rposition(|&b| b == b'{')?;
    std::str::from_utf8(&body[open + 1..])
        .ok()
        .and_then(|n| n.parse().ok())
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
        let mut inner = self.lock();
        while inner.taken >= inner.out.len() {
            inner.compact();
            if inner.fill()? == 0 {
                // The end: whatever part of a line came is all there is.
                let rest = std::mem::take(&mut inner.line);
                inner.out.extend_from_slice(&rest);
                if inner.out.is_empty() {
                    return Ok(0);
                }
                break;
            }
        }
        // Never past the end of the next complete response.
        let limit = match inner.ends.front() {
            Some(&end) => end,
            None => inner.out.len(),
        };
        let n = buf.len().min(limit - inner.taken);
        let start = inner.taken;
        buf[..n].copy_from_slice(&inner.out[start..start + n]);
        inner.taken += n;
        while inner.ends.front().is_some_and(|&end| end <= inner.taken) {
            inner.ends.pop_front();
        }
        Ok(n)
    }
}

impl Write for Wire {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut inner = self.lock();
        inner.wrote();
        inner.stream.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.lock().stream.flush()
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

    fn wire() -> Wire {
        Wire::new(Stream::Plain(
            std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| TcpStream::connect(l.local_addr()?))
                .expect("a socket"),
        ))
    }

    /// The complete responses in `input` when it arrives cut at `cuts`.
    fn responses(input: &[u8], cuts: &[usize]) -> (Vec<Vec<u8>>, Vec<u8>) {
        let w = wire();
        let mut inner = w.lock();
        let mut at = 0;
        let mut found = Vec::new();
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        points.sort_unstable();
        points.push(input.len());
        for point in points {
            inner.take_in(&input[at..point]);
            at = point;
            while let Some(end) = inner.ends.pop_front() {
                found.push(inner.out[inner.taken..end].to_vec());
                inner.taken = end;
                inner.compact();
            }
        }
        let rest = inner.out[inner.taken..].to_vec();
        (found, rest)
    }

    fn through(input: &[u8]) -> Vec<u8> {
        let w = wire();
        let mut inner = w.lock();
        // Fed in small pieces, as the network may deliver them.
        for piece in input.chunks(5) {
            inner.take_in(piece);
        }
        inner.out.clone()
    }

    /// A FETCH response carrying `body` as a literal.
    fn fetch(uid: u32, body: &[u8]) -> Vec<u8> {
        let mut r = format!("* {uid} FETCH (UID {uid} BODY[] {{{}}}\r\n", body.len()).into_bytes();
        r.extend_from_slice(body);
        r.extend_from_slice(b" FLAGS (\\Seen))\r\n");
        r
    }

    proptest::proptest! {
        /// However the network cuts the stream, the same whole responses come out, literals
        /// byte for byte (CRLFs, braces and "a1 OK" inside them included).
        #[test]
        fn any_split_of_the_stream_yields_the_same_responses(
            bodies in proptest::collection::vec(
                proptest::collection::vec(proptest::prop_oneof![
                    proptest::prelude::any::<u8>(),
                    proptest::prelude::Just(b'\n'),
                    proptest::prelude::Just(b'}'),
                ], 0..300),
                0..8,
            ),
            cuts in proptest::collection::vec(0usize..4000, 0..40),
        ) {
            let mut expected: Vec<Vec<u8>> = bodies
                .iter()
                .enumerate()
                .map(|(i, b)| fetch(i as u32 + 1, b))
                .collect();
            expected.push(b"* 9 EXISTS\r\n".to_vec());
            expected.push(b"a7 OK FETCH done\r\n".to_vec());
            let stream: Vec<u8> = expected.concat();
            let (whole, rest) = responses(&stream, &[]);
            proptest::prop_assert_eq!(&whole, &expected);
            proptest::prop_assert!(rest.is_empty());
            let (split, rest) = responses(&stream, &cuts);
            proptest::prop_assert_eq!(&split, &expected);
            proptest::prop_assert!(rest.is_empty());
            for r in &split {
                let parsed = imap_proto::parser::parse_response(r);
                proptest::prop_assert!(matches!(parsed, Ok((rest, _)) if rest.is_empty()), "{:?}", String::from_utf8_lossy(r));
            }
        }
    }

    #[test]
    fn the_crate_is_never_handed_bytes_past_one_response() {
        let mut w = wire();
        let two = b"* 1 FETCH (BODY[] {3}\r\nab\n)\r\na1 OK done\r\n* 2 EXISTS\r\n";
        w.lock().take_in(two);
        let mut buf = [0u8; 4096];
        let mut got: Vec<Vec<u8>> = Vec::new();
        while got.iter().map(Vec::len).sum::<usize>() < two.len() {
            let n = w.read(&mut buf).unwrap();
            got.push(buf[..n].to_vec());
        }
        assert_eq!(
            got,
            vec![
                b"* 1 FETCH (BODY[] {3}\r\nab\n)\r\n".to_vec(),
                b"a1 OK done\r\n".to_vec(),
                b"* 2 EXISTS\r\n".to_vec()
            ]
        );
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
