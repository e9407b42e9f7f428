//! `copy` and `copy_if_not_exists` (`rename` is object_store's default on
//! top: copy, then delete the source).
//!
//! The contract's copy has no condition, so `CopyMode::Create` checks the
//! destination with a head first. That is not atomic: an object written to
//! the destination between the head and the copy is overwritten. A caller
//! that needs an atomic create-only copy must not rely on this store for it.

use crate::error::{map, Call};
use crate::keys::key;
use crate::store::TroveStore;
use object_store::path::Path;
use object_store::{CopyMode, Error, Result};
use trove_host::ErrorKind;

pub(crate) async fn copy(store: &TroveStore, from: &Path, to: &Path, mode: CopyMode) -> Result<()> {
    let (f, t) = (key(from), key(to));
    if mode == CopyMode::Create {
        match store.driver.head(&store.bucket, t).await {
            Ok(_) => {
                // A missing source is reported first, as the other stores do.
                store
                    .driver
                    .head(&store.bucket, f)
                    .await
                    .map_err(|e| map(e, f, Call::Plain))?;
                return Err(Error::AlreadyExists {
                    path: t.to_string(),
                    source: "the destination exists".into(),
                });
            }
            Err(e) if e.kind() == ErrorKind::ObjectNotFound => {}
            Err(e) => return Err(map(e, t, Call::Plain)),
        }
    }
    store
        .driver
        .copy(&store.bucket, f, &store.bucket, t)
        .await
        .map(|_| ())
        // A missing source is the error object_store expects (NotFound, for `from`).
        .map_err(|e| map(e, f, Call::Plain))
}
