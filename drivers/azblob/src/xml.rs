//! Azure's XML answers: the shared element tree of `common::xml` (the one
//! request body the driver sends, a block list, is written by hand).

pub use crate::common::xml::{parse, Element};

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of an Azurite List Blobs answer (`include=metadata`).
    #[test]
    fn reads_a_listing() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><EnumerationResults ServiceEndpoint="http://127.0.0.1:1/devstoreaccount1" ContainerName="c"><Prefix/><Marker/><MaxResults>2</MaxResults><Blobs><Blob><Name>a &amp; b</Name><Properties><Last-Modified>Thu, 26 Nov 2026 08:29:15 GMT</Last-Modified><Etag>0x226F67E37B25360</Etag><Content-Length>5</Content-Length><Content-MD5>XUFAKrxLKna5cZ2REBfFkg==</Content-MD5></Properties><Metadata><trovenames>Owner</trovenames><owner>ann</owner></Metadata></Blob><BlobPrefix><Name>d/</Name></BlobPrefix></Blobs><NextMarker>m1</NextMarker></EnumerationResults>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "EnumerationResults");
        let blobs = root.child("Blobs").unwrap();
        let info = crate::meta::from_listing(blobs.child("Blob").unwrap());
        assert_eq!(info.key, "a & b");
        assert_eq!(info.size, 5);
        assert_eq!(info.etag, "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(
            info.metadata,
            vec![("Owner".to_string(), "ann".to_string())]
        );
        assert_eq!(blobs.all("BlobPrefix").count(), 1);
        assert_eq!(root.text_of("NextMarker"), Some("m1"));
    }
}
