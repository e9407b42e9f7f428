//! # trove-driver: write a trove storage driver by implementing one trait
//!
//! A trove driver is a WebAssembly component (`wasm32-wasip2`) that the
//! `trove-host` runs in a sandbox. This crate hides the component model: you
//! implement [`Backend`] (buckets, and objects as whole values with a content
//! ETag), call [`export_driver!`], and the SDK implements the contract around
//! it:
//!
//! - bucket names and keys are checked as the contract says;
//! - `if-match` / `if-none-match` on get and put (checked when the put begins
//!   and again just before it is committed);
//! - byte ranges, and bodies read in chunks through [`Backend::read`] (a large
//!   object never has to be held whole for a get);
//! - listing pages (prefix, delimiter, max-keys, an opaque cursor, exact-fit
//!   last pages) from [`Backend::list_sorted`], a plain key-ordered walk, or,
//!   for keys stored as paths, from [`Backend::read_folder`] (one folder at
//!   a time, entering only what a page needs);
//! - the content-derived ETag of every put ([`etag_of`]);
//! - `copy` and the empty-bucket check of `delete-bucket`, from the other
//!   methods.
//!
//! ```ignore
//! use trove_driver::{Backend, BucketInfo, Dsn, Error, NewObject, ObjectInfo};
//!
//! struct Mine { /* … */ }
//!
//! impl Backend for Mine {
//!     const NAME: &'static str = "mine";
//!     const STATEFUL: bool = false;
//!     fn open(dsn: &Dsn) -> Result<Self, Error> { /* … */ }
//!     // create_bucket, delete_bucket, list_buckets, head, read, write,
//!     // delete, list_sorted
//! }
//!
//! trove_driver::export_driver!(Mine);
//! ```
//!
//! What a driver may reach is declared with [`declare_grants!`] and allowed
//! by the user (`--allow SCHEME:KIND`); the imports it can use are in
//! [`imports`] (`log`, and `http` for drivers that declare an HTTP grant).
//! A generated project (`trove-host new NAME --lang rust`) starts from a
//! working in-memory backend.
#![deny(missing_docs)]

mod adapter;
pub mod web;

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        inline: "
            package trove:driver-sdk;
            world driver {
                import trove:driver/log@0.2.0;
                import trove:driver/http@0.2.0;
                import trove:driver/sftp@0.2.0;
                import trove:driver/splice@0.2.0;
                import wasi:filesystem/types@0.2.12;
                import wasi:filesystem/preopens@0.2.12;
                export trove:driver/core@0.2.0;
                export trove:driver/put-bytes@0.2.0;
                export trove:driver/stream-put@0.2.0;
            }
        ",
        world: "trove:driver-sdk/driver",
        pub_export_macro: true,
        default_bindings_module: "trove_driver::bindings",
        generate_all,
    });
}

#[doc(hidden)]
pub use adapter::Adapter;

pub use bindings::trove::driver::types::{
    BucketInfo, ContentHeaders, Dsn, Error, ObjectInfo, Timestamp,
};
pub use bindings::wasi::io::streams::{InputStream, OutputStream};
pub use trove_driver_common::declare_grants;

/// The host's imports a driver may call. A driver's component imports only
/// those it calls, and the host gives each only when the driver declared it
/// ([`declare_grants!`]) and the user allowed it.
pub mod imports {
    pub use crate::bindings::trove::driver::http;
    pub use crate::bindings::trove::driver::log;
    /// The one SSH session the host holds (grant `sftp`).
    pub use crate::bindings::trove::driver::sftp;
    /// Moving bytes between two host streams without reading them into
    /// the guest, hashed on the way (no grant: see [`splice_into`](crate::splice_into)).
    pub use crate::bindings::trove::driver::splice;
    /// The one directory the host preopens (grant `dir`): `preopens` finds
    /// it, `types` reads and writes under it.
    pub mod filesystem {
        pub use crate::bindings::wasi::filesystem::{preopens, types};
    }
    /// WASI streams and pollables (a file's `write-via-stream`, `read-via-stream`).
    pub mod io {
        pub use crate::bindings::wasi::io::{poll, streams};
    }

    /// Log `message` at `level` through the host (`RUST_LOG=trove::driver=debug`
    /// shows it). Never log the DSN's password; `Dsn::display` is redacted.
    pub fn log(level: log::Level, message: &str) {
        log::log(level, message)
    }
}

/// A rejection by one of the shared checks of `trove_driver_common` (such as
/// [`paths::object_in_the_way`](trove_driver_common::paths::object_in_the_way))
/// as the contract's error of the same kind.
impl From<trove_driver_common::Error> for Error {
    fn from(e: trove_driver_common::Error) -> Error {
        adapter::checked(e)
    }
}

/// A put's body, as the chunks the host wrote (about 1 MiB each; one chunk
/// for a small body). Keep them as they are, or join them with
/// [`Chunks::into_vec`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chunks(pub Vec<Vec<u8>>);

impl Chunks {
    /// The body's length in bytes.
    pub fn len(&self) -> u64 {
        self.0.iter().map(|c| c.len() as u64).sum()
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Vec::is_empty)
    }

    /// The whole body in one buffer (no copy when it is one chunk).
    pub fn into_vec(mut self) -> Vec<u8> {
        match self.0.len() {
            0 => Vec::new(),
            1 => self.0.pop().unwrap(),
            _ => self.0.concat(),
        }
    }
}

impl From<Vec<u8>> for Chunks {
    fn from(v: Vec<u8>) -> Self {
        Chunks(vec![v])
    }
}

/// An object to store: its bytes, their ETag (computed by the SDK from the
/// content) and the put's content type and user metadata.
#[derive(Debug, Clone)]
pub struct NewObject {
    /// The whole body.
    pub data: Chunks,
    /// The content-derived ETag to store and return with the object.
    pub etag: String,
    /// The put's `content-type`, if any.
    pub content_type: Option<String>,
    /// The put's Cache-Control, Content-Disposition, … (store them as given).
    pub headers: ContentHeaders,
    /// User metadata, in order, with the case of names kept.
    pub metadata: Vec<(String, String)>,
}

/// A storage backend. Each method gets names the SDK has already checked.
///
/// Errors are the contract's [`Error`] variants; the SDK returns them as
/// they are. `BucketNotFound` when a bucket does not exist, `BucketExists`
/// from `create_bucket`, `Unavailable` / `Timeout` for a backend that may
/// answer on a retry.
pub trait Backend: Sized + 'static {
    /// The driver's name (`info().name`).
    const NAME: &'static str;
    /// `true` when the data lives in the instance itself (an in-memory store):
    /// the host then keeps exactly one instance and serialises calls. `false`
    /// lets it run several instances at once.
    const STATEFUL: bool;

    /// `true` for a backend that stores keys as paths in folders (a file
    /// system, an SFTP server). The SDK then accepts only keys that are clean
    /// relative paths (no leading or trailing `/`, no empty, `.` or `..`
    /// segment: `invalid-argument` otherwise), and lists by walking
    /// [`read_folder`](Backend::read_folder): it enters only the folders a
    /// page needs, leaves a folder rolled up into a common prefix at once,
    /// and describes only the keys a page returns (with
    /// [`head`](Backend::head)). [`list_sorted`](Backend::list_sorted) is not
    /// called.
    const KEYS_ARE_PATHS: bool = false;

    /// With [`KEYS_ARE_PATHS`](Backend::KEYS_ARE_PATHS): `true` for a backend
    /// that stores folder markers, keys ending in `/` (`photos/`, `a/b/`, as
    /// an S3 console's "Create folder", s3fs `mkdir` or rclone make them).
    /// Such a key is stored as the file
    /// [`MARKER_FILE`](trove_driver_common::paths::MARKER_FILE) inside its
    /// folder: the backend finds its path with
    /// [`stored_path`](trove_driver_common::paths::stored_path) and otherwise
    /// treats it as any key. The SDK then accepts those keys (not `/`, nor
    /// empty segments), refuses keys with a segment of that reserved name,
    /// and lists the marker file of folder `a/` as the key `a/`. `false` (the
    /// default): a key ending in `/` is `invalid-argument`, saying so.
    const FOLDER_MARKERS: bool = false;

    /// Open the backend for `dsn` (called once per instance, before anything else).
    fn open(dsn: &Dsn) -> Result<Self, Error>;

    /// Check that the backend answers.
    fn ping(&self) -> Result<(), Error> {
        Ok(())
    }

    /// Create a bucket; `BucketExists` if it is there.
    fn create_bucket(&self, bucket: &str) -> Result<(), Error>;

    /// Delete a bucket the SDK found empty; `BucketNotFound` if it is not there.
    fn delete_bucket(&self, bucket: &str) -> Result<(), Error>;

    /// Every bucket, in any order (the SDK sorts them).
    fn list_buckets(&self) -> Result<Vec<BucketInfo>, Error>;

    /// The object's info, `Ok(None)` when the bucket has no such key, and
    /// `BucketNotFound` when the bucket does not exist.
    fn head(&self, bucket: &str, key: &str) -> Result<Option<ObjectInfo>, Error>;

    /// `Ok` when the bucket exists, `BucketNotFound` when not. The SDK asks
    /// this where it needs the bucket but no object: before the body of a put
    /// without conditions, and for the destination of a copy. The default
    /// asks [`head`](Backend::head) of `key`; a backend whose `head` costs
    /// more than a bucket check overrides it.
    fn require_bucket(&self, bucket: &str, key: &str) -> Result<(), Error> {
        self.head(bucket, key).map(drop)
    }

    /// `len` bytes of the object from `offset` (the SDK asks only within the
    /// size `head` reported, in chunks of at most 1 MiB). The default reads
    /// them from [`read_stream`](Backend::read_stream); a backend implements
    /// one of the two.
    fn read(&self, bucket: &str, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, Error> {
        match self.read_stream(bucket, key, offset, len)? {
            Some(s) => adapter::read_exactly(&s, len),
            None => Err(Error::Internal(format!(
                "the {} driver implements neither read nor read_stream",
                Self::NAME
            ))),
        }
    }

    /// Store `object` under `key`, replacing any object there, and return its
    /// info. The SDK has checked the put's conditions against [`head`]
    /// just before; a backend that can check atomically re-checks nothing.
    ///
    /// [`head`]: Backend::head
    ///
    /// The default stages the body ([`stage`](Backend::stage)) and commits
    /// it; a backend implements `write` or `stage`.
    fn write(&self, bucket: &str, key: &str, object: NewObject) -> Result<ObjectInfo, Error> {
        adapter::write_by_staging(self, bucket, key, object)
    }

    /// Store `object` if the put's `conditions` accept the key's current
    /// ETag ([`Conditions::check`]), atomically with respect to other calls
    /// of this instance. The SDK commits every put through this. The default
    /// asks [`head`](Backend::head) (when there are conditions), then calls
    /// [`write`](Backend::write); a backend that can check and write in one
    /// step overrides it.
    fn write_checked(
        &self,
        bucket: &str,
        key: &str,
        object: NewObject,
        conditions: &Conditions,
    ) -> Result<ObjectInfo, Error> {
        if !conditions.is_empty() {
            let current = self.head(bucket, key)?;
            conditions.check(current.as_ref().map(|o| o.etag.as_str()))?;
        }
        self.write(bucket, key, object)
    }

    /// The object's info as [`head`](Backend::head) gives it and, when the
    /// object has at most `up_to` bytes, its whole content: one lookup for a
    /// small get. The default asks `head` and returns no bytes (the SDK
    /// then reads them through [`read`](Backend::read)).
    #[allow(clippy::type_complexity)]
    fn head_with_bytes(
        &self,
        bucket: &str,
        key: &str,
        up_to: u64,
    ) -> Result<Option<(ObjectInfo, Option<Vec<u8>>)>, Error> {
        let _ = up_to;
        Ok(self.head(bucket, key)?.map(|info| (info, None)))
    }

    /// Copy an object (the destination bucket exists: the SDK checked). The
    /// default reads the source in 1 MiB chunks and writes it again with its
    /// ETag, content type and metadata, through a [`Stage`] when the backend
    /// stages (so the copy is never held whole); a backend with a
    /// server-side copy overrides it.
    fn copy(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
    ) -> Result<ObjectInfo, Error> {
        adapter::copy_by_reading(self, src_bucket, src_key, dst_bucket, dst_key)
    }

    /// Begin a put whose body the backend takes as it comes (into a
    /// temporary file, an upload under way) instead of the SDK collecting
    /// it whole: return `Some(stage)`. The SDK hands it every chunk, computes
    /// the ETag as they pass, then calls [`Stage::commit`] (or
    /// [`Stage::discard`] when the put is aborted or the commit fails). The
    /// default, `None`, collects the body and calls
    /// [`write_checked`](Backend::write_checked).
    fn stage(&self, bucket: &str, key: &str) -> Result<Option<Box<dyn Stage>>, Error> {
        let _ = (bucket, key);
        Ok(None)
    }

    /// The object's bytes `offset..offset + len` as a host stream the SDK
    /// hands back unread (an HTTP response body), or `None` (the default) to
    /// have the SDK read them through [`read`](Backend::read).
    fn read_stream(
        &self,
        bucket: &str,
        key: &str,
        offset: u64,
        len: u64,
    ) -> Result<Option<InputStream>, Error> {
        let _ = (bucket, key, offset, len);
        Ok(None)
    }

    /// Delete an object; a key that is not there is not an error.
    fn delete(&self, bucket: &str, key: &str) -> Result<(), Error>;

    /// The bucket's objects in byte order of their keys, starting at the
    /// first key `>= from` (a backend may also start earlier: the SDK skips
    /// what it does not need). `BucketNotFound` when the bucket does not exist.
    /// A backend implements this, or sets
    /// [`KEYS_ARE_PATHS`](Backend::KEYS_ARE_PATHS) and implements
    /// [`read_folder`](Backend::read_folder).
    #[allow(clippy::type_complexity)]
    fn list_sorted(
        &self,
        bucket: &str,
        from: &str,
    ) -> Result<Box<dyn Iterator<Item = Result<ObjectInfo, Error>> + '_>, Error> {
        let _ = (bucket, from);
        Err(Error::Internal(format!(
            "the {} driver implements neither list_sorted nor read_folder",
            Self::NAME
        )))
    }

    /// For a backend whose [`KEYS_ARE_PATHS`](Backend::KEYS_ARE_PATHS): the
    /// info of a key the listing walk found in a folder it just read
    /// (`None`: removed meanwhile). The default asks [`head`](Backend::head);
    /// a backend whose `head` first checks the bucket may skip that here.
    fn describe_listed(&self, bucket: &str, key: &str) -> Result<Option<ObjectInfo>, Error> {
        self.head(bucket, key)
    }

    /// For a backend whose [`KEYS_ARE_PATHS`](Backend::KEYS_ARE_PATHS): the
    /// entries of folder `dir` of the bucket (`""`: the bucket's top; else a
    /// key prefix ending in `/`, such as `photos/2024/`) as `(name,
    /// is_folder)`, in any order. Leave out whatever is neither a file nor a
    /// folder (a symlink is not an object). `Ok(None)` when the folder is not
    /// there; `BucketNotFound` when the bucket is not.
    #[allow(clippy::type_complexity)]
    fn read_folder(&self, bucket: &str, dir: &str) -> Result<Option<Vec<(String, bool)>>, Error> {
        let _ = (bucket, dir);
        Err(Error::Internal(format!(
            "the {} driver sets KEYS_ARE_PATHS but does not implement read_folder",
            Self::NAME
        )))
    }
}

/// A put's body on its way into the backend (see [`Backend::stage`]): stage,
/// then commit under the key once the SDK re-checked the conditions, or
/// clean up.
pub trait Stage {
    /// The next bytes of the body, in order.
    fn write(&mut self, chunk: &[u8]) -> Result<(), Error>;

    /// Make the staged body the object under the key, replacing any object
    /// there, if the put's `conditions` accept the key's current ETag
    /// ([`Conditions::check`]); a backend that cannot check and commit in one
    /// step checks what it read just before. On an error the SDK calls
    /// [`discard`](Stage::discard).
    fn commit(
        &mut self,
        object: StagedObject,
        conditions: &Conditions,
    ) -> Result<ObjectInfo, Error>;

    /// Remove whatever was staged (the put was aborted or failed).
    fn discard(self: Box<Self>);

    /// Take the whole body from the host stream `src` without reading it
    /// into the guest: move it into the backend's own host stream (a file's
    /// `write-via-stream`) with [`splice_into`], and return what it says.
    /// Called, when the host streams the body, before any
    /// [`write`](Stage::write); the default, `Ok(None)`, has the SDK read
    /// the body and `write` it chunk by chunk.
    fn splice(&mut self, src: &InputStream) -> Result<Option<Spliced>, Error> {
        let _ = src;
        Ok(None)
    }
}

/// A body moved by [`splice_into`]: its length and content ETag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spliced {
    /// The bytes moved.
    pub size: u64,
    /// Their content-derived ETag (what [`etag_of`] gives for them).
    pub etag: String,
}

/// Move everything `src` holds into `dst` through the host (the `splice`
/// import), without reading it into the guest; the host hashes the bytes
/// as they pass, so the [`Spliced`] ETag is the one the SDK would compute.
/// `dst` is not flushed. A failure of either stream is an error (a full
/// disk `unavailable`, else `internal`).
pub fn splice_into(dst: &OutputStream, src: &InputStream) -> Result<Spliced, Error> {
    let hasher = imports::splice::Hasher::new();
    while hasher.splice(dst, src, u64::MAX)? > 0 {}
    let (hi, lo) = hasher.digest();
    Ok(Spliced {
        size: hasher.moved(),
        etag: trove_driver_common::etag::etag_of_digest(((hi as u128) << 64) | lo as u128),
    })
}

/// A put's `if-match` / `if-none-match`, to check against the object under
/// the key just before the put is committed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Conditions<'a> {
    /// `if-match`: the put goes ahead only if the current ETag is one of
    /// these (`*`: any object).
    pub if_match: Option<&'a str>,
    /// `if-none-match`: the put goes ahead only if the current ETag is none
    /// of these (`*`: only when there is no object).
    pub if_none_match: Option<&'a str>,
}

impl Conditions<'_> {
    /// No conditions: every put goes ahead (a copy commits with these).
    pub const NONE: Conditions<'static> = Conditions {
        if_match: None,
        if_none_match: None,
    };

    /// Whether there is nothing to check.
    pub fn is_empty(&self) -> bool {
        self.if_match.is_none() && self.if_none_match.is_none()
    }

    /// Whether the put may only create the object (`if-none-match: *`
    /// alone): a backend with an atomic create (a hard link, an exclusive
    /// open) uses it instead of a check.
    pub fn create_only(&self) -> bool {
        self.if_match.is_none() && self.if_none_match.is_some_and(|v| v.trim() == "*")
    }

    /// Whether [`check`](Conditions::check) needs the current ETag, or only
    /// whether an object exists (any `Some` ETag will do then).
    pub fn need_etag(&self) -> bool {
        self.if_match.is_some_and(|v| v.trim() != "*")
            || self.if_none_match.is_some_and(|v| v.trim() != "*")
    }

    /// `Ok` when a put may replace the object whose ETag is `current`
    /// (`None`: there is no object); `PreconditionFailed` when not.
    pub fn check(&self, current: Option<&str>) -> Result<(), Error> {
        trove_driver_common::conditions::check_put(self.if_match, self.if_none_match, current)
            .map_err(adapter::checked)
    }
}

/// What the SDK knows of a staged body when it commits it.
#[derive(Debug, Clone)]
pub struct StagedObject {
    /// The body's length in bytes.
    pub size: u64,
    /// Its content-derived ETag.
    pub etag: String,
    /// The put's `content-type`, if any.
    pub content_type: Option<String>,
    /// The put's Cache-Control, Content-Disposition, … (store them as given).
    pub headers: ContentHeaders,
    /// User metadata, in order, with the case of names kept.
    pub metadata: Vec<(String, String)>,
}

/// The content-derived ETag of `data` (xxh3-128, hex, then `-xxh3`), as the SDK computes
/// it for every put.
pub fn etag_of(data: &[u8]) -> String {
    trove_driver_common::etag::etag_of(data)
}

trove_driver_common::content_header_conversions!(ContentHeaders);

/// No content headers.
pub fn no_headers() -> ContentHeaders {
    headers_from_pairs(&[])
}

/// A DSN query parameter (the last one when repeated).
pub fn param<'a>(dsn: &'a Dsn, name: &str) -> Option<&'a str> {
    dsn.params
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A fresh 16-hex-digit id (random, mixed with the time) for naming what a
/// put stages.
pub fn unique_id() -> String {
    use std::hash::BuildHasher;
    let now = now();
    let h = std::collections::hash_map::RandomState::new().hash_one((now.seconds, now.nanoseconds));
    format!("{h:016x}")
}

/// The current time, as object and bucket timestamps carry it.
pub fn now() -> Timestamp {
    let t = trove_driver_common::time::Timestamp::now();
    Timestamp {
        seconds: t.seconds,
        nanoseconds: t.nanoseconds,
    }
}

/// Export `$backend` (a [`Backend`]) as the component's `core` interface.
/// Call it once, at the top level of the driver crate.
#[macro_export]
macro_rules! export_driver {
    ($backend:ty) => {
        type __TroveDriverExport = $crate::Adapter<$backend>;
        $crate::bindings::export!(__TroveDriverExport with_types_in $crate::bindings);
    };
}
