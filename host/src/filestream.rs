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

use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::filesystem::Descriptor;
use wasmtime_wasi::p2::bindings::filesystem::types::ErrorCode;
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream};
use wasmtime_wasi::WasiView;

pub(crate) use write::WriteBudget;

/// Store data that keeps the instance's [`WriteBudget`].
pub(crate) trait HasWriteBudget {
    fn write_budget(&self) -> WriteBudget;
}

/// Shadow `[method]descriptor.read-via-stream` and `write-via-stream` in
/// `linker` (after wasmtime-wasi's own functions were added). They see only
/// the WASI view's resource table (and the write budget).
pub(crate) fn add_to_linker<T: WasiView + HasWriteBudget + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let r = shadow(linker);
    linker.allow_shadowing(false);
    r
}

fn shadow<T: WasiView + HasWriteBudget + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    let mut types = linker.instance("wasi:filesystem/types@0.2.12")?;
    types.func_wrap(
        "[method]descriptor.read-via-stream",
        |mut store: wasmtime::StoreContextMut<'_, T>,
         (fd, offset): (Resource<Descriptor>, u64)|
         -> wasmtime::Result<(Result<Resource<DynInputStream>, ErrorCode>,)> {
            let table = store.data_mut().ctx().table;
            let file = match table.get(&fd)? {
                Descriptor::File(f) => f.file.clone(),
                Descriptor::Dir(_) => return Ok((Err(ErrorCode::IsDirectory),)),
            };
            let stream: DynInputStream = Box::new(read::FileStream::new(file, offset));
            Ok((Ok(table.push(stream)?),))
        },
    )?;
    types.func_wrap(
        "[method]descriptor.write-via-stream",
        |mut store: wasmtime::StoreContextMut<'_, T>,
         (fd, offset): (Resource<Descriptor>, u64)|
         -> wasmtime::Result<(Result<Resource<DynOutputStream>, ErrorCode>,)> {
            let budget = store.data().write_budget();
            let table = store.data_mut().ctx().table;
            let file = match table.get(&fd)? {
                Descriptor::File(f) if !f.perms.write_not_permitted() => f.file.clone(),
                Descriptor::File(_) => return Ok((Err(ErrorCode::NotPermitted),)),
                Descriptor::Dir(_) => return Ok((Err(ErrorCode::IsDirectory),)),
            };
            let stream: DynOutputStream =
                Box::new(write::FileWriteStream::new(file, offset, budget));
            Ok((Ok(table.push(stream)?),))
        },
    )?;
    Ok(())
}
