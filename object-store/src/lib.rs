//! `object_store::ObjectStore` over any trove-host driver.
//!
//! A [`TroveStore`] is one bucket of one opened [`trove_host::Driver`]:
//! object_store's paths are the driver's keys, bodies stream through the
//! driver both ways, and the driver's typed errors become object_store's
//! error variants by kind. It also implements
//! [`MultipartStore`](object_store::multipart::MultipartStore) (a driver with
//! the `multipart` capability), [`PaginatedListStore`](object_store::list::PaginatedListStore)
//! and [`Signer`](object_store::signer::Signer) (a driver with `presign`).
//!
//! ```no_run
//! # async fn demo() -> object_store::Result<()> {
//! use object_store::{path::Path, ObjectStore, ObjectStoreExt};
//! let store = trove_object_store::TroveStore::open("s3://photos?region=us-east-1").await?;
//! store.put(&Path::from("cat.jpg"), "meow".into()).await?;
//! let bytes = store.get(&Path::from("cat.jpg")).await?.bytes().await?;
//! # Ok(()) }
//! ```

mod copy;
mod error;
mod get;
mod keys;
mod list;
mod meta;
mod multipart;
mod open;
mod put;
mod signer;
mod store;
mod stream_upload;
mod upload;

pub use open::OpenOptions;
pub use store::TroveStore;
pub use upload::{MIN_PART, PART_SIZE};
