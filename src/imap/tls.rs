//! The byte stream under the IMAP client: plain TCP (loopback only) or rustls over TCP,
//! trusting the system's CAs plus an optional CA file for self-signed servers; with the
//! `native-tls` feature also the system's OpenSSL, for servers rustls refuses (TLS 1.0/1.1,
//! no ECDHE). A handshake failure is told as what the user can do about it.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A connection to the server, encrypted or (to loopback only) not.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
    #[cfg(feature = "native-tls")]
    Native(Box<openssl::ssl::SslStream<TcpStream>>),
}

impl Stream {
    /// The TCP socket under it, to wake a blocked read by shutting it down.
    pub fn socket(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref(),
            #[cfg(feature = "native-tls")]
            Stream::Native(s) => s.get_ref(),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            #[cfg(feature = "native-tls")]
            Stream::Native(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
            #[cfg(feature = "native-tls")]
            Stream::Native(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
            #[cfg(feature = "native-tls")]
            Stream::Native(s) => s.flush(),
        }
    }
}

impl imap::extensions::idle::SetReadTimeout for Stream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> imap::Result<()> {
        self.socket()
            .set_read_timeout(timeout)
            .map_err(imap::Error::Io)
    }
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the CA file {path}: {reason}; check [imap] ca_file")]
    CaFile { path: String, reason: String },
    #[error("'{0}' is not a valid host name for TLS")]
    Name(String),
    #[error("the server's TLS certificate is not trusted: {0}. If the server uses a self-signed certificate, put its CA in a PEM file and set [imap] ca_file")]
    Certificate(String),
    #[error("the TLS handshake failed: {0}")]
    Handshake(String),
    /// rustls refused the server's TLS (a build with the `native-tls` feature then tries the
    /// system's OpenSSL instead).
    #[error("{OLD_TLS} ({0}); build duebox with `cargo build --release --features native-tls` to use the system's OpenSSL for such servers, or ask the mail provider for TLS 1.2 or later")]
    OldServer(String),
    /// The system's OpenSSL could not connect either.
    #[error("{OLD_TLS}, and the system's OpenSSL could not connect either ({0}); ask the mail provider for TLS 1.2 or later")]
    NativeFailed(String),
}

const OLD_TLS: &str = "the server offers only TLS 1.0/1.1 or a key exchange without forward secrecy (no ECDHE), which duebox's built-in TLS refuses";

/// Whether a rustls failure means "the server's TLS is too old or weak for rustls" (a
/// version or cipher-suite mismatch), rather than trust or network trouble.
fn too_old(e: &rustls::Error) -> bool {
    use rustls::AlertDescription as A;
    matches!(
        e,
        rustls::Error::PeerIncompatible(_)
            | rustls::Error::AlertReceived(
                A::ProtocolVersion | A::HandshakeFailure | A::InsufficientSecurity
            )
    )
}

/// The rustls client settings: system CAs, plus the CA file if given.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, TlsError> {
    let mut roots = RootCertStore::empty();
    // The system store may be partly unreadable; what loads is used.
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(path) = ca_file {
        let shown = path.display().to_string();
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| TlsError::CaFile {
                path: shown.clone(),
                reason: e.to_string(),
            })?;
        if certs.is_empty() {
            return Err(TlsError::CaFile {
                path: shown,
                reason: "it holds no PEM certificate".into(),
            });
        }
        for cert in certs {
            roots.add(cert).map_err(|e| TlsError::CaFile {
                path: shown.clone(),
                reason: e.to_string(),
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Handshake(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Runs the TLS handshake to completion now, so a certificate problem is reported as such
/// rather than as a failed read later.
pub fn handshake(
    config: Arc<ClientConfig>,
    host: &str,
    mut tcp: TcpStream,
) -> Result<Stream, TlsError> {
    let name = ServerName::try_from(host.to_string()).map_err(|_| TlsError::Name(host.into()))?;
    let mut conn =
        ClientConnection::new(config, name).map_err(|e| TlsError::Handshake(e.to_string()))?;
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut tcp) {
            let rustls_error = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>());
            return Err(match rustls_error {
                Some(rustls::Error::InvalidCertificate(why)) => {
                    TlsError::Certificate(format!("{why:?}"))
                }
                Some(other) if too_old(other) => TlsError::OldServer(other.to_string()),
                Some(other) => TlsError::Handshake(other.to_string()),
                None => TlsError::Handshake(e.to_string()),
            });
        }
    }
    Ok(Stream::Tls(Box::new(StreamOwned::new(conn, tcp))))
}

/// The handshake with the system's OpenSSL, for servers rustls refuses: TLS 1.0 and later,
/// any cipher OpenSSL still has (security level 0: an old server's own choice), with the
/// certificate and host name checked as always.
#[cfg(feature = "native-tls")]
pub fn native_handshake(
    host: &str,
    ca_file: Option<&Path>,
    tcp: TcpStream,
) -> Result<Stream, TlsError> {
    use openssl::ssl::{SslConnector, SslMethod, SslVersion};
    let setup = |e: openssl::error::ErrorStack| TlsError::Handshake(e.to_string());
    let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(setup)?;
    builder
        .set_min_proto_version(Some(SslVersion::TLS1))
        .map_err(setup)?;
    builder
        .set_cipher_list("DEFAULT:@SECLEVEL=0")
        .map_err(setup)?;
    if let Some(path) = ca_file {
        builder.set_ca_file(path).map_err(|e| TlsError::CaFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    }
    let connector = builder.build();
    match connector.connect(host, tcp) {
        Ok(stream) => Ok(Stream::Native(Box::new(stream))),
        Err(openssl::ssl::HandshakeError::Failure(mid)) => {
            let verify = mid.ssl().verify_result();
            if verify != openssl::x509::X509VerifyResult::OK {
                Err(TlsError::Certificate(verify.error_string().to_string()))
            } else {
                Err(TlsError::NativeFailed(mid.error().to_string()))
            }
        }
        Err(e) => Err(TlsError::NativeFailed(e.to_string())),
    }
}
