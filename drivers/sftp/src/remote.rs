//! Paths under the base folder, and the host's `sftp` calls with the answers this
//! driver needs (a missing path as `None`, a folder that exists already as success).
//! Every path here is relative to the base; nothing built from a checked bucket name
//! and key can leave it (and the host refuses any path outside the DSN's folder).

use std::cell::RefCell;

use trove_driver::imports::sftp::{self, Attrs, DirEntry, File, OpenFlags};
use trove_driver::Error;

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
            ("", "") => ".".to_string(),
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

/// `None` for a path that does not exist.
fn found<T>(r: Result<T, Error>) -> Result<Option<T>, Error> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(Error::ObjectNotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The attributes of `rel`, or `None` when it does not exist.
pub fn stat(rel: &str) -> Result<Option<Attrs>, Error> {
    found(sftp::stat(&path(rel)))
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
    let Err(e) = sftp::mkdir(&path(rel)) else {
        return Ok(DirOutcome::Ready);
    };
    match stat(rel)? {
        Some(a) if a.is_dir => Ok(DirOutcome::Ready),
        Some(_) => Ok(DirOutcome::File),
        None if matches!(e, Error::ObjectNotFound(_)) => Ok(DirOutcome::NoParent),
        None => Err(e),
    }
}

/// Creates folder `rel`, failing when something else is in the way.
pub fn ensure_dir(rel: &str) -> Result<(), Error> {
    let why = match make_dir(rel)? {
        DirOutcome::Ready => return Ok(()),
        DirOutcome::File => "it is a file",
        DirOutcome::NoParent => "its parent folder is missing",
    };
    Err(Error::Internal(format!(
        "cannot create {}: {why}",
        path(rel)
    )))
}

/// The entries of folder `rel`, or `None` when it does not exist.
pub fn read_dir(rel: &str) -> Result<Option<Vec<DirEntry>>, Error> {
    found(sftp::readdir(&path(rel)))
}

/// Removes file `rel`; `None` when it was not there.
pub fn remove(rel: &str) -> Result<Option<()>, Error> {
    found(sftp::remove(&path(rel)))
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
    found(open(rel, OpenFlags::READ))
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

/// Creates a new file in the temporary folder, exclusively; returns its path.
pub fn create_temp() -> Result<(String, File), Error> {
    let mut last = None;
    for _ in 0..8 {
        let p = format!("{TMP_DIR}/{}", trove_driver::unique_id());
        match open(
            &p,
            OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
        ) {
            Ok(f) => return Ok((p, f)),
            Err(e @ Error::ObjectNotFound(_)) => {
                ensure_dir(".trove")?;
                ensure_dir(TMP_DIR)?;
                last = Some(e);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| Error::Internal("cannot create a temporary file".into())))
}
