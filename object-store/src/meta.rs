//! Object metadata both ways: the driver's `ObjectInfo` as object_store's
//! `ObjectMeta` and `Attributes`, and object_store's put options as the
//! contract's `PutOptions`.

use crate::error::not_supported;
use chrono::{DateTime, Utc};
use object_store::path::Path;
use object_store::{Attribute, AttributeValue, Attributes, ObjectMeta, PutResult, TagSet};
use trove_host::{ObjectInfo, PutOptions};

/// `ObjectMeta` of `info`, at `location`. A driver that reports no
/// modification time gives the Unix epoch (object_store requires a time).
pub(crate) fn object_meta(location: Path, info: &ObjectInfo) -> ObjectMeta {
    ObjectMeta {
        location,
        last_modified: info
            .last_modified
            .map(DateTime::<Utc>::from)
            .unwrap_or(DateTime::UNIX_EPOCH),
        size: info.size,
        e_tag: etag(info),
        version: info.version_id.clone(),
    }
}

fn etag(info: &ObjectInfo) -> Option<String> {
    (!info.etag.is_empty()).then(|| info.etag.clone())
}

pub(crate) fn put_result(info: &ObjectInfo) -> PutResult {
    PutResult {
        e_tag: etag(info),
        version: info.version_id.clone(),
        extensions: Default::default(),
    }
}

/// The attributes the contract stores: the content type, the content
/// headers object_store knows (it has no Expires) and the user metadata, in
/// the driver's order.
pub(crate) fn attributes(info: &ObjectInfo) -> Attributes {
    let mut a = Attributes::with_capacity(info.metadata.len() + 5);
    let h = &info.headers;
    let typed = [
        (Attribute::ContentType, &info.content_type),
        (Attribute::CacheControl, &h.cache_control),
        (Attribute::ContentDisposition, &h.content_disposition),
        (Attribute::ContentEncoding, &h.content_encoding),
        (Attribute::ContentLanguage, &h.content_language),
    ];
    for (attr, value) in typed {
        if let Some(v) = value {
            a.insert(attr, AttributeValue::from(v.clone()));
        }
    }
    for (k, v) in &info.metadata {
        a.insert(
            Attribute::Metadata(k.clone().into()),
            AttributeValue::from(v.clone()),
        );
    }
    a
}

/// The contract's put options for object_store's attributes and tags.
///
/// The contract stores the content type, the content headers and user
/// metadata. Tags and the storage class have no place in it, and are
/// refused (`NotSupported`) rather than dropped.
pub(crate) fn put_options(
    attributes: &Attributes,
    tags: &TagSet,
) -> object_store::Result<PutOptions> {
    if !tags.encoded().is_empty() {
        return Err(not_supported(
            "object tags: the trove driver contract has no tags",
        ));
    }
    let mut opts = PutOptions::default();
    for (attr, value) in attributes {
        let value = value.as_ref().to_string();
        match attr {
            Attribute::ContentType => opts.content_type = Some(value),
            Attribute::CacheControl => opts.headers.cache_control = Some(value),
            Attribute::ContentDisposition => opts.headers.content_disposition = Some(value),
            Attribute::ContentEncoding => opts.headers.content_encoding = Some(value),
            Attribute::ContentLanguage => opts.headers.content_language = Some(value),
            Attribute::Metadata(k) => opts.metadata.push((k.to_string(), value)),
            other => {
                return Err(not_supported(format!(
                    "attribute {other:?}: the trove driver contract has no place for it"
                )))
            }
        }
    }
    Ok(opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_round_trip() {
        let a = Attributes::from_iter([
            (Attribute::ContentType, "text/plain"),
            (Attribute::CacheControl, "no-cache"),
            (Attribute::ContentDisposition, "inline"),
            (Attribute::ContentEncoding, "gzip"),
            (Attribute::ContentLanguage, "en"),
            (Attribute::Metadata("K".into()), "v"),
        ]);
        let o = put_options(&a, &TagSet::default()).unwrap();
        assert_eq!(o.content_type.as_deref(), Some("text/plain"));
        assert_eq!(o.headers.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(o.metadata, vec![("K".to_string(), "v".to_string())]);
        let info = ObjectInfo {
            content_type: o.content_type,
            headers: o.headers,
            metadata: o.metadata,
            ..Default::default()
        };
        assert_eq!(attributes(&info), a);
    }

    #[test]
    fn what_the_contract_cannot_store_is_refused() {
        let a = Attributes::from_iter([(Attribute::StorageClass, "GLACIER")]);
        let e = put_options(&a, &TagSet::default()).unwrap_err();
        assert!(matches!(e, object_store::Error::NotSupported { .. }), "{e}");
        let mut tags = TagSet::default();
        tags.push("k", "v");
        assert!(put_options(&Attributes::new(), &tags).is_err());
    }
}
