//! Everything signed with a service account's RSA key, in the guest:
//! the OAuth2 JWT assertion (RS256) exchanged for an access token, and V4
//! signed URLs (`GOOG4-RSA-SHA256`). Pure functions of the key, the time and
//! the request, so they are tested natively against the public key.

use crate::codec::{base64url, hex, pct};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::RsaPrivateKey;
use sha2::{Digest, Sha256};

/// The OAuth2 scope the driver asks for: objects and buckets, read and write.
pub const SCOPE: &str = "https://www.googleapis.com/auth/devstorage.full_control";
/// Where Google exchanges JWTs when a key names no `token_uri`.
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// Lifetime asked for a JWT assertion (Google's maximum).
pub const JWT_LIFETIME: i64 = 3600;

/// A service-account JSON key (the fields the driver uses).
pub struct ServiceAccount {
    pub client_email: String,
    pub private_key_id: Option<String>,
    pub token_uri: String,
    pub project_id: Option<String>,
    key: RsaPrivateKey,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .field("key", &"***")
            .finish()
    }
}

#[derive(serde::Deserialize)]
struct KeyFile {
    #[serde(rename = "type")]
    kind: Option<String>,
    client_email: Option<String>,
    private_key: Option<String>,
    private_key_id: Option<String>,
    token_uri: Option<String>,
    project_id: Option<String>,
}

impl ServiceAccount {
    /// Parses a JSON key. Errors name the problem, never the key's content.
    pub fn from_json(text: &str) -> Result<ServiceAccount, String> {
        let k: KeyFile = serde_json::from_str(text)
            .map_err(|e| format!("service-account key is not valid JSON (line {})", e.line()))?;
        if k.kind.as_deref() != Some("service_account") {
            return Err(format!(
                "the JSON key's \"type\" is {:?}, not \"service_account\"",
                k.kind.unwrap_or_default()
            ));
        }
        let client_email = k
            .client_email
            .filter(|e| !e.is_empty())
            .ok_or("service-account key has no client_email")?;
        let pem = k
            .private_key
            .ok_or("service-account key has no private_key")?;
        Ok(ServiceAccount {
            client_email,
            private_key_id: k.private_key_id.filter(|i| !i.is_empty()),
            token_uri: k
                .token_uri
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| DEFAULT_TOKEN_URI.into()),
            project_id: k.project_id.filter(|p| !p.is_empty()),
            key: parse_private_key(&pem)?,
        })
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 of `msg` (deterministic).
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        SigningKey::<Sha256>::new(self.key.clone())
            .sign(msg)
            .to_vec()
    }

    /// The signed JWT assertion (RFC 7523) for the token endpoint, issued at `now`.
    pub fn jwt(&self, now: i64) -> String {
        let mut header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
        if let Some(kid) = &self.private_key_id {
            header["kid"] = kid.clone().into();
        }
        let claims = serde_json::json!({
            "iss": self.client_email,
            "scope": SCOPE,
            "aud": self.token_uri,
            "iat": now,
            "exp": now + JWT_LIFETIME,
        });
        let signing_input = format!(
            "{}.{}",
            base64url(header.to_string().as_bytes()),
            base64url(claims.to_string().as_bytes())
        );
        let sig = self.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", base64url(&sig))
    }

    /// The form body POSTed to `token_uri`.
    pub fn token_request_body(&self, now: i64) -> String {
        format!(
            "grant_type={}&assertion={}",
            pct("urn:ietf:params:oauth:grant-type:jwt-bearer", false),
            self.jwt(now)
        )
    }
}

/// A PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, what Google issues) or
/// PKCS#1 (`BEGIN RSA PRIVATE KEY`).
pub fn parse_private_key(pem: &str) -> Result<RsaPrivateKey, String> {
    let pem = pem.trim();
    if pem.contains("BEGIN RSA PRIVATE KEY") {
        RsaPrivateKey::from_pkcs1_pem(pem)
            .map_err(|_| "service-account private_key is not a valid PKCS#1 RSA key".into())
    } else {
        RsaPrivateKey::from_pkcs8_pem(pem)
            .map_err(|_| "service-account private_key is not a valid PKCS#8 RSA key".into())
    }
}

/// What a V4 signed URL is for.
pub struct UrlRequest<'a> {
    pub method: &'a str,
    /// `https` or `http` (an emulator).
    pub scheme: &'a str,
    /// Host and port as the `Host` header carries them.
    pub authority: &'a str,
    pub bucket: &'a str,
    pub key: &'a str,
    pub now: i64,
    pub expires: u32,
}

/// The canonical request, string to sign and query of a V4 signed URL
/// (path-style `/{bucket}/{object}`, `host` the only signed header).
pub fn v4_parts(sa: &ServiceAccount, r: &UrlRequest<'_>) -> (String, String, String) {
    let (date, datetime) = crate::common::dates::stamp(r.now);
    let scope = format!("{date}/auto/storage/goog4_request");
    let path = format!("/{}/{}", r.bucket, pct(r.key, true));
    let mut query = [
        ("X-Goog-Algorithm", "GOOG4-RSA-SHA256".to_string()),
        ("X-Goog-Credential", format!("{}/{scope}", sa.client_email)),
        ("X-Goog-Date", datetime.clone()),
        ("X-Goog-Expires", r.expires.to_string()),
        ("X-Goog-SignedHeaders", "host".to_string()),
    ]
    .iter()
    .map(|(k, v)| format!("{}={}", pct(k, false), pct(v, false)))
    .collect::<Vec<_>>();
    query.sort();
    let query = query.join("&");
    let canonical = format!(
        "{}\n{path}\n{query}\nhost:{}\n\nhost\nUNSIGNED-PAYLOAD",
        r.method, r.authority
    );
    let to_sign = format!(
        "GOOG4-RSA-SHA256\n{datetime}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    (canonical, to_sign, query)
}

/// A V4 signed URL usable by any HTTP client until `now + expires`.
pub fn signed_url(sa: &ServiceAccount, r: &UrlRequest<'_>) -> String {
    let (_, to_sign, query) = v4_parts(sa, r);
    let signature = hex(&sa.sign(to_sign.as_bytes()));
    format!(
        "{}://{}/{}/{}?{query}&X-Goog-Signature={signature}",
        r.scheme,
        r.authority,
        r.bucket,
        pct(r.key, true)
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::codec::base64_decode;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    use rsa::signature::Verifier;
    use rsa::RsaPublicKey;

    /// A throwaway key made for the test run, and its JSON key file.
    pub(crate) fn throwaway() -> (RsaPublicKey, String) {
        let mut rng = rand::thread_rng();
        let key = RsaPrivateKey::new(&mut rng, 1024).expect("generating a test key");
        let pem = key.to_pkcs8_pem(LineEnding::LF).unwrap();
        let json = serde_json::json!({
            "type": "service_account",
            "project_id": "trove-test",
            "private_key_id": "kid-1",
            "private_key": pem.as_str(),
            "client_email": "trove@trove-test.iam.gserviceaccount.com",
            "token_uri": "https://oauth2.googleapis.com/token",
        });
        (RsaPublicKey::from(&key), json.to_string())
    }

    fn verify(public: &RsaPublicKey, msg: &[u8], sig: &[u8]) -> bool {
        let vk = VerifyingKey::<Sha256>::new(public.clone());
        vk.verify(msg, &Signature::try_from(sig).unwrap()).is_ok()
    }

    #[test]
    fn the_jwt_is_rs256_signed_with_the_key_and_names_the_token_endpoint() {
        let (public, json) = throwaway();
        let sa = ServiceAccount::from_json(&json).unwrap();
        assert_eq!(sa.project_id.as_deref(), Some("trove-test"));
        let jwt = sa.jwt(1_700_000_000);
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&base64_decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["typ"], "JWT");
        assert_eq!(header["kid"], "kid-1");
        let claims: serde_json::Value =
            serde_json::from_slice(&base64_decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "trove@trove-test.iam.gserviceaccount.com");
        assert_eq!(claims["aud"], "https://oauth2.googleapis.com/token");
        assert_eq!(claims["scope"], SCOPE);
        assert_eq!(claims["iat"], 1_700_000_000);
        assert_eq!(claims["exp"], 1_700_000_000 + 3600);
        // base64url without padding, and a signature the public key accepts.
        assert!(!jwt.contains('=') && !jwt.contains('+') && !jwt.contains('/'));
        let sig = base64_decode(parts[2]).unwrap();
        let input = format!("{}.{}", parts[0], parts[1]);
        assert!(verify(&public, input.as_bytes(), &sig));
        assert!(!verify(&public, b"something else", &sig));
        let body = sa.token_request_body(1_700_000_000);
        assert!(body.starts_with(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="
        ));
        assert!(body.ends_with(&jwt));
    }

    #[test]
    fn a_v4_signed_url_signs_the_canonical_request() {
        let (public, json) = throwaway();
        let sa = ServiceAccount::from_json(&json).unwrap();
        let r = UrlRequest {
            method: "GET",
            scheme: "https",
            authority: "storage.googleapis.com",
            bucket: "photos",
            key: "dir/hello world+.txt",
            now: 1_369_353_600 + 3661,
            expires: 300,
        };
        let (canonical, to_sign, query) = v4_parts(&sa, &r);
        assert_eq!(
            canonical,
            "GET\n/photos/dir/hello%20world%2B.txt\n\
             X-Goog-Algorithm=GOOG4-RSA-SHA256&\
             X-Goog-Credential=trove%40trove-test.iam.gserviceaccount.com%2F20130524%2Fauto%2Fstorage%2Fgoog4_request&\
             X-Goog-Date=20130524T010101Z&X-Goog-Expires=300&X-Goog-SignedHeaders=host\n\
             host:storage.googleapis.com\n\nhost\nUNSIGNED-PAYLOAD"
        );
        let expected_hash = hex(&Sha256::digest(canonical.as_bytes()));
        assert_eq!(
            to_sign,
            format!(
                "GOOG4-RSA-SHA256\n20130524T010101Z\n20130524/auto/storage/goog4_request\n{expected_hash}"
            )
        );
        let url = signed_url(&sa, &r);
        let (base, sig) = url.split_once("&X-Goog-Signature=").unwrap();
        assert_eq!(
            base,
            format!("https://storage.googleapis.com/photos/dir/hello%20world%2B.txt?{query}")
        );
        let sig: Vec<u8> = (0..sig.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&sig[i..i + 2], 16).unwrap())
            .collect();
        assert!(verify(&public, to_sign.as_bytes(), &sig));
    }

    #[test]
    fn bad_keys_are_refused_without_echoing_them() {
        let e = ServiceAccount::from_json("{not json").unwrap_err();
        assert!(e.contains("not valid JSON"), "{e}");
        let e = ServiceAccount::from_json(r#"{"type":"authorized_user"}"#).unwrap_err();
        assert!(e.contains("service_account"), "{e}");
        let e = ServiceAccount::from_json(
            r#"{"type":"service_account","client_email":"a@b","private_key":"SECRET-GARBAGE"}"#,
        )
        .unwrap_err();
        assert!(e.contains("PKCS#8") && !e.contains("SECRET"), "{e}");
    }
}
