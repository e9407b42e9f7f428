//! The preopened root and small helpers over the `wasi:filesystem` descriptor API.
//! Every path is relative to the root descriptor; the host (cap-std) refuses anything
//! that would climb out of it, and `layout` never builds such a path.

use std::cell::OnceCell;

use trove_driver::imports::filesystem::preopens::get_directories;
use trove_driver::imports::filesystem::types::{
    filesystem_error_code, Datetime, Descriptor, DescriptorFlags, DescriptorStat, DescriptorType,
    ErrorCode, OpenFlags, PathFlags,
};
use trove_driver::imports::io::streams::{OutputStream, StreamError};
use trove_driver::{Error, Timestamp};

use crate::layout;

/// The largest read the host serves in one `descriptor.read` call.
const READ_CHUNK: u64 = 64 * 1024;

thread_local! {
    static ROOT: OnceCell<Option<&'static Descriptor>> = const { OnceCell::new() };
}

/// The directory the host preopened: the one mounted at "/", else the first.
pub fn root() -> Result<&'static Descriptor, Error> {
    ROOT.with(|cell| {
        *cell.get_or_init(|| {
            let mut dirs = get_directories();
            let at = dirs.iter().position(|(_, p)| p == "/").unwrap_or(0);
            if dirs.is_empty() {
                return None;
            }
            let (dir, _) = dirs.swap_remove(at);
            Some(&*Box::leak(Box::new(dir)))
        })
    })
    .ok_or_else(|| {
        Error::InvalidArgument("the host preopened no directory for the file driver".into())
    })
}

/// Maps a filesystem error with no more specific meaning at the call site.
pub fn error(code: ErrorCode, what: &str) -> Error {
    match code {
        ErrorCode::Access | ErrorCode::NotPermitted | ErrorCode::ReadOnly => {
            Error::PermissionDenied(format!("{what}: {code:?}"))
        }
        ErrorCode::NameTooLong => {
            Error::InvalidArgument(format!("{what}: a name is too long for the file system"))
        }
        ErrorCode::InsufficientSpace | ErrorCode::Quota => {
            Error::Unavailable(format!("{what}: {code:?}"))
        }
        _ => Error::Internal(format!("{what}: {code:?}")),
    }
}

/// Stat without following symlinks; `None` when nothing is there (or a parent is a
/// file).
pub fn stat_at(path: &str) -> Result<Option<DescriptorStat>, Error> {
    match root()?.stat_at(PathFlags::empty(), path) {
        Ok(s) => Ok(Some(s)),
        Err(ErrorCode::NoEntry | ErrorCode::NotDirectory) => Ok(None),
        Err(e) => Err(error(e, &format!("stat of {path}"))),
    }
}

pub fn is_dir(path: &str) -> Result<bool, Error> {
    Ok(stat_at(path)?.is_some_and(|s| s.type_ == DescriptorType::Directory))
}

/// Opens a file for reading without following a symlink; `None` when there is no
/// file at `path` (missing, a symlink, or a parent that is a file).
fn open_read(path: &str) -> Result<Option<Descriptor>, Error> {
    match root()?.open_at(
        PathFlags::empty(),
        path,
        OpenFlags::empty(),
        DescriptorFlags::READ,
    ) {
        Ok(fd) => Ok(Some(fd)),
        Err(
            ErrorCode::NoEntry | ErrorCode::NotDirectory | ErrorCode::IsDirectory | ErrorCode::Loop,
        ) => Ok(None),
        Err(e) => Err(error(e, &format!("open of {path}"))),
    }
}

/// Opens a regular file for reading; `None` when there is no regular file at `path`
/// (missing, a folder, a symlink, or a parent that is a file).
pub fn open_file(path: &str) -> Result<Option<(Descriptor, DescriptorStat)>, Error> {
    let Some(fd) = open_read(path)? else {
        return Ok(None);
    };
    let stat = fd
        .stat()
        .map_err(|e| error(e, &format!("stat of {path}")))?;
    Ok(Some((fd, stat)).filter(|(_, s)| s.type_ == DescriptorType::RegularFile))
}

/// Reads up to `len` bytes at `offset` (several host reads if needed); shorter only at
/// the end of the file.
pub fn read_at(fd: &Descriptor, offset: u64, len: u64, what: &str) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(len.min(16 << 20) as usize);
    while (out.len() as u64) < len {
        let want = (len - out.len() as u64).min(READ_CHUNK);
        let (bytes, end) = fd
            .read(want, offset + out.len() as u64)
            .map_err(|e| error(e, what))?;
        out.extend_from_slice(&bytes);
        if bytes.is_empty() || end {
            break;
        }
    }
    Ok(out)
}

/// Hands the first `up_to` bytes of a file to `f` in pieces of 1 MiB; the number of
/// bytes handed.
pub fn each_chunk(
    fd: &Descriptor,
    up_to: u64,
    what: &str,
    mut f: impl FnMut(&[u8]) -> Result<(), Error>,
) -> Result<u64, Error> {
    let mut offset = 0;
    while offset < up_to {
        let chunk = read_at(fd, offset, (up_to - offset).min(1 << 20), what)?;
        if chunk.is_empty() {
            break;
        }
        f(&chunk)?;
        offset += chunk.len() as u64;
    }
    Ok(offset)
}

/// Reads a whole small file without a stat (a short read of a regular file is its end);
/// `None` when it is missing or not readable as a file.
pub fn read_small_file(path: &str, limit: u64) -> Result<Option<Vec<u8>>, Error> {
    let Some(fd) = open_read(path)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    loop {
        let Ok((bytes, end)) = fd.read(READ_CHUNK, out.len() as u64) else {
            return Ok(None);
        };
        let short = (bytes.len() as u64) < READ_CHUNK;
        out.extend_from_slice(&bytes);
        if out.len() as u64 > limit {
            return Err(Error::Internal(format!("{path} is larger than expected")));
        }
        if short || end {
            return Ok(Some(out));
        }
    }
}

/// The stat of the regular file at `path`; `None` when there is none (missing, a
/// folder, a symlink, or a parent that is a file).
pub fn stat_file(path: &str) -> Result<Option<DescriptorStat>, Error> {
    Ok(stat_at(path)?.filter(|s| s.type_ == DescriptorType::RegularFile))
}

/// Writes all of `data` at `offset`.
pub fn write_all(
    fd: &Descriptor,
    mut data: &[u8],
    mut offset: u64,
    what: &str,
) -> Result<(), Error> {
    while !data.is_empty() {
        let n = fd.write(data, offset).map_err(|e| error(e, what))?;
        if n == 0 {
            return Err(Error::Internal(format!(
                "{what}: the file system wrote nothing"
            )));
        }
        data = &data[n as usize..];
        offset += n;
    }
    Ok(())
}

/// Writes all of `data` to `out`, a file's write stream. Each write is handed to
/// the host, which lands it while the driver goes on; a write that failed says so
/// at a later call on the stream (at the latest [`flush_stream`]).
pub fn write_stream(out: &OutputStream, mut data: &[u8], what: &str) -> Result<(), Error> {
    while !data.is_empty() {
        let permit = out.check_write().map_err(|e| stream_error(e, what))?;
        if permit == 0 {
            out.subscribe().block();
            continue;
        }
        let n = data
            .len()
            .min(usize::try_from(permit).unwrap_or(usize::MAX));
        out.write(&data[..n]).map_err(|e| stream_error(e, what))?;
        data = &data[n..];
    }
    Ok(())
}

/// Waits until everything written to `out` has landed, or says why it did not.
pub fn flush_stream(out: &OutputStream, what: &str) -> Result<(), Error> {
    out.blocking_flush().map_err(|e| stream_error(e, what))
}

fn stream_error(e: StreamError, what: &str) -> Error {
    match e {
        StreamError::LastOperationFailed(err) => match filesystem_error_code(&err) {
            Some(code) => error(code, what),
            None => Error::Internal(format!("{what}: {}", err.to_debug_string())),
        },
        StreamError::Closed => Error::Internal(format!("{what}: the file's stream closed")),
    }
}

/// Creates a new file exclusively, open for reading and writing.
pub fn create_new(path: &str) -> Result<Descriptor, ErrorCode> {
    root().map_err(|_| ErrorCode::BadDescriptor)?.open_at(
        PathFlags::empty(),
        path,
        OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
        DescriptorFlags::READ | DescriptorFlags::WRITE,
    )
}

/// Creates `path` and its missing parents, like `mkdir -p` (something in the way
/// surfaces where the folder is used).
pub fn create_dir_all(path: &str) -> Result<(), Error> {
    let ends = path.match_indices('/').map(|(i, _)| i).chain([path.len()]);
    for upto in ends.map(|i| &path[..i]) {
        match root()?.create_directory_at(upto) {
            Ok(()) | Err(ErrorCode::Exist) => {}
            Err(e) => return Err(error(e, &format!("creating folder {upto}"))),
        }
    }
    Ok(())
}

/// What [`create_folders`] found.
pub enum Folders {
    /// Every folder exists now.
    Ready,
    /// The base folder itself is missing (it is never created here).
    NoBase,
    /// Something that is not a folder stands where a folder must be: this folder of
    /// `rel` (e.g. `a/b` of `a/b/c`).
    Blocked(String),
}

/// Creates the folders of `rel` (e.g. `a/b`) inside the existing folder `base`, which
/// is never created: a deleted bucket does not come back this way.
pub fn create_folders(base: &str, rel: &str) -> Result<Folders, Error> {
    let root = root()?;
    if rel.is_empty() {
        return Ok(if is_dir(base)? {
            Folders::Ready
        } else {
            Folders::NoBase
        });
    }
    // A concurrent delete may remove a folder just made (it was empty): start over.
    for _ in 0..16 {
        let mut end = 0;
        let vanished = loop {
            let next = rel[end..].find('/').map(|i| end + i);
            let folder = &rel[..next.unwrap_or(rel.len())];
            let upto = format!("{base}/{folder}");
            let blocked = || Ok(Folders::Blocked(folder.to_string()));
            match root.create_directory_at(&upto) {
                Ok(()) => {}
                Err(ErrorCode::Exist) => match stat_at(&upto)? {
                    Some(s) if s.type_ == DescriptorType::Directory => {}
                    Some(_) => return blocked(),
                    None => break true,
                },
                Err(ErrorCode::NoEntry) => break true,
                Err(ErrorCode::NotDirectory) => return blocked(),
                Err(e) => return Err(error(e, &format!("creating folder {upto}"))),
            }
            match next {
                Some(i) => end = i + 1,
                None => break false,
            }
        };
        if !vanished {
            return Ok(Folders::Ready);
        }
        if !is_dir(base)? {
            return Ok(Folders::NoBase);
        }
    }
    Err(Error::Unavailable(format!(
        "creating folder {base}/{rel}: its parents kept disappearing"
    )))
}

/// Removes a file; a missing one is fine.
pub fn remove_file(path: &str) -> Result<(), Error> {
    match root()?.unlink_file_at(path) {
        Ok(()) | Err(ErrorCode::NoEntry) => Ok(()),
        Err(e) => Err(error(e, &format!("removing {path}"))),
    }
}

/// One entry of a folder.
pub struct Entry {
    pub name: String,
    pub kind: DescriptorType,
}

/// The entries of a folder, unsorted; `None` when there is no folder at `path`.
pub fn read_dir(path: &str) -> Result<Option<Vec<Entry>>, Error> {
    let root = root()?;
    let dir;
    let dir_ref = if path.is_empty() {
        root
    } else {
        dir = match root.open_at(
            PathFlags::empty(),
            path,
            OpenFlags::DIRECTORY,
            DescriptorFlags::READ,
        ) {
            Ok(d) => d,
            Err(ErrorCode::NoEntry | ErrorCode::NotDirectory | ErrorCode::Loop) => return Ok(None),
            Err(e) => return Err(error(e, &format!("opening folder {path}"))),
        };
        &dir
    };
    let what = || format!("reading folder {path}");
    let stream = dir_ref.read_directory().map_err(|e| error(e, &what()))?;
    let mut entries = Vec::new();
    let mut bad_names = 0u32;
    loop {
        match stream.read_directory_entry() {
            Ok(Some(e)) => entries.push(Entry {
                name: e.name,
                kind: e.type_,
            }),
            Ok(None) => break,
            // A name that is not UTF-8 cannot be a key: leave it out.
            Err(ErrorCode::IllegalByteSequence) if bad_names < 100_000 => bad_names += 1,
            Err(e) => return Err(error(e, &what())),
        }
    }
    Ok(Some(entries))
}

/// Removes a folder and everything in it; missing things are fine. Used only on the
/// driver's own state (`.trove`).
pub fn remove_tree(path: &str) -> Result<(), Error> {
    let Some(entries) = read_dir(path)? else {
        return Ok(());
    };
    for e in entries {
        let child = format!("{path}/{}", e.name);
        if e.kind == DescriptorType::Directory {
            remove_tree(&child)?;
        } else {
            remove_file(&child)?;
        }
    }
    match root()?.remove_directory_at(path) {
        Ok(()) | Err(ErrorCode::NoEntry) => Ok(()),
        Err(e) => Err(error(e, &format!("removing folder {path}"))),
    }
}

/// Makes `.trove/tmp` and `.trove/meta`; failures surface later, where they matter.
pub fn prepare_state_dirs() {
    let _ = create_dir_all(layout::TMP_DIR);
    let _ = create_dir_all(layout::META_DIR);
}

/// A file time as the contract's timestamp.
pub fn timestamp(t: Datetime) -> Timestamp {
    Timestamp {
        seconds: t.seconds as i64,
        nanoseconds: t.nanoseconds,
    }
}
