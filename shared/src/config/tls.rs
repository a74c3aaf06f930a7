//! `GRKEEPER_TLS` and `GRKEEPER_TLS_CA_FILE`: which CA certificates the member connections trust.
//!
//! The bundle is parsed and loaded into a root store here, at start-up, exactly as mysql_async's
//! rustls connector will load it on each connect: a bad file stops the function at its cold
//! start, not at every probe.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::reader::Reader;

const TLS: &str = "GRKEEPER_TLS";
const CA_FILE: &str = "GRKEEPER_TLS_CA_FILE";

/// The Amazon RDS global CA bundle (`shared/certs/README.md` says where it comes from).
const RDS_GLOBAL_BUNDLE: &[u8] = include_bytes!("../../certs/rds-global-bundle.pem");

/// How member connections are secured.
#[derive(Debug, Clone)]
pub enum Tls {
    /// TLS required; the server certificate must chain to the bundle and match the host name.
    Verify(CaBundle),
    /// Plain TCP: local runs against the simulator only.
    Disabled,
}

/// PEM CA certificates, checked to load.
#[derive(Clone)]
pub struct CaBundle {
    pem: Arc<[u8]>,
    source: CaSource,
    certificates: usize,
}

/// Where a [`CaBundle`] came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaSource {
    /// The RDS global bundle compiled into grkeeper.
    Bundled,
    /// `GRKEEPER_TLS_CA_FILE`.
    File(PathBuf),
}

impl std::fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaBundle")
            .field("source", &self.source)
            .field("certificates", &self.certificates)
            .finish()
    }
}

impl CaBundle {
    /// The RDS global bundle shipped with grkeeper.
    pub fn bundled() -> Result<CaBundle, String> {
        CaBundle::from_pem(RDS_GLOBAL_BUNDLE.into(), CaSource::Bundled)
    }

    /// Parses `pem`; every certificate must be accepted as a trust anchor.
    pub fn from_pem(pem: Arc<[u8]>, source: CaSource) -> Result<CaBundle, String> {
        let mut roots = RootCertStore::empty();
        for (index, cert) in CertificateDer::pem_slice_iter(&pem).enumerate() {
            let cert = cert.map_err(|e| format!("certificate {}: not PEM: {e}", index + 1))?;
            roots
                .add(cert)
                .map_err(|e| format!("certificate {}: not usable as a CA: {e}", index + 1))?;
        }
        if roots.is_empty() {
            return Err("no PEM certificate in it".to_owned());
        }
        Ok(CaBundle {
            certificates: roots.len(),
            pem,
            source,
        })
    }

    /// The PEM text.
    pub fn pem(&self) -> &[u8] {
        &self.pem
    }

    /// Where it came from.
    pub fn source(&self) -> &CaSource {
        &self.source
    }

    /// How many CA certificates it holds.
    pub fn certificates(&self) -> usize {
        self.certificates
    }
}

pub(super) fn read(env: &mut Reader<'_>) -> Option<Tls> {
    let verify = env.parsed(TLS, true, "verify or disabled", |text| {
        match text.to_ascii_lowercase().as_str() {
            "verify" => Some(true),
            "disabled" => Some(false),
            _ => None,
        }
    });
    let file = env.get(CA_FILE);
    if !verify {
        if file.is_some() {
            env.problem(CA_FILE, format!("set, but {TLS} is disabled"));
        }
        return Some(Tls::Disabled);
    }
    let bundle = match file {
        None => CaBundle::bundled().map_err(|e| (TLS, format!("bundled RDS CA bundle: {e}"))),
        Some(path) => std::fs::read(&path)
            .map_err(|e| format!("cannot read it: {e}"))
            .and_then(|pem| CaBundle::from_pem(pem.into(), CaSource::File(path.clone().into())))
            .map_err(|e| (CA_FILE, format!("{path}: {e}"))),
    };
    match bundle {
        Ok(bundle) => Some(Tls::Verify(bundle)),
        Err((name, message)) => {
            env.problem(name, message);
            None
        }
    }
}
