//! The bearer token of each request: none (an emulator), the one the user
//! gave, or an access token from the service account's JWT exchange at its
//! `token_uri` (the one extra origin the host grants), cached until shortly
//! before it expires.

use crate::client::{map_error, send_raw, GsResp};
use crate::config::{Auth, Config};
use crate::Error;
use std::cell::RefCell;

/// Renew a cached token this long before Google says it expires.
const MARGIN: i64 = 300;

thread_local! {
    /// (access token, expiry in Unix seconds).
    static CACHE: RefCell<Option<(String, i64)>> = const { RefCell::new(None) };
}

/// Forgets the cached token (a new `open`, or a 401 on it).
pub fn forget() {
    CACHE.with(|c| *c.borrow_mut() = None);
}

/// The token to send, if any.
pub fn bearer(cfg: &Config) -> Result<Option<String>, Error> {
    match &cfg.auth {
        Auth::None => Ok(None),
        Auth::Bearer(t) => Ok(Some(t.clone())),
        Auth::ServiceAccount => {
            let now = crate::common::dates::now();
            if let Some((t, exp)) = CACHE.with(|c| c.borrow().clone()) {
                if now < exp {
                    return Ok(Some(t));
                }
            }
            let (token, expires_in) = exchange(cfg, now)?;
            let renew_at = now + expires_in - MARGIN.min(expires_in / 2);
            CACHE.with(|c| *c.borrow_mut() = Some((token.clone(), renew_at)));
            Ok(Some(token))
        }
    }
}

/// POSTs the signed JWT to `token_uri`; (access token, lifetime in seconds).
fn exchange(cfg: &Config, now: i64) -> Result<(String, i64), Error> {
    let sa = cfg
        .key
        .as_ref()
        .ok_or_else(|| Error::Internal("no service-account key".into()))?;
    let resp = send_raw(
        "POST",
        sa.token_uri.clone(),
        vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        sa.token_request_body(now).into_bytes(),
    )?;
    let what = format!("token exchange for {} at {}", sa.client_email, sa.token_uri);
    if !resp.ok() {
        let body = resp.read_all().unwrap_or_default();
        let (reason, message) = crate::json::error_of(&body);
        return Err(match resp.status {
            // OAuth2 answers a refused assertion with 400 invalid_grant.
            400 | 401 | 403 => Error::PermissionDenied(format!(
                "{what} refused: {reason}{}{message} (HTTP {})",
                if message.is_empty() { "" } else { ": " },
                resp.status
            )),
            s => map_error(s, &reason, &message, &what),
        });
    }
    let t: crate::json::Token = resp.json(&what)?;
    if t.access_token.is_empty() {
        return Err(Error::PermissionDenied(format!("{what}: no access_token")));
    }
    Ok((t.access_token, t.expires_in.unwrap_or(3600).max(60)))
}
