//! The file driver's streams: `wasi:filesystem` `read-via-stream` and
//! `write-via-stream`, replaced with streams that move 1 MiB per `pread` or
//! `pwrite` on a blocking thread, overlapping the guest's work: a read is
//! kept in flight while the current chunk is consumed ([`read`]), a write
//! lands while the guest goes on ([`write`]).
//!
//! wasmtime-wasi's own file streams move at most 64 KiB per call, each a
//! `spawn_blocking` round trip, which capped a `get` through the file driver
//! near 3–4 GB/s (BENCHMARKS.md); its plain `write` is synchronous, so a put
//! hashed and wrote each chunk one after the other. The sandbox does not
//! change: a stream is made from a descriptor the guest already holds
//! (opened under its one preopen), exactly as wasmtime-wasi makes its own,
//! with the same permission check.

mod read;
mod write;

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::component::{Linker, Resource, WasmList};
use wasmtime_wasi::filesystem::Descriptor;
use wasmtime_wasi::p2::bindings::filesystem::types::ErrorCode;
use wasmtime_wasi::p2::bindings::io::streams;
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream};
use wasmtime_wasi::WasiView;

pub(crate) use read::ReadPool;
pub(crate) use write::ChunkPool;

/// Bytes the read streams, and likewise the write streams, of one instance
/// may hold in host memory at once (a read ahead not yet handed out, a write
/// not yet landed): a guest that opens thousands of streams gets no more.
pub(crate) const BUDGET: usize = 4 << 20;

/// A budget of bytes, shared by an instance's streams of one kind.
#[derive(Clone)]
pub(crate) struct Budget(Arc<Semaphore>);

impl Budget {
    pub(crate) fn new(bytes: usize) -> Budget {
        Budget(Arc::new(Semaphore::new(bytes)))
    }

    /// Whether `n` bytes are free now.
    fn has_room(&self, n: usize) -> bool {
        self.0.available_permits() >= n
    }

    /// `n` bytes of the budget, if free now.
    fn take(&self, n: usize) -> Option<OwnedSemaphorePermit> {
        self.0.clone().try_acquire_many_owned(n as u32).ok()
    }

    /// Wait until `n` bytes are free.
    async fn room(&self, n: usize) {
        let held = self.0.acquire_many(n as u32).await;
        drop(held.expect("the budget's semaphore is never closed"));
    }
}

/// What an instance's file streams share: the budgets of bytes held and
/// the chunk buffers.
#[derive(Clone)]
pub(crate) struct FileIo {
    pub(crate) reads: Budget,
    pub(crate) writes: Budget,
    pub(crate) pool: ChunkPool,
    pub(crate) read_pool: ReadPool,
}

impl Default for FileIo {
    fn default() -> Self {
        FileIo {
            reads: Budget::new(BUDGET),
            writes: Budget::new(BUDGET),
            pool: ChunkPool::default(),
            read_pool: ReadPool::default(),
        }
    }
}

/// Store data that keeps the instance's [`FileIo`].
pub(crate) trait HasFileIo {
    fn file_io(&self) -> FileIo;
}

/// Shadow `[method]descriptor.read-via-stream` and `write-via-stream`, and
/// `[method]output-stream.write`, in `linker` (after wasmtime-wasi's own
/// functions were added). They see only the WASI view's resource table (and
/// the instance's [`FileIo`]).
pub(crate) fn add_to_linker<T: WasiView + HasFileIo + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let r = shadow(linker);
    linker.allow_shadowing(false);
    r
}

fn shadow<T: WasiView + HasFileIo + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    let mut types = linker.instance("wasi:filesystem/types@0.2.12")?;
    types.func_wrap(
        "[method]descriptor.read-via-stream",
        |mut store: wasmtime::StoreContextMut<'_, T>,
         (fd, offset): (Resource<Descriptor>, u64)|
         -> wasmtime::Result<(Result<Resource<DynInputStream>, ErrorCode>,)> {
            let io = store.data().file_io();
            let table = store.data_mut().ctx().table;
            let file = match table.get(&fd)? {
                Descriptor::File(f) => f.file.clone(),
                Descriptor::Dir(_) => return Ok((Err(ErrorCode::IsDirectory),)),
            };
            let stream: DynInputStream =
                Box::new(read::FileStream::new(file, offset, io.reads, io.read_pool));
            Ok((Ok(table.push(stream)?),))
        },
    )?;
    types.func_wrap(
        "[method]descriptor.write-via-stream",
        |mut store: wasmtime::StoreContextMut<'_, T>,
         (fd, offset): (Resource<Descriptor>, u64)|
         -> wasmtime::Result<(Result<Resource<DynOutputStream>, ErrorCode>,)> {
            let io = store.data().file_io();
            let table = store.data_mut().ctx().table;
            let file = match table.get(&fd)? {
                Descriptor::File(f) if !f.perms.write_not_permitted() => f.file.clone(),
                Descriptor::File(_) => return Ok((Err(ErrorCode::NotPermitted),)),
                Descriptor::Dir(_) => return Ok((Err(ErrorCode::IsDirectory),)),
            };
            let stream: DynOutputStream = Box::new(write::FileWriteStream::new(
                file, offset, io.writes, io.pool,
            ));
            Ok((Ok(table.push(stream)?),))
        },
    )?;
    // Any output stream's `write`, as wasmtime-wasi's, except that the bytes
    // are copied from the guest's memory into a pooled buffer instead of a
    // new one (see `write::ChunkPool`). Every output stream of this host
    // permits at most 1 MiB per write (its own file streams; wasmtime-wasi's
    // 64 KiB; the stderr pipe its 1 MiB capacity).
    linker.instance("wasi:io/streams@0.2.12")?.func_wrap(
        "[method]output-stream.write",
        |mut store: wasmtime::StoreContextMut<'_, T>,
         (stream, contents): (Resource<DynOutputStream>, WasmList<u8>)|
         -> wasmtime::Result<(Result<(), streams::StreamError>,)> {
            // No stream here permits more than this: refused before any copy
            // (wasmtime's own lift was bounded by the host-call fuel).
            if contents.len() > write::WRITE {
                return Err(wasmtime::format_err!(
                    "output-stream.write of {} bytes: more than check-write permits",
                    contents.len()
                ));
            }
            let pool = store.data().file_io().pool;
            let bytes = pool.copy(contents.as_le_slice(&store));
            let table = store.data_mut().ctx().table;
            let r = match table.get_mut(&stream)?.write(bytes) {
                Ok(()) => Ok(()),
                Err(e) => Err(streams::Host::convert_stream_error(table, e)?),
            };
            Ok((r,))
        },
    )?;
    Ok(())
}
