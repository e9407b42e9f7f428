//! Preconditions: `if-match` / `if-none-match` for get and put (wit/README.md).
//!
//! A condition value is `*` or a comma-separated list of ETags; surrounding quotes and a
//! weak `W/` marker are ignored, so `"abc"` and `abc` both match the ETag `abc`.

use crate::Error;

/// True when the condition `value` names `etag` (or is `*`).
pub fn matches(value: &str, etag: &str) -> bool {
    value.split(',').any(|item| {
        let item = item.trim();
        if item == "*" {
            return true;
        }
        let item = item.strip_prefix("W/").unwrap_or(item);
        let item = item
            .strip_prefix('"')
            .and_then(|i| i.strip_suffix('"'))
            .unwrap_or(item);
        !item.is_empty() && item == etag
    })
}

/// Checks a get against the object's current `etag`: an `if-match` that does not match,
/// or an `if-none-match` that does, is precondition-failed.
pub fn check_get(
    if_match: Option<&str>,
    if_none_match: Option<&str>,
    etag: &str,
) -> Result<(), Error> {
    if let Some(v) = if_match {
        if !matches(v, etag) {
            return Err(Error::PreconditionFailed(format!(
                "if-match {v:?} does not match the current ETag {etag}"
            )));
        }
    }
    if let Some(v) = if_none_match {
        if matches(v, etag) {
            return Err(Error::PreconditionFailed(format!(
                "if-none-match {v:?} matches the current ETag {etag}"
            )));
        }
    }
    Ok(())
}

/// Checks a put against the ETag of the object it would replace (`None`: no object).
/// `if-none-match` that matches (`*` matches any existing object) fails; `if-match` fails
/// when the object is missing or its ETag differs.
pub fn check_put(
    if_match: Option<&str>,
    if_none_match: Option<&str>,
    current: Option<&str>,
) -> Result<(), Error> {
    if let (Some(v), Some(etag)) = (if_none_match, current) {
        if matches(v, etag) {
            return Err(Error::PreconditionFailed(if v.trim() == "*" {
                "if-none-match \"*\": the object already exists".to_string()
            } else {
                format!("if-none-match {v:?} matches the current ETag {etag}")
            }));
        }
    }
    if let Some(v) = if_match {
        match current {
            None => {
                return Err(Error::PreconditionFailed(format!(
                    "if-match {v:?}: the object does not exist"
                )))
            }
            Some(etag) if !matches(v, etag) => {
                return Err(Error::PreconditionFailed(format!(
                    "if-match {v:?} does not match the current ETag {etag}"
                )))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(r: Result<(), Error>) -> bool {
        matches!(r, Err(Error::PreconditionFailed(_)))
    }

    #[test]
    fn matching() {
        assert!(matches("*", "abc"));
        assert!(matches("abc", "abc"));
        assert!(matches("\"abc\"", "abc"));
        assert!(matches("W/\"abc\"", "abc"));
        assert!(matches("x, \"abc\"", "abc"));
        assert!(!matches("abd", "abc"));
        assert!(!matches("", "abc"));
        assert!(!matches("\"\"", "abc"));
    }

    #[test]
    fn get() {
        assert_eq!(check_get(None, None, "e"), Ok(()));
        assert_eq!(check_get(Some("e"), None, "e"), Ok(()));
        assert_eq!(check_get(Some("*"), None, "e"), Ok(()));
        assert!(failed(check_get(Some("f"), None, "e")));
        assert_eq!(check_get(None, Some("f"), "e"), Ok(()));
        assert!(failed(check_get(None, Some("e"), "e")));
        assert!(failed(check_get(None, Some("*"), "e")));
    }

    #[test]
    fn put() {
        assert_eq!(check_put(None, None, None), Ok(()));
        assert_eq!(check_put(None, None, Some("e")), Ok(()));
        assert_eq!(check_put(None, Some("*"), None), Ok(()));
        assert!(failed(check_put(None, Some("*"), Some("e"))));
        assert_eq!(check_put(Some("e"), None, Some("e")), Ok(()));
        assert!(failed(check_put(Some("f"), None, Some("e"))));
        assert!(failed(check_put(Some("e"), None, None)));
        assert!(failed(check_put(Some("*"), None, None)));
        assert_eq!(check_put(Some("*"), None, Some("e")), Ok(()));
    }
}
