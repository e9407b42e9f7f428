//! The opened DSN: `s3://[AK:SK@]BUCKET?region=R&endpoint=URL&path_style=true&versioning=true&upload_concurrency=N`.

use crate::sigv4::Credentials;
use crate::Error;
use trove_driver_cloud::param;

pub struct Config {
    /// The DSN's bucket (may be empty): `ping` checks it.
    pub bucket: Option<String>,
    pub region: String,
    /// `http` or `https`.
    pub scheme: String,
    /// Host and port as the `Host` header carries them (port only when not default).
    pub authority: String,
    /// Path-style addressing (`endpoint/bucket/key`), the default with a custom endpoint.
    pub path_style: bool,
    pub credentials: Option<Credentials>,
    /// `versioning=true`: buckets this driver creates get versioning turned on.
    pub versioning: bool,
    /// `upload_concurrency=N` (1 to 16, default 4): parts of one upload of
    /// unknown size in flight at a time.
    pub upload_concurrency: usize,
}

impl Config {
    pub fn from_dsn(dsn: &crate::Dsn) -> Result<Config, Error> {
        let bad = |m: String| Error::InvalidArgument(m);
        let region = param(&dsn.params, "region")
            .unwrap_or("us-east-1")
            .to_string();
        let bucket = (!dsn.host.is_empty()).then(|| dsn.host.clone());
        let flag = |name: &str| match param(&dsn.params, name) {
            None => Ok(None),
            Some("true") | Some("1") | Some("yes") => Ok(Some(true)),
            Some("false") | Some("0") | Some("no") => Ok(Some(false)),
            Some(v) => Err(bad(format!("{name}={v:?}: use true or false"))),
        };
        let path_style_param = flag("path_style")?;
        let versioning = flag("versioning")?.unwrap_or(false);
        let upload_concurrency = match param(&dsn.params, "upload_concurrency") {
            None => crate::upload::PARTS_IN_FLIGHT,
            Some(v) => v
                .parse()
                .ok()
                .filter(|n| (1..=16).contains(n))
                .ok_or_else(|| bad(format!("upload_concurrency={v:?}: use 1 to 16")))?,
        };
        let (scheme, authority, path_style) = match param(&dsn.params, "endpoint") {
            Some(ep) => {
                let (scheme, rest) = ep
                    .split_once("://")
                    .ok_or_else(|| bad(format!("endpoint {ep:?} needs http:// or https://")))?;
                let scheme = scheme.to_ascii_lowercase();
                if scheme != "http" && scheme != "https" {
                    return Err(bad(format!(
                        "endpoint scheme {scheme:?} is not http or https"
                    )));
                }
                let authority = rest.split('/').next().unwrap_or("").to_string();
                if authority.is_empty() {
                    return Err(bad(format!("endpoint {ep:?} has no host")));
                }
                let default_port = if scheme == "http" { ":80" } else { ":443" };
                let authority = authority
                    .strip_suffix(default_port)
                    .unwrap_or(&authority)
                    .to_ascii_lowercase();
                (scheme, authority, path_style_param.unwrap_or(true))
            }
            None => (
                "https".to_string(),
                format!("s3.{region}.amazonaws.com"),
                path_style_param.unwrap_or(false),
            ),
        };
        let credentials = match (&dsn.user, &dsn.password) {
            (Some(ak), Some(sk)) if !ak.is_empty() => Some(Credentials {
                access_key: ak.clone(),
                secret_key: sk.clone(),
            }),
            (Some(_), None) => return Err(bad("the DSN names an access key but no secret".into())),
            _ => None,
        };
        Ok(Config {
            bucket,
            region,
            scheme,
            authority,
            path_style,
            credentials,
            versioning,
            upload_concurrency,
        })
    }

    /// (authority, canonical path) for a bucket and an optional key.
    pub fn locate(&self, bucket: Option<&str>, key: Option<&str>) -> (String, String) {
        let key_path = key
            .map(|k| format!("/{}", crate::sigv4::uri_encode(k, true)))
            .unwrap_or_default();
        match bucket {
            None => (self.authority.clone(), "/".to_string()),
            Some(b) if self.path_style || b.contains('.') => {
                let path = format!("/{b}{key_path}");
                (self.authority.clone(), path)
            }
            Some(b) => {
                let path = if key_path.is_empty() {
                    "/".to_string()
                } else {
                    key_path
                };
                (format!("{b}.{}", self.authority), path)
            }
        }
    }
}
