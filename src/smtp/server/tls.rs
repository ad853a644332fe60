//! STARTTLS with rustls (ring provider): loading the certificate and key, the connection
//! type the session reads and writes (plain, then TLS), and the handshake.

use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use crate::rt::net::TcpStream;

/// Builds the TLS config from PEM files; errors name the file.
pub(crate) fn load(cert: &Path, key: &Path) -> io::Result<Arc<ServerConfig>> {
    let named = |path: &Path, e: &dyn std::fmt::Display| {
        io::Error::other(format!("{}: {e}", path.display()))
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| named(cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| named(cert, &e))?;
    if certs.is_empty() {
        return Err(named(cert, &"no certificate in file"));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| named(key, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| named(key, &e))?;
    Ok(Arc::new(config))
}

/// The client connection, before and after STARTTLS.
pub(super) enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
    /// Only while switching; never read from or written to.
    Switching,
}

impl Conn {
    fn tcp(&mut self) -> Option<&mut TcpStream> {
        match self {
            Conn::Plain(s) => Some(s),
            Conn::Tls(t) => Some(&mut t.sock),
            Conn::Switching => None,
        }
    }

    pub fn set_read_timeout(&mut self, t: Duration) {
        if let Some(s) = self.tcp() {
            s.set_read_timeout(Some(t));
        }
    }

    /// Runs the server handshake on the plain connection. On success, returns a description
    /// of the session (version and cipher suite) for the Received: header.
    pub fn start_tls(
        &mut self,
        config: &Arc<ServerConfig>,
        timeout: Duration,
    ) -> io::Result<String> {
        let Conn::Plain(mut tcp) = std::mem::replace(self, Conn::Switching) else {
            return Err(io::Error::other("TLS already active"));
        };
        tcp.set_read_timeout(Some(timeout));
        let conn = ServerConnection::new(config.clone()).map_err(io::Error::other)?;
        let mut tls = StreamOwned::new(conn, tcp);
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock)?;
        }
        let version = tls
            .conn
            .protocol_version()
            .map(|v| format!("{v:?}"))
            .unwrap_or_default();
        let suite = tls
            .conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_default();
        *self = Conn::Tls(Box::new(tls));
        Ok(format!("version={version} cipher={suite}"))
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(t) => t.read(buf),
            Conn::Switching => Err(io::ErrorKind::NotConnected.into()),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(t) => t.write(buf),
            Conn::Switching => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(t) => t.flush(),
            Conn::Switching => Ok(()),
        }
    }
}
