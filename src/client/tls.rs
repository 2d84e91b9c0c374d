//! TLS trust as MLflow users have it. `MLFLOW_TRACKING_SERVER_CERT_PATH` names a PEM file of one
//! or more certificates; Python's MLflow client (requests over OpenSSL) trusts a server whose
//! own certificate is in that file even when it is a self-signed certificate flagged as a CA
//! (what `openssl req -x509` makes), which WebPKI refuses as `CaUsedAsEndEntity`. Here the
//! file's certificates are roots for normal WebPKI verification (a private CA keeps working)
//! and, in addition, a server certificate byte-identical to one of them is accepted when it is
//! valid for the host name and for the current time. Nothing else relaxes verification:
//! `MLFLOW_TRACKING_INSECURE_TLS=true` stays the only way to skip it, and says so.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore};

use super::config::Config;

impl Config {
    /// One line per TLS setting that weakens security, for the app layer to print on stderr
    /// (the client itself never writes to the terminal).
    pub fn tls_warnings(&self) -> Vec<String> {
        if !self.insecure_tls {
            return Vec::new();
        }
        let ignored = if self.server_cert_path.is_some() {
            " (MLFLOW_TRACKING_SERVER_CERT_PATH is ignored)"
        } else {
            ""
        };
        vec![format!(
            "MLFLOW_TRACKING_INSECURE_TLS=true: TLS certificates are not verified{ignored}; \
             anyone on the network path can impersonate the server"
        )]
    }
}

/// Applies `config`'s TLS settings to `builder`; the error is a message for
/// [`super::ClientError::Connect`].
pub(super) fn configure(
    builder: reqwest::ClientBuilder,
    config: &Config,
) -> Result<reqwest::ClientBuilder, String> {
    let path = config.server_cert_path.as_deref();
    // Read even when verification is off: an unreadable file has always been an error.
    let given = path.map(read_certificates).transpose()?.unwrap_or_default();
    if config.insecure_tls {
        return Ok(builder.danger_accept_invalid_certs(true));
    }
    Ok(builder.use_preconfigured_tls(client_config(given, path)?))
}

/// Every certificate in the PEM file at `path` (other PEM sections, such as a key, are skipped).
fn read_certificates(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = std::fs::read(path)
        .map_err(|e| format!("cannot read MLFLOW_TRACKING_SERVER_CERT_PATH {path}: {e}"))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("bad certificate in {path}: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "bad certificate in {path}: no PEM certificate (-----BEGIN CERTIFICATE-----) found"
        ));
    }
    Ok(certs)
}

/// A rustls configuration like the one reqwest builds (ring, TLS 1.2 and 1.3, native roots,
/// HTTP/1.1 by ALPN), with the file's certificates added as roots and as exact server
/// certificates. Used with and without a file, so that a refused certificate is explained the
/// same way (rustls would say `Other(OtherError(CaUsedAsEndEntity))`).
fn client_config(
    given: Vec<CertificateDer<'static>>,
    path: Option<&str>,
) -> Result<rustls::ClientConfig, String> {
    let path_shown = path.unwrap_or_default();
    // ring is the provider reqwest's `rustls-tls-native-roots` compiles in; aws-lc-rs is not built.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    // As reqwest does: native stores often hold ancient or malformed certificates, so those are
    // skipped rather than fatal; the file's certificates below are the ones that matter here.
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    for cert in &given {
        roots
            .add(cert.clone())
            .map_err(|e| format!("bad certificate in {path_shown}: {e}"))?;
    }
    // Fails only for an empty store: no usable native root and no file.
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| {
            format!("no trusted root certificates ({e}); set MLFLOW_TRACKING_SERVER_CERT_PATH")
        })?;
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(GivenCertVerifier {
            given,
            path: path.map(str::to_string),
            webpki,
        }))
        .with_no_client_auth();
    // reqwest sets this itself only for configurations it builds; this client speaks HTTP/1.1.
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tls)
}

/// WebPKI verification, plus: a server certificate that is byte for byte one the user gave is
/// trusted as its own anchor (still checked for host name and validity period).
#[derive(Debug)]
struct GivenCertVerifier {
    given: Vec<CertificateDer<'static>>,
    /// The file they came from, for messages.
    path: Option<String>,
    webpki: Arc<WebPkiServerVerifier>,
}

/// A certificate no root vouches for, in words: rustls' own text is a variant name.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct NotTrusted(String);

impl GivenCertVerifier {
    /// `refused`, explained when it means "no trusted root", with how to trust the server.
    fn explain(&self, refused: rustls::Error) -> rustls::Error {
        let why = match &refused {
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
                "it is not signed by a trusted root (UnknownIssuer)"
            }
            // rustls passes this webpki error on as `Other`; webpki is no direct dependency,
            // so the error is known by its name.
            rustls::Error::InvalidCertificate(CertificateError::Other(other))
                if other.to_string().contains("CaUsedAsEndEntity") =>
            {
                "it is a self-signed CA certificate (CaUsedAsEndEntity)"
            }
            _ => return refused,
        };
        let remedy = match &self.path {
            Some(path) => format!(
                "it is neither in nor signed by a certificate in \
                 MLFLOW_TRACKING_SERVER_CERT_PATH {path}"
            ),
            None => "to trust it, put the server's certificate or its CA's in a PEM file named \
                     by MLFLOW_TRACKING_SERVER_CERT_PATH"
                .to_string(),
        };
        rustls::Error::Other(rustls::OtherError(Arc::new(NotTrusted(format!(
            "the server's TLS certificate is not trusted: {why}; {remedy}"
        )))))
    }
}

impl ServerCertVerifier for GivenCertVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let refused = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => return Ok(verified),
            Err(e) => e,
        };
        if !self.given.iter().any(|c| c.as_ref() == end_entity.as_ref()) {
            return Err(self.explain(refused));
        }
        verify_given(end_entity, server_name, now)?;
        Ok(ServerCertVerified::assertion())
    }

    // The handshake signatures prove the server holds the certificate's key: always verified,
    // with the provider's algorithms, whichever way the certificate was trusted.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }

    fn root_hint_subjects(&self) -> Option<&[DistinguishedName]> {
        self.webpki.root_hint_subjects()
    }
}

/// The checks WebPKI would make of a leaf, minus the chain: the certificate names the host
/// (subjectAltName DNS or IP entry) and `now` is within its validity period.
fn verify_given(
    cert: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<(), rustls::Error> {
    let parsed = ParsedCertificate::try_from(cert)?;
    rustls::client::verify_server_name(&parsed, server_name)?;
    let (not_before, not_after) = validity(cert.as_ref()).ok_or(CertificateError::BadEncoding)?;
    let at = |secs| UnixTime::since_unix_epoch(Duration::from_secs(secs));
    if now.as_secs() < not_before {
        return Err(CertificateError::NotValidYetContext {
            time: now,
            not_before: at(not_before),
        }
        .into());
    }
    if now.as_secs() > not_after {
        return Err(CertificateError::ExpiredContext {
            time: now,
            not_after: at(not_after),
        }
        .into());
    }
    Ok(())
}

const SEQUENCE: u8 = 0x30;
const VERSION: u8 = 0xA0; // [0] EXPLICIT, optional
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// notBefore and notAfter (Unix seconds, times before 1970 as 0) of a DER X.509 certificate,
/// read along RFC 5280 §4.1: webpki checks validity only while building a chain, which a
/// CA-flagged leaf never gets to, and exposes no accessor for it.
fn validity(cert: &[u8]) -> Option<(u64, u64)> {
    let (SEQUENCE, certificate, _) = tlv(cert)? else {
        return None;
    };
    let (SEQUENCE, tbs, _) = tlv(certificate)? else {
        return None;
    };
    let mut rest = tbs;
    if let (VERSION, _, after) = tlv(rest)? {
        rest = after;
    }
    // serialNumber, signature, issuer
    for _ in 0..3 {
        rest = tlv(rest)?.2;
    }
    let (SEQUENCE, validity, _) = tlv(rest)? else {
        return None;
    };
    let (tag, value, rest) = tlv(validity)?;
    let not_before = time(tag, value)?;
    let (tag, value, _) = tlv(rest)?;
    Some((not_before, time(tag, value)?))
}

/// One DER element: its tag, its contents, and what follows it.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        // Long form: the low bits count the length bytes; four cover any certificate.
        let (bytes, rest) = rest.split_at_checked(usize::from(first & 0x7f))?;
        if bytes.is_empty() || bytes.len() > 4 {
            return None;
        }
        let len = bytes.iter().fold(0u32, |n, &b| (n << 8) | u32::from(b));
        (usize::try_from(len).ok()?, rest)
    };
    let (value, rest) = rest.split_at_checked(len)?;
    Some((tag, value, rest))
}

/// A certificate time in Unix seconds: UTCTime `YYMMDDHHMMSSZ` (years 1950–2049) or
/// GeneralizedTime `YYYYMMDDHHMMSSZ`, the two forms RFC 5280 §4.1.2.5 allows.
fn time(tag: u8, value: &[u8]) -> Option<u64> {
    let digits = value.strip_suffix(b"Z")?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let number = |at: usize, len: usize| {
        digits
            .get(at..at + len)
            .map(|d| d.iter().fold(0i32, |n, &b| n * 10 + i32::from(b - b'0')))
    };
    let (year, at) = match (tag, digits.len()) {
        (UTC_TIME, 12) => {
            let yy = number(0, 2)?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, 2)
        }
        (GENERALIZED_TIME, 14) => (number(0, 4)?, 4),
        _ => return None,
    };
    let field = |i: usize| u8::try_from(number(at + 2 * i, 2)?).ok();
    let month = time::Month::try_from(field(0)?).ok()?;
    let seconds = time::Date::from_calendar_date(year, month, field(1)?)
        .ok()?
        .with_hms(field(2)?, field(3)?, field(4)?)
        .ok()?
        .assume_utc()
        .unix_timestamp();
    Some(u64::try_from(seconds).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -addext
    /// subjectAltName=DNS:localhost,IP:127.0.0.1 -days 36500`: CA:TRUE, notBefore a UTCTime
    /// (2026-11-30T21:18:38Z), notAfter a GeneralizedTime (2126-11-06T21:18:38Z).
    const SELF_SIGNED: &str = "-----BEGIN CERTIFICATE-----
MIIDJzCCAg+gAwIBAgIUNteHPN8ycayaoRGd8Z/BmxEsXT4wDQYJKoZIhvcNAQEL
BQAwFDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEzMDIxMTgzOFoYDzIxMjYx
MTA2MjExODM4WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwggEiMA0GCSqGSIb3DQEB
AQUAA4IBDwAwggEKAoIBAQCa/+2QS+muap5bHlu2uWXqT+frgqLumKNaIbq4kmOh
YRvKt1WvUk4agsZp6cpHRg0etsuIz/H/tCsTJ1SaokgQIFSTVU+LLrLS5odZjJVW
r4amCKm7lr/LCyWn752Npms1KFqeCKIU/wmN1M3x7PFY0FesqsoaowLEKRhBebO6
cmVxb9POsWjj+rEEi1yPLzfDTjYvICQ0jAnohYkqDSa37lU4NrjgCtGNQgduCcGn
WZFyYc+tWsQutcF+RMGwoWBg7ZR5Tma6dSJglWHWyymZQg4V/00oaY1TWcy75P6/
97Kbk4AGYBcx6iRley9GEVVfFF2vVNNaTaOT0yKMzeKVAgMBAAGjbzBtMB0GA1Ud
DgQWBBSPoMSBk0GGgtSuyP8toa6E+XGo3zAfBgNVHSMEGDAWgBSPoMSBk0GGgtSu
yP8toa6E+XGo3zAPBgNVHRMBAf8EBTADAQH/MBoGA1UdEQQTMBGCCWxvY2FsaG9z
dIcEfwAAATANBgkqhkiG9w0BAQsFAAOCAQEAjj+znDTlhjqaLpeFGYN34tmCNOWZ
O+tuAromMssgroHwUcNo7fiUjB5GQ6vEHQqIdD8CK8Rgd/okQcJTf2KVITir58TI
2xnzp97tgr3CqedcDDL0tNut/OcbZSmPgA7bRQzSnqjaZOluHIRkjcuLHRZdfkup
ydEufXlRUSdTcfdx9NBUOBfqzYuNcru+rnFsVkwcvsal6/X7TuFJj7FqhHn1QBtv
QnkFVxzl5xSg1O0Xu8TU8z1MeUqd31kVpW952foXLZq1ARtjAbsn3u9vyKJK1IVs
DGK9ViSgYMrbi3qiCY2NR8yXHEg3xXGnuE/v+XciUTszFyBzV65M6+z4nA==
-----END CERTIFICATE-----
";
    const NOT_BEFORE: u64 = 1_796_073_518;
    const NOT_AFTER: u64 = 4_949_673_518;

    fn cert() -> CertificateDer<'static> {
        CertificateDer::from_pem_slice(SELF_SIGNED.as_bytes()).unwrap()
    }

    fn at(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    fn name(s: &str) -> ServerName<'static> {
        ServerName::try_from(s.to_string()).unwrap()
    }

    #[test]
    fn validity_reads_utc_and_generalized_time() {
        assert_eq!(validity(cert().as_ref()), Some((NOT_BEFORE, NOT_AFTER)));
    }

    #[test]
    fn a_given_cert_is_checked_for_host_and_validity_period() {
        let now = at(NOT_BEFORE + 1);
        for host in ["localhost", "127.0.0.1"] {
            assert_eq!(verify_given(&cert(), &name(host), now), Ok(()), "{host}");
        }
        let wrong_host = verify_given(&cert(), &name("mlflow.example.com"), now);
        assert!(
            matches!(
                wrong_host,
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForNameContext { .. }
                ))
            ),
            "{wrong_host:?}"
        );
        assert_eq!(
            verify_given(&cert(), &name("localhost"), at(NOT_BEFORE - 1)),
            Err(CertificateError::NotValidYetContext {
                time: at(NOT_BEFORE - 1),
                not_before: at(NOT_BEFORE)
            }
            .into())
        );
        assert_eq!(
            verify_given(&cert(), &name("localhost"), at(NOT_AFTER + 1)),
            Err(CertificateError::ExpiredContext {
                time: at(NOT_AFTER + 1),
                not_after: at(NOT_AFTER)
            }
            .into())
        );
    }

    #[test]
    fn malformed_der_is_refused_without_panicking() {
        let der = cert().as_ref().to_vec();
        // Every truncation, and every single-byte corruption of the header region.
        for len in 0..der.len() {
            assert_eq!(validity(&der[..len]), None, "truncated to {len}");
        }
        for i in 0..200 {
            for byte in [0x00, 0x7f, 0x80, 0x84, 0x85, 0xff] {
                let mut bad = der.clone();
                bad[i] = byte;
                let _ = validity(&bad);
            }
        }
        assert_eq!(tlv(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(tlv(&[0x30, 0x80]), None, "indefinite length is not DER");
        assert!(verify_given(
            &CertificateDer::from(der[..100].to_vec()),
            &name("localhost"),
            at(0)
        )
        .is_err());
    }

    #[test]
    fn certificate_times_are_strict() {
        assert_eq!(time(UTC_TIME, b"491231235959Z"), Some(2_524_607_999));
        // 1950: before the epoch, so 0 (only ever compared as "long ago").
        assert_eq!(time(UTC_TIME, b"500101000000Z"), Some(0));
        assert_eq!(time(GENERALIZED_TIME, b"19700101000001Z"), Some(1));
        for bad in [
            &b"261301000000Z"[..], // month 13
            b"260230000000Z",      // 30 February
            b"2611300000Z",        // too short
            b"26113000000+Z",      // not a digit
            b"261130000000",       // no Z
            b"",
        ] {
            assert_eq!(
                time(UTC_TIME, bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            time(GENERALIZED_TIME, b"261130000000Z"),
            None,
            "form by tag"
        );
    }

    fn verifier(path: Option<&str>) -> GivenCertVerifier {
        let mut roots = RootCertStore::empty();
        roots.add(cert()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        GivenCertVerifier {
            given: vec![cert()],
            path: path.map(str::to_string),
            webpki: WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap(),
        }
    }

    #[test]
    fn the_given_cert_passes_where_webpki_alone_refuses_it() {
        let v = verifier(Some("c.pem"));
        let now = at(NOT_BEFORE + 1);
        let refused = v
            .webpki
            .verify_server_cert(&cert(), &[], &name("localhost"), &[], now);
        assert!(refused.is_err(), "webpki refuses a CA as end entity");
        assert!(v
            .verify_server_cert(&cert(), &[], &name("localhost"), &[], now)
            .is_ok());
        let not_given = GivenCertVerifier {
            given: Vec::new(),
            ..verifier(Some("c.pem"))
        };
        let message = not_given
            .verify_server_cert(&cert(), &[], &name("localhost"), &[], now)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("not trusted: it is a self-signed CA certificate")
                && message.contains("MLFLOW_TRACKING_SERVER_CERT_PATH c.pem"),
            "{message}"
        );
    }

    #[test]
    fn refusals_are_explained_only_when_no_root_vouches() {
        let unknown = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let message = verifier(None).explain(unknown).to_string();
        assert!(
            message.contains("not signed by a trusted root (UnknownIssuer)")
                && message.contains("named by MLFLOW_TRACKING_SERVER_CERT_PATH"),
            "{message}"
        );
        let expired = rustls::Error::InvalidCertificate(CertificateError::Expired);
        assert_eq!(verifier(None).explain(expired.clone()), expired);
    }

    #[test]
    fn only_insecure_tls_warns() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| (*v).to_string())
            }
        };
        let url = "https://mlflow.example.com".to_string();
        let secure = env(&[("MLFLOW_TRACKING_SERVER_CERT_PATH", "c.pem")]);
        assert!(Config::mlflow(url.clone(), &secure)
            .tls_warnings()
            .is_empty());
        let insecure = env(&[("MLFLOW_TRACKING_INSECURE_TLS", "TRUE")]);
        let warnings = Config::mlflow(url.clone(), &insecure).tls_warnings();
        assert_eq!(warnings.len(), 1);
        assert!(!warnings[0].contains("ignored"));
        let both = env(&[
            ("MLFLOW_TRACKING_INSECURE_TLS", "true"),
            ("MLFLOW_TRACKING_SERVER_CERT_PATH", "c.pem"),
        ]);
        let warnings = Config::mlflow(url, &both).tls_warnings();
        assert!(warnings[0].contains("MLFLOW_TRACKING_SERVER_CERT_PATH is ignored"));
    }
}
