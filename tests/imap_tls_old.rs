//! Old TLS: a real `openssl s_server` on 127.0.0.1 speaking only TLS 1.0, or TLS 1.2 with a
//! key exchange without forward secrecy (plain RSA), as old mail servers do. The default
//! build (rustls) refuses both and says what to do in one sentence; a build with
//! `--features native-tls` connects through the system's OpenSSL.

use duebox::imap::tls::{self, TlsError};
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An `openssl s_server`, stopped by its pid when dropped.
struct OldServer {
    child: Child,
    port: u16,
}

impl Drop for OldServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A self-signed certificate for 127.0.0.1 with a key of this kind (`ec` or `rsa`).
fn certificate(dir: &Path, kind: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let key = dir.join(format!("{kind}-key.pem"));
    let cert = dir.join(format!("{kind}-cert.pem"));
    let newkey: &[&str] = if kind == "rsa" {
        &["-newkey", "rsa:2048"]
    } else {
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    };
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .args(newkey)
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("the tests need the openssl command (scripts/test.sh installs it)")
        .success();
    assert!(ok, "openssl req failed");
    (key, cert)
}

fn start(dir: &Path, kind: &str, protocol: &[&str]) -> (OldServer, std::path::PathBuf) {
    let (key, cert) = certificate(dir, kind);
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let child = Command::new("openssl")
        .arg("s_server")
        .args(["-accept", &format!("127.0.0.1:{port}")])
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .args(protocol)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl s_server");
    let mut server = OldServer { child, port };
    let stdout = server.child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if rx
            .recv_timeout(Duration::from_millis(100))
            .is_ok_and(|l| l.contains("ACCEPT"))
        {
            return (server, cert);
        }
    }
    panic!("openssl s_server did not start on port {}", server.port);
}

fn handshake(server: &OldServer, cert: &Path) -> Result<(), TlsError> {
    let tcp = TcpStream::connect((Ipv4Addr::LOCALHOST, server.port)).unwrap();
    let config = tls::client_config(Some(cert))?;
    tls::handshake(config, "127.0.0.1", tcp).map(|_| ())
}

#[test]
fn servers_with_old_tls_get_a_sentence_and_native_tls_reaches_them() {
    let dir = tempfile::tempdir().unwrap();
    // TLS 1.0 only (OpenSSL 3 needs security level 0 for it).
    let (tls10, cert10) = start(
        dir.path(),
        "ec",
        &["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"],
    );
    // TLS 1.2 with RSA key exchange only: no forward secrecy.
    let (rsa_kx, cert_rsa) = start(dir.path(), "rsa", &["-tls1_2", "-cipher", "AES128-SHA256"]);
    for (server, cert) in [(&tls10, &cert10), (&rsa_kx, &cert_rsa)] {
        let e = handshake(server, cert).unwrap_err();
        let shown = e.to_string();
        assert!(matches!(e, TlsError::OldServer(_)), "{e:?}");
        assert!(shown.contains("only TLS 1.0/1.1"), "{shown}");
        assert!(shown.contains("--features native-tls"), "{shown}");
    }
    #[cfg(feature = "native-tls")]
    for (server, cert) in [(&tls10, &cert10), (&rsa_kx, &cert_rsa)] {
        let tcp = TcpStream::connect((Ipv4Addr::LOCALHOST, server.port)).unwrap();
        tls::native_handshake("127.0.0.1", Some(cert), tcp).expect("OpenSSL connects");
        // The certificate is still checked: another CA is refused.
        let tcp = TcpStream::connect((Ipv4Addr::LOCALHOST, server.port)).unwrap();
        let other = if cert == &cert10 { &cert_rsa } else { &cert10 };
        assert!(matches!(
            tls::native_handshake("127.0.0.1", Some(other), tcp),
            Err(TlsError::Certificate(_))
        ));
    }
}
