//! What `TroveStore` promises beyond object_store's integration functions
//! (which accept `NotSupported` or `NotImplemented` for several of these):
//! date conditions and suffix ranges are served, attributes the contract
//! cannot store are refused rather than dropped, an unfinished upload stores
//! nothing, and opening takes the bucket from the DSN.

mod common;

use common::{open, Backend};
use object_store::list::{PaginatedListOptions, PaginatedListStore};
use object_store::path::Path;
use object_store::signer::{Method, Signer};
use object_store::{
    Attribute, Attributes, Error, GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutMode,
    PutMultipartOptions, PutOptions, TagSet, UpdateVersion,
};
use std::time::Duration;
use trove_object_store::{OpenOptions, TroveStore};

const LOCAL: [Backend; 2] = [Backend::Mem, Backend::File];

#[tokio::test]
async fn content_type_and_metadata_round_trip_through_put_and_put_multipart() {
    for b in LOCAL {
        let opened = open(b, "attrs").await.unwrap();
        let s = opened.store.clone();
        let attrs = Attributes::from_iter([
            (Attribute::ContentType, "text/html; charset=utf-8"),
            (Attribute::Metadata("Key-With-Case".into()), "hello   world"),
        ]);
        let p = Path::from("a");
        s.put_opts(&p, "x".into(), attrs.clone().into())
            .await
            .unwrap();
        assert_eq!(s.get(&p).await.unwrap().attributes, attrs, "{b:?} put");
        let mut up = s
            .put_multipart_opts(&p, PutMultipartOptions::from(attrs.clone()))
            .await
            .unwrap();
        up.put_part("yz".into()).await.unwrap();
        up.complete().await.unwrap();
        let r = s.get(&p).await.unwrap();
        assert_eq!(r.attributes, attrs, "{b:?} put_multipart");
        assert_eq!(r.bytes().await.unwrap(), "yz");
    }
}

#[tokio::test]
async fn what_the_contract_cannot_store_is_refused_and_nothing_is_written() {
    let opened = open(Backend::File, "refused").await.unwrap();
    let s = opened.store.clone();
    let p = Path::from("refused");
    let class = Attributes::from_iter([(Attribute::StorageClass, "GLACIER")]);
    let e = s
        .put_opts(&p, "x".into(), class.clone().into())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotSupported { .. }), "{e}");
    assert!(e.to_string().contains("StorageClass"), "{e}");
    let e = s
        .put_multipart_opts(&p, PutMultipartOptions::from(class))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotSupported { .. }), "{e}");
    let mut tags = TagSet::default();
    tags.push("k", "v");
    let e = s.put_opts(&p, "x".into(), tags.into()).await.unwrap_err();
    assert!(matches!(e, Error::NotSupported { .. }), "{e}");
    let no_etag = PutMode::Update(UpdateVersion {
        e_tag: None,
        version: Some("1".into()),
    });
    let e = s
        .put_opts(&p, "x".into(), no_etag.into())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotSupported { .. }), "{e}");
    let e = s.head(&p).await.unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
}

#[tokio::test]
async fn date_conditions_suffix_ranges_and_head_are_served() {
    for b in LOCAL {
        let opened = open(b, "conditions").await.unwrap();
        let s = opened.store.clone();
        let p = Path::from("c");
        s.put(&p, "0123456789".into()).await.unwrap();
        let meta = s.head(&p).await.unwrap();
        let hour = chrono::Duration::hours(1);
        let get = |o: GetOptions| {
            let s = s.clone();
            let p = p.clone();
            async move { s.get_opts(&p, o).await }
        };
        let e = get(GetOptions::new().with_if_unmodified_since(Some(meta.last_modified - hour)))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Precondition { .. }), "{b:?}: {e}");
        let e = get(GetOptions::new().with_if_modified_since(Some(meta.last_modified)))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::NotModified { .. }), "{b:?}: {e}");
        get(GetOptions::new().with_if_modified_since(Some(meta.last_modified - hour)))
            .await
            .unwrap();
        // An ETag condition outranks the date one (RFC 9110).
        let o = GetOptions::new()
            .with_if_match(meta.e_tag.clone())
            .with_if_unmodified_since(Some(meta.last_modified - hour));
        get(o).await.unwrap();
        let r = get(GetOptions::new().with_range(Some(GetRange::Suffix(3))))
            .await
            .unwrap();
        assert_eq!(r.range, 7..10);
        assert_eq!(r.bytes().await.unwrap(), "789");
        let e = get(GetOptions::new()
            .with_head(true)
            .with_if_none_match(meta.e_tag.clone()))
        .await
        .unwrap_err();
        assert!(matches!(e, Error::NotModified { .. }), "{b:?}: {e}");
        let h = get(GetOptions::new().with_head(true)).await.unwrap();
        assert_eq!(h.meta, meta);
        assert!(h.bytes().await.unwrap().is_empty());
        // Both ETag conditions: each fails as its own variant.
        let both = |m: &str, n: &str| {
            GetOptions::new()
                .with_if_match(Some(m.to_string()))
                .with_if_none_match(Some(n.to_string()))
        };
        let etag = meta.e_tag.clone().unwrap();
        let e = get(both("other", "x")).await.unwrap_err();
        assert!(matches!(e, Error::Precondition { .. }), "{b:?}: {e}");
        let e = get(both(&etag, &etag)).await.unwrap_err();
        assert!(matches!(e, Error::NotModified { .. }), "{b:?}: {e}");
    }
}

#[tokio::test]
async fn an_upload_dropped_or_aborted_stores_nothing() {
    for b in LOCAL {
        let opened = open(b, "unfinished").await.unwrap();
        let s = opened.store.clone();
        let p = Path::from("u");
        s.put(&p, "old".into()).await.unwrap();
        let mut up = s.put_multipart(&p).await.unwrap();
        up.put_part(vec![7u8; 3 << 20].into()).await.unwrap();
        drop(up);
        let mut up = s.put_multipart(&p).await.unwrap();
        up.put_part("new".into()).await.unwrap();
        up.abort().await.unwrap();
        // The dropped upload's put ends on its own task; give it a moment.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let r = s.get(&p).await.unwrap();
        assert_eq!(r.bytes().await.unwrap(), "old", "{b:?}");
    }
}

#[tokio::test]
async fn what_the_contract_lacks_is_not_supported() {
    let opened = open(Backend::Mem, "lacks").await.unwrap();
    let s = opened.store.clone();
    let e = s
        .signed_url(Method::GET, &Path::from("x"), Duration::from_secs(60))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotSupported { .. }), "{e}");
    let e = s
        .list_paginated(
            None,
            PaginatedListOptions {
                offset: Some("a".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotSupported { .. }), "{e}");
}

#[tokio::test]
async fn s3_presigns_get_and_put() {
    let Some(o) = open(Backend::S3s, "presign").await else {
        return;
    };
    let s = o.store;
    for m in [Method::GET, Method::PUT] {
        let url = s
            .signed_url(m, &Path::from("k"), Duration::from_secs(60))
            .await
            .unwrap();
        assert!(url.query().unwrap().contains("X-Amz-Signature="), "{url}");
        assert!(url.path().ends_with("/k"), "{url}");
    }
    let e = s
        .signed_url(Method::DELETE, &Path::from("k"), Duration::from_secs(60))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotSupported { .. }), "{e}");
}

#[tokio::test]
async fn opening_takes_the_bucket_from_the_dsn_or_the_options() {
    let e = TroveStore::open("mem://").await.unwrap_err().to_string();
    assert!(e.contains("OpenOptions::bucket"), "{e}");
    let s = OpenOptions::new()
        .bucket("made")
        .create_bucket(true)
        .open("mem://")
        .await
        .unwrap();
    s.put(&Path::from("k"), "v".into()).await.unwrap();
    assert_eq!(s.bucket(), "made");
    // Opening an s3 DSN contacts no server; its secret never shows.
    let s = TroveStore::open(
        "s3://AKID:S3CRETVALUE@photos?region=us-east-1&endpoint=http://127.0.0.1:9",
    )
    .await
    .unwrap();
    assert_eq!(s.bucket(), "photos");
    for shown in [format!("{s}"), format!("{s:?}")] {
        assert!(!shown.contains("S3CRETVALUE"), "{shown}");
        assert!(shown.contains("photos"), "{shown}");
    }
}

#[tokio::test]
async fn put_modes_map_to_the_contracts_conditions() {
    let opened = open(Backend::File, "modes").await.unwrap();
    let s = opened.store.clone();
    let p = Path::from("m");
    let v1 = s
        .put_opts(&p, "1".into(), PutOptions::from(PutMode::Create))
        .await
        .unwrap();
    let e = s
        .put_opts(&p, "2".into(), PutOptions::from(PutMode::Create))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::AlreadyExists { .. }), "{e}");
    // A large body takes the streamed path; its conditions hold there too.
    let big = vec![1u8; 3 << 20];
    let e = s
        .put_opts(&p, big.clone().into(), PutOptions::from(PutMode::Create))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::AlreadyExists { .. }), "{e}");
    s.put_opts(&p, big.into(), PutMode::Update(v1.clone().into()).into())
        .await
        .unwrap();
    let e = s
        .put_opts(&p, "3".into(), PutMode::Update(v1.into()).into())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Precondition { .. }), "{e}");
}
