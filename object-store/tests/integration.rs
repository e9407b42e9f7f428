//! object_store's own integration functions (`object_store::integration`)
//! against a `TroveStore` on every built-in driver: mem and file here, and
//! each server-backed driver on its real server on loopback (s3 on s3s-fs
//! and on moto, gs on fake-gcs-server, azblob on Azurite, sftp on
//! OpenSSH). A server test whose variables are not set prints why and
//! returns.
//!
//! A function a backend cannot pass is listed in [`EXPECTED_FAILURES`] with
//! the reason, and its failure is asserted: it must panic, with the text
//! given. One that starts passing fails the test until it is taken off.

mod common;

use common::{cleanup, open, Backend};
use futures::future::BoxFuture;
use futures::FutureExt;
use object_store::integration as it;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use trove_object_store::TroveStore;

struct Expected {
    backend: Backend,
    function: &'static str,
    reason: &'static str,
    /// Text the panic message must contain.
    panics_with: &'static str,
}

const NO_MULTIPART: &str = "the driver does not export the multipart capability \
     (put_multipart still works: a streamed put)";
const NO_MULTIPART_PANIC: &str = "does not export the multipart capability";
const ATTRIBUTES: &str = "Cache-Control, Content-Disposition, Content-Encoding and \
     Content-Language are not in the contract yet: refused (NotSupported), not dropped";
const ATTRIBUTES_PANIC: &str = "not in the trove driver contract yet";

const fn expect(
    backend: Backend,
    function: &'static str,
    reason: &'static str,
    panics_with: &'static str,
) -> Expected {
    Expected {
        backend,
        function,
        reason,
        panics_with,
    }
}

/// What each backend cannot pass, and why.
const EXPECTED_FAILURES: &[Expected] = &[
    expect(Backend::Mem, "multipart", NO_MULTIPART, NO_MULTIPART_PANIC),
    expect(
        Backend::Mem,
        "multipart_with_opts",
        NO_MULTIPART,
        NO_MULTIPART_PANIC,
    ),
    expect(
        Backend::Mem,
        "multipart_put_part_out_of_order",
        NO_MULTIPART,
        NO_MULTIPART_PANIC,
    ),
    expect(Backend::File, "multipart", NO_MULTIPART, NO_MULTIPART_PANIC),
    expect(
        Backend::File,
        "multipart_with_opts",
        NO_MULTIPART,
        NO_MULTIPART_PANIC,
    ),
    expect(
        Backend::File,
        "multipart_put_part_out_of_order",
        NO_MULTIPART,
        NO_MULTIPART_PANIC,
    ),
    expect(Backend::Sftp, "multipart", NO_MULTIPART, NO_MULTIPART_PANIC),
    expect(
        Backend::Sftp,
        "multipart_with_opts",
        NO_MULTIPART,
        NO_MULTIPART_PANIC,
    ),
    expect(
        Backend::Sftp,
        "multipart_put_part_out_of_order",
        NO_MULTIPART,
        NO_MULTIPART_PANIC,
    ),
    expect(
        Backend::Mem,
        "put_get_attributes",
        ATTRIBUTES,
        ATTRIBUTES_PANIC,
    ),
    expect(
        Backend::File,
        "put_get_attributes",
        ATTRIBUTES,
        ATTRIBUTES_PANIC,
    ),
    expect(
        Backend::S3s,
        "put_get_attributes",
        ATTRIBUTES,
        ATTRIBUTES_PANIC,
    ),
    expect(
        Backend::Moto,
        "put_get_attributes",
        ATTRIBUTES,
        ATTRIBUTES_PANIC,
    ),
    expect(
        Backend::Gcs,
        "put_get_attributes",
        ATTRIBUTES,
        ATTRIBUTES_PANIC,
    ),
    expect(
        Backend::Azurite,
        "put_get_attributes",
        ATTRIBUTES,
        ATTRIBUTES_PANIC,
    ),
    expect(
        Backend::Sftp,
        "put_get_attributes",
        ATTRIBUTES,
        ATTRIBUTES_PANIC,
    ),
];

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else {
        "(a panic without a message)".to_string()
    }
}

type Case = fn(Arc<TroveStore>) -> BoxFuture<'static, ()>;

async fn run(backend: Backend, function: &'static str, case: Case) {
    let Some(opened) = open(backend, function).await else {
        return;
    };
    let store = opened.store.clone();
    let outcome = AssertUnwindSafe(case(store.clone())).catch_unwind().await;
    let expected = EXPECTED_FAILURES
        .iter()
        .find(|e| e.backend == backend && e.function == function);
    let name = backend.name();
    match (expected, outcome) {
        (None, Ok(())) => {}
        (None, Err(p)) => std::panic::resume_unwind(p),
        (Some(e), Ok(())) => panic!(
            "{name}: {function} was listed as failing ({}) but passed: take it off EXPECTED_FAILURES",
            e.reason
        ),
        (Some(e), Err(p)) => {
            let text = panic_text(&*p);
            assert!(
                text.contains(e.panics_with),
                "{name}: {function} was expected to fail ({}) with {:?}, but failed with: {text}",
                e.reason,
                e.panics_with
            );
            println!("{name}: {function} fails as listed: {}", e.reason);
        }
    }
    cleanup(&store).await;
}

/// One test per integration function, for backend `$b`.
macro_rules! backend {
    ($m:ident, $b:expr) => {
        mod $m {
            use super::*;

            macro_rules! case {
                ($name:ident, |$s:ident| $body:expr) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        fn case($s: Arc<TroveStore>) -> BoxFuture<'static, ()> {
                            async move { $body }.boxed()
                        }
                        run($b, stringify!($name), case).await;
                    }
                };
            }

            case!(put_get_delete_list, |s| it::put_get_delete_list(&*s).await);
            case!(put_get_attributes, |s| it::put_get_attributes(&*s).await);
            case!(get_opts, |s| it::get_opts(&*s).await);
            case!(put_opts, |s| it::put_opts(&*s, true).await);
            case!(stream_get, |s| it::stream_get(&*s).await);
            case!(list_uses_directories_correctly, |s| {
                it::list_uses_directories_correctly(&*s).await
            });
            case!(list_with_delimiter, |s| it::list_with_delimiter(&*s).await);
            case!(list_with_offset_exclusivity, |s| {
                it::list_with_offset_exclusivity(&*s).await
            });
            case!(list_paginated, |s| it::list_paginated(&*s, &*s).await);
            case!(get_nonexistent_object, |s| {
                let r = it::get_nonexistent_object(&*s, None).await;
                assert!(
                    matches!(r, Err(object_store::Error::NotFound { .. })),
                    "{r:?}"
                );
            });
            case!(rename_and_copy, |s| it::rename_and_copy(&*s).await);
            case!(copy_if_not_exists, |s| it::copy_if_not_exists(&*s).await);
            case!(copy_rename_nonexistent_object, |s| {
                it::copy_rename_nonexistent_object(&*s).await
            });
            case!(multipart, |s| it::multipart(&*s, &*s).await);
            case!(multipart_with_opts, |s| it::multipart_with_opts(&*s, &*s)
                .await);
            case!(multipart_put_part_out_of_order, |s| {
                it::multipart_put_part_out_of_order(&*s, &*s).await
            });
            case!(multipart_out_of_order, |s| it::multipart_out_of_order(&*s)
                .await);
            case!(multipart_race_condition, |s| {
                it::multipart_race_condition(&*s, true).await
            });
        }
    };
}

backend!(mem, Backend::Mem);
backend!(file, Backend::File);
backend!(s3_s3s, Backend::S3s);
backend!(s3_moto, Backend::Moto);
backend!(gs_fake_gcs, Backend::Gcs);
backend!(azblob_azurite, Backend::Azurite);
backend!(sftp_openssh, Backend::Sftp);
