//! HTTP headers as the host's `http` import hands them over: a list of
//! (name, value) pairs.

/// The first header of that name (any case).
pub fn find<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The contract's content headers (`content-headers`), by their lower-case
/// HTTP names, in the record's order.
pub const CONTENT_HEADERS: [&str; 5] = [
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
];

/// `headers_to_pairs` and `headers_from_pairs` for the `content-headers`
/// record of the calling crate's bindings (each crate generates its own).
#[macro_export]
macro_rules! content_header_conversions {
    ($ty:path) => {
        /// Content headers as (lower-case HTTP name, value) pairs, absent
        /// ones left out: as request headers, or to keep with the metadata.
        pub fn headers_to_pairs(h: &$ty) -> Vec<(String, String)> {
            let values = [
                &h.cache_control,
                &h.content_disposition,
                &h.content_encoding,
                &h.content_language,
                &h.expires,
            ];
            $crate::headers::CONTENT_HEADERS
                .iter()
                .zip(values)
                .filter_map(|(n, v)| v.as_ref().map(|v| (n.to_string(), v.clone())))
                .collect()
        }

        /// The content headers among `pairs` (response headers, or what
        /// `headers_to_pairs` gave; names in any case, others ignored).
        pub fn headers_from_pairs(pairs: &[(String, String)]) -> $ty {
            let find = |name: &str| $crate::headers::find(pairs, name).map(str::to_string);
            let [cc, cd, ce, cl, ex] = $crate::headers::CONTENT_HEADERS;
            $ty {
                cache_control: find(cc),
                content_disposition: find(cd),
                content_encoding: find(ce),
                content_language: find(cl),
                expires: find(ex),
            }
        }
    };
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
