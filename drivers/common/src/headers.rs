//! HTTP headers as the host's `http` import hands them over: a list of
//! (name, value) pairs.

/// The first header of that name (any case).
pub fn find<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A 2xx status.
pub fn success(status: u16) -> bool {
    (200..300).contains(&status)
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_by_name_in_any_case() {
        let h = vec![("ETag".to_string(), "\"x\"".to_string())];
        assert_eq!(super::find(&h, "etag"), Some("\"x\""));
        assert_eq!(super::find(&h, "date"), None);
        assert!(super::success(204) && !super::success(304));
    }
}
