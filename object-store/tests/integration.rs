//! object_store's own integration functions (`object_store::integration`)
//! against a `TroveStore` on every built-in driver: mem and file here, and
//! each server-backed driver on its real server on loopback (s3 on s3s-fs
//! and on moto, gs on fake-gcs-server, azblob on Azurite, sftp on
//! OpenSSH). A server test whose variables are not set prints why and
//! returns.
//!
//! A function a backend cannot pass is listed in [`expected_failure`] with
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
    reason: &'static str,
    /// Text the panic message must contain.
    panics_with: &'static str,
    /// `false` for a race the backend loses only now and then: a pass is
    /// then reported, not an error.
    always: bool,
}

/// The functions that need the driver's `multipart` capability
/// (`MultipartStore`). `put_multipart` works on every driver.
const MULTIPART_STORE: &[&str] = &[
    "multipart",
    "multipart_with_opts",
    "multipart_put_part_out_of_order",
];

/// Backends whose drivers export `multipart`.
fn has_multipart(b: Backend) -> bool {
    matches!(
        b,
        Backend::S3s | Backend::Moto | Backend::Gcs | Backend::Azurite
    )
}

/// What the servers (or drivers) cannot do, function by function.
const SERVER_LIMITS: &[(Backend, &str, Expected)] = &[
    (
        Backend::S3s,
        "put_get_delete_list",
        Expected {
            reason: "s3s-fs stores objects as files: a get of `test_dir`, a folder on its \
                     disk, is an HTTP 500 (InternalError), not NoSuchKey",
            panics_with: "InternalError (HTTP 500)",
            always: true,
        },
    ),
    (
        Backend::S3s,
        "put_opts",
        Expected {
            reason: "s3s-fs checks If-Match apart from the write (not atomically), so \
                     some racing conditional updates are lost",
            panics_with: "left == right",
            always: false,
        },
    ),
    (
        Backend::Sftp,
        "put_opts",
        Expected {
            reason: "racing if-match puts lose updates on the sftp driver (observed: 10 \
                     of 50 increments kept): its conditional put or its get is not \
                     atomic against a concurrent commit (a driver issue)",
            panics_with: "left == right",
            always: false,
        },
    ),
    (
        Backend::Gcs,
        "stream_get",
        Expected {
            reason: "the gs driver's multipart parts are temporary objects under \
                     .trove-multipart/<id>/, listed until the upload completes (README, gs)",
            panics_with: ".trove-multipart/",
            always: true,
        },
    ),
];

/// Why `function` fails on `b`, when it does.
fn expected_failure(b: Backend, function: &str) -> Option<&'static Expected> {
    const NO_MULTIPART: Expected = Expected {
        reason: "the driver does not export the multipart capability (put_multipart \
                 works: one streamed put)",
        panics_with: "does not export the multipart capability",
        always: true,
    };
    if MULTIPART_STORE.contains(&function) && !has_multipart(b) {
        return Some(&NO_MULTIPART);
    }
    SERVER_LIMITS
        .iter()
        .find(|(sb, f, _)| *sb == b && *f == function)
        .map(|(_, _, e)| e)
}

/// `multipart_race_condition`'s `last_writer_wins`: on Azure a block list's
/// commit drops the blob's other uncommitted blocks, so the second upload's
/// completion fails and the first writer's content stays (object_store's own
/// Azure test passes `false` too).
fn last_writer_wins(b: Backend) -> bool {
    b != Backend::Azurite
}

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
    let expected = expected_failure(backend, function);
    let name = backend.name();
    match (expected, outcome) {
        (None, Ok(())) => {}
        (None, Err(p)) => std::panic::resume_unwind(p),
        (Some(e), Ok(())) if !e.always => {
            println!("{name}: {function} passed this time (listed: {})", e.reason)
        }
        (Some(e), Ok(())) => panic!(
            "{name}: {function} was listed as failing ({}) but passed: take it off the list",
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
                it::multipart_race_condition(&*s, last_writer_wins($b)).await
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
