//! Paths under the base folder, and the host's `sftp` calls with the answers this
//! driver needs (a missing path as `None`, a folder that exists already as success).
//! Every path here is relative to the base; nothing built from a checked bucket name
//! and key can leave it (and the host refuses any path outside the DSN's folder).

use std::cell::RefCell;

use crate::trove::driver::sftp::{self, Attrs, DirEntry, File, OpenFlags};
use crate::trove::driver::types::Error;

pub const TMP_DIR: &str = ".trove/tmp";
pub const LOCK_DIR: &str = ".trove/locks";
pub const META_DIR: &str = ".trove/meta";

thread_local!(static BASE: RefCell<String> = const { RefCell::new(String::new()) });

/// Remembers the DSN's path: the folder every other path is under.
pub fn set_base(path: &str) -> Result<(), Error> {
    let base = match path.trim_end_matches('/') {
        "" if path.starts_with('/') => "/".to_string(),
        b => b.to_string(),
    };
    if base.split('/').any(|s| s == "." || s == "..") {
        return Err(Error::InvalidArgument(format!(
            "base path {path:?} has a '.' or '..' segment"
        )));
    }
    BASE.with(|b| *b.borrow_mut() = base);
    Ok(())
}

/// The full remote path of `rel` (empty: the base itself).
pub fn path(rel: &str) -> String {
    BASE.with(|b| {
        let base = b.borrow();
        match (base.as_str(), rel) {
            (b, "") if b.is_empty() => ".".to_string(),
            (b, "") => b.to_string(),
            ("", r) => r.to_string(),
            ("/", r) => format!("/{r}"),
            (b, r) => format!("{b}/{r}"),
        }
    })
}

/// Creates the base (one level, if missing) and the state folders.
pub fn prepare() -> Result<(), Error> {
    if stat("")?.is_none() {
        ensure_dir("")?;
    }
    for dir in [".trove", TMP_DIR, LOCK_DIR, META_DIR] {
        ensure_dir(dir)?;
    }
    Ok(())
}

fn missing(e: &Error) -> bool {
    matches!(e, Error::ObjectNotFound(_))
}

/// The attributes of `rel`, or `None` when it does not exist.
pub fn stat(rel: &str) -> Result<Option<Attrs>, Error> {
    match sftp::stat(&path(rel)) {
        Ok(a) => Ok(Some(a)),
        Err(e) if missing(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn is_dir(rel: &str) -> Result<bool, Error> {
    Ok(stat(rel)?.is_some_and(|a| a.is_dir))
}

/// What is at a path where a folder should be.
pub enum DirOutcome {
    Ready,
    /// A file is in the way.
    File,
    /// The parent folder is missing.
    NoParent,
}

/// Creates folder `rel` unless it is there already.
pub fn make_dir(rel: &str) -> Result<DirOutcome, Error> {
    match sftp::mkdir(&path(rel)) {
        Ok(()) => Ok(DirOutcome::Ready),
        Err(e) => match stat(rel)? {
            Some(a) if a.is_dir => Ok(DirOutcome::Ready),
            Some(_) => Ok(DirOutcome::File),
            None if missing(&e) => Ok(DirOutcome::NoParent),
            None => Err(e),
        },
    }
}

/// Creates folder `rel`, failing when something else is in the way.
pub fn ensure_dir(rel: &str) -> Result<(), Error> {
    match make_dir(rel)? {
        DirOutcome::Ready => Ok(()),
        DirOutcome::File => Err(Error::Internal(format!(
            "{} is a file, not a folder",
            path(rel)
        ))),
        DirOutcome::NoParent => Err(Error::Internal(format!(
            "cannot create {}: its parent folder is missing",
            path(rel)
        ))),
    }
}

/// The entries of folder `rel`, or `None` when it does not exist.
pub fn read_dir(rel: &str) -> Result<Option<Vec<DirEntry>>, Error> {
    match sftp::readdir(&path(rel)) {
        Ok(v) => Ok(Some(v)),
        Err(e) if missing(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes file `rel`; `false` when it was not there.
pub fn remove(rel: &str) -> Result<bool, Error> {
    match sftp::remove(&path(rel)) {
        Ok(()) => Ok(true),
        Err(e) if missing(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Removes folder `rel` if it is empty; `false` when it was not removed.
pub fn remove_dir(rel: &str) -> bool {
    sftp::rmdir(&path(rel)).is_ok()
}

/// Renames `src` over `dst` (atomically replacing a file there).
pub fn rename(src: &str, dst: &str) -> Result<(), Error> {
    sftp::rename(&path(src), &path(dst))
}

pub fn open(rel: &str, flags: OpenFlags) -> Result<File, Error> {
    sftp::open(&path(rel), flags)
}

/// Opens `rel` for reading; `None` when it does not exist.
pub fn open_read(rel: &str) -> Result<Option<File>, Error> {
    match open(rel, OpenFlags::READ) {
        Ok(f) => Ok(Some(f)),
        Err(e) if missing(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads a whole small file (at most `max` bytes); `None` when missing or larger.
pub fn read_small(rel: &str, max: u32) -> Result<Option<Vec<u8>>, Error> {
    let Some(f) = open_read(rel)? else {
        return Ok(None);
    };
    let data = f.read(0, max + 1)?;
    let _ = f.close();
    Ok((data.len() as u32 <= max).then_some(data))
}

/// Writes all of `data` at `offset`.
pub fn write_all(f: &File, offset: u64, data: &[u8]) -> Result<(), Error> {
    f.write(offset, data)
}

/// A fresh, unused name in `dir`, for a file created exclusively.
pub fn unique_name(dir: &str, attempt: u32) -> String {
    use std::cell::Cell;
    thread_local!(static COUNTER: Cell<u64> = const { Cell::new(0) });
    let n = COUNTER.with(|c| {
        c.set(c.get().wrapping_add(1));
        c.get()
    });
    let now = trove_driver_common::time::Timestamp::now();
    let salt = trove_driver_common::etag::etag_of(format!("{now:?}{n}{attempt}").as_bytes());
    format!(
        "{dir}/{}-{:09}-{}",
        now.seconds,
        now.nanoseconds,
        &salt[..12]
    )
}

/// Creates a new file in the temporary folder, exclusively; returns its path.
pub fn create_temp() -> Result<(String, File), Error> {
    let mut last = None;
    for attempt in 0..8 {
        let p = unique_name(TMP_DIR, attempt);
        match open(
            &p,
            OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
        ) {
            Ok(f) => return Ok((p, f)),
            Err(e) if missing(&e) => {
                ensure_dir(".trove")?;
                ensure_dir(TMP_DIR)?;
                last = Some(e);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| Error::Internal("cannot create a temporary file".into())))
}
