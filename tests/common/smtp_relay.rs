//! A fault-injecting SMTP relay for the tests: a small TCP proxy on 127.0.0.1 between duebox
//! and the real Postfix (tests/common/postfix.rs). It passes the session through line by
//! line (plain SMTP on both sides: start Postfix with `PostfixOptions::auth_without_tls`
//! and give duebox `security = "plain"`), and follows where the session is, so that it can
//! break it at the moments that matter for "sent exactly once":
//!
//! - [`Fault::Withhold`]: the message goes to Postfix, Postfix's `250` is held for a while
//!   (longer than duebox's timeout: duebox never hears it) and then passed on;
//! - [`Fault::DropAfterAccept`]: Postfix said `250`, the relay hangs up without passing it on;
//! - [`Fault::DropAfterForwarding`]: the `250` is passed on, then the connection is dropped;
//! - [`Fault::DropBeforeData`]: the client's `DATA` is not passed on; the relay hangs up;
//! - [`Fault::Refuse`]: the message is kept from Postfix (which never sees its final dot)
//!   and the client gets `451` or `554` for it; the session then ends with `421`.
//!
//! Faults are queued, one per message (transaction); with none queued the relay is a plain
//! pass-through. Only `std` is used. Stopped when dropped.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What happens to one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Withhold(Duration),
    DropAfterAccept,
    DropAfterForwarding,
    DropBeforeData,
    /// The reply code for the end of the message: 451 (temporary) or 554 (permanent).
    Refuse(u16),
}

#[derive(Default)]
struct Shared {
    faults: Mutex<VecDeque<Fault>>,
    stop: AtomicBool,
    /// Messages Postfix answered 250 to.
    accepted: AtomicUsize,
    /// Faults applied, in order.
    applied: Mutex<Vec<Fault>>,
}

/// The relay; listens until dropped.
pub struct Relay {
    port: u16,
    shared: Arc<Shared>,
}

impl Relay {
    /// Starts a relay in front of Postfix's plain port.
    pub fn start(upstream: u16) -> Relay {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the relay");
        let port = listener.local_addr().expect("relay address").port();
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let shared = Arc::new(Shared::default());
        let s = Arc::clone(&shared);
        thread::spawn(move || {
            while !s.stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let s = Arc::clone(&s);
                        thread::spawn(move || {
                            let _ = client.set_nonblocking(false);
                            if let Ok(server) = TcpStream::connect((Ipv4Addr::LOCALHOST, upstream))
                            {
                                session(client, server, &s);
                            }
                        });
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Relay { port, shared }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Queues a fault for the next message through the relay.
    pub fn push(&self, fault: Fault) {
        self.shared.faults.lock().unwrap().push_back(fault);
    }

    /// Drops any queued faults: pass-through from now on.
    pub fn clear(&self) {
        self.shared.faults.lock().unwrap().clear();
    }

    /// How many messages Postfix took (answered 250 to) through the relay.
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// The faults applied so far.
    pub fn applied(&self) -> Vec<Fault> {
        self.shared.applied.lock().unwrap().clone()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

/// One SMTP reply from the server, all its lines; None when the connection ended.
fn read_reply(server: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut reply = Vec::new();
    loop {
        let mut line = Vec::new();
        if server.read_until(b'\n', &mut line).ok()? == 0 {
            return None;
        }
        reply.extend_from_slice(&line);
        // "250-..." continues, "250 ..." ends.
        if line.get(3) != Some(&b'-') {
            return Some(reply);
        }
    }
}

fn hang_up(client: &TcpStream, server: &TcpStream) {
    let _ = client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
}

/// Passes one session through, lockstep (lettre does not pipeline), applying the faults.
fn session(client: TcpStream, server: TcpStream, shared: &Shared) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let mut from_client = BufReader::new(client.try_clone().expect("clone"));
    let mut from_server = BufReader::new(server.try_clone().expect("clone"));
    let (mut to_client, mut to_server) = (client, server);
    // The greeting.
    let Some(greeting) = read_reply(&mut from_server) else {
        return;
    };
    if to_client.write_all(&greeting).is_err() {
        return;
    }
    let mut refused = false;
    loop {
        let mut line = Vec::new();
        match from_client.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if refused {
            // The session is over after a refused message (Postfix is mid-DATA).
            let _ = to_client.write_all(b"421 4.4.2 relay closing the session\r\n");
            break;
        }
        let command = String::from_utf8_lossy(&line).trim().to_ascii_uppercase();
        if command == "DATA" {
            let fault = shared.faults.lock().unwrap().pop_front();
            if fault == Some(Fault::DropBeforeData) {
                shared.applied.lock().unwrap().push(Fault::DropBeforeData);
                break;
            }
            if to_server.write_all(&line).is_err() {
                break;
            }
            let Some(reply) = read_reply(&mut from_server) else {
                break;
            };
            if to_client.write_all(&reply).is_err() {
                break;
            }
            if !reply.starts_with(b"354") {
                continue;
            }
            // The message, up to its final dot, kept until it is complete.
            let mut message = Vec::new();
            loop {
                let mut l = Vec::new();
                match from_client.read_until(b'\n', &mut l) {
                    Ok(0) | Err(_) => {
                        hang_up(&to_client, &to_server);
                        return;
                    }
                    Ok(_) => {}
                }
                message.extend_from_slice(&l);
                if l == b".\r\n" || l == b".\n" {
                    break;
                }
            }
            if let Some(Fault::Refuse(code)) = fault {
                shared.applied.lock().unwrap().push(Fault::Refuse(code));
                let words = if code >= 500 {
                    format!("{code} 5.7.1 refused by the test relay\r\n")
                } else {
                    format!("{code} 4.3.0 try again later (test relay)\r\n")
                };
                let _ = to_client.write_all(words.as_bytes());
                // Postfix never saw the final dot: hanging up drops its transaction.
                let _ = to_server.shutdown(Shutdown::Both);
                refused = true;
                continue;
            }
            if to_server.write_all(&message).is_err() {
                break;
            }
            let Some(reply) = read_reply(&mut from_server) else {
                break;
            };
            if reply.starts_with(b"250") {
                shared.accepted.fetch_add(1, Ordering::SeqCst);
            }
            match fault {
                Some(Fault::DropAfterAccept) => {
                    shared.applied.lock().unwrap().push(Fault::DropAfterAccept);
                    break;
                }
                Some(Fault::Withhold(d)) => {
                    shared.applied.lock().unwrap().push(Fault::Withhold(d));
                    thread::sleep(d);
                    if to_client.write_all(&reply).is_err() {
                        break;
                    }
                }
                Some(Fault::DropAfterForwarding) => {
                    shared
                        .applied
                        .lock()
                        .unwrap()
                        .push(Fault::DropAfterForwarding);
                    let _ = to_client.write_all(&reply);
                    let _ = to_client.flush();
                    break;
                }
                _ => {
                    if to_client.write_all(&reply).is_err() {
                        break;
                    }
                }
            }
            continue;
        }
        if to_server.write_all(&line).is_err() {
            break;
        }
        let Some(reply) = read_reply(&mut from_server) else {
            break;
        };
        if to_client.write_all(&reply).is_err() {
            break;
        }
        if command == "QUIT" {
            break;
        }
    }
    hang_up(&to_client, &to_server);
}
