//! The `splice` import: a hasher that moves bytes from one host stream the
//! guest holds to another (the upload `stream-put` received into a file's
//! write stream), hashing them on the way, so that the bytes never enter
//! guest memory and the driver still gets its content ETag (xxh3-128, the
//! hash `trove_driver_common::etag` computes in the guest).
//!
//! It reaches nothing new: both streams are resources the guest already
//! holds, each looked up by its type in the instance's table, and hashers
//! count against the table's capacity like any other handle.

use bytes::{Bytes, BytesMut};
use wasmtime::component::{HasData, Resource, ResourceTable};
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream, StreamError};
use xxhash_rust::xxh3::Xxh3;

use crate::bindings::trove::driver::splice as wit_splice;
use crate::bindings::wit::Error as WitError;

/// The most one `splice` moves (a file write stream's permit).
const MAX_MOVE: usize = 1 << 20;

/// Pieces shorter than this are gathered until they are (or the input ends),
/// so that a stream read in small pieces is not written in small pieces.
const GATHER_TO: usize = 64 << 10;

pub(crate) struct SpliceView<'a> {
    pub(crate) table: &'a mut ResourceTable,
}

/// The `splice` import's [`HasData`]: its functions get a [`SpliceView`].
pub(crate) struct SpliceImport;

impl HasData for SpliceImport {
    type Data<'a> = SpliceView<'a>;
}

/// A `hasher` resource: the hash and count of the bytes moved through it.
pub(crate) struct Hasher {
    xxh: Box<Xxh3>,
    moved: u64,
}

type WitResult<T> = wasmtime::Result<Result<T, WitError>>;

fn mine(r: &Resource<wit_splice::Hasher>) -> Resource<Hasher> {
    Resource::new_borrow(r.rep())
}

/// A stream's failure as the contract's error: the I/O error's kind where
/// it says one (a full disk is `unavailable`, as the file driver says it),
/// else `internal`. A trap stays a trap.
fn failed(which: &str, e: StreamError) -> wasmtime::Result<WitError> {
    let e = match e {
        StreamError::Closed => return Ok(WitError::Internal(format!("{which} is closed"))),
        StreamError::Trap(e) => return Err(e),
        StreamError::LastOperationFailed(e) => e,
    };
    let msg = format!("{which}: {e:#}");
    Ok(match e.downcast_ref::<std::io::Error>().map(|e| e.kind()) {
        Some(std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded) => {
            WitError::Unavailable(msg)
        }
        Some(std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem) => {
            WitError::PermissionDenied(msg)
        }
        _ => WitError::Internal(msg),
    })
}

/// Up to `want` bytes from `src`, waiting for the first; pieces are
/// gathered up to [`GATHER_TO`]. `None`: the input has ended.
async fn take(src: &mut DynInputStream, want: usize) -> Result<Option<Bytes>, StreamError> {
    let mut gathered: Option<BytesMut> = None;
    loop {
        let have = gathered.as_ref().map_or(0, |g| g.len());
        let piece = match src.blocking_read(want - have).await {
            Ok(b) => b,
            Err(StreamError::Closed) => return Ok(gathered.map(BytesMut::freeze)),
            Err(e) => return Err(e),
        };
        if piece.is_empty() {
            continue;
        }
        let g = match gathered.as_mut() {
            None if piece.len() >= GATHER_TO.min(want) => return Ok(Some(piece)),
            None => gathered.insert(BytesMut::with_capacity(want)),
            Some(g) => g,
        };
        g.extend_from_slice(&piece);
        if g.len() >= GATHER_TO.min(want) {
            return Ok(gathered.map(BytesMut::freeze));
        }
    }
}

impl wit_splice::Host for SpliceView<'_> {}

impl wit_splice::HostHasher for SpliceView<'_> {
    async fn new(&mut self) -> wasmtime::Result<Resource<wit_splice::Hasher>> {
        let r = self.table.push(Hasher {
            xxh: Box::new(Xxh3::new()),
            moved: 0,
        })?;
        Ok(Resource::new_own(r.rep()))
    }

    async fn splice(
        &mut self,
        h: Resource<wit_splice::Hasher>,
        dst: Resource<DynOutputStream>,
        src: Resource<DynInputStream>,
        len: u64,
    ) -> WitResult<u64> {
        // The hasher first: a stale handle traps before anything moves.
        self.table.get(&mine(&h))?;
        if len == 0 {
            return Ok(Err(WitError::InvalidArgument(
                "splice of 0 bytes (0 is what an ended input returns)".into(),
            )));
        }
        let out: &mut DynOutputStream = self.table.get_mut(&dst)?;
        // `write_ready` waits for the stream's pollable first, even with
        // room: a file stream's is ready only once its writes ran down to
        // half, so waiting there kept half its queue empty.
        let room = match out.check_write() {
            Ok(0) => out.write_ready().await,
            r => r,
        };
        let room = match room {
            Ok(n) => n,
            Err(e) => return Ok(Err(failed("the output stream", e)?)),
        };
        let want = usize::try_from(len)
            .unwrap_or(usize::MAX)
            .min(room)
            .min(MAX_MOVE);
        let input: &mut DynInputStream = self.table.get_mut(&src)?;
        let data = match take(input, want).await {
            Ok(Some(data)) => data,
            Ok(None) => return Ok(Ok(0)),
            Err(e) => return Ok(Err(failed("the input stream", e)?)),
        };
        let n = data.len();
        let hasher: &mut Hasher = self.table.get_mut(&mine(&h))?;
        hasher.xxh.update(&data);
        hasher.moved += n as u64;
        let out: &mut DynOutputStream = self.table.get_mut(&dst)?;
        if let Err(e) = out.write(data) {
            return Ok(Err(failed("the output stream", e)?));
        }
        Ok(Ok(n as u64))
    }

    async fn digest(&mut self, h: Resource<wit_splice::Hasher>) -> wasmtime::Result<(u64, u64)> {
        let d = self.table.get(&mine(&h))?.xxh.digest128();
        Ok(((d >> 64) as u64, d as u64))
    }

    async fn moved(&mut self, h: Resource<wit_splice::Hasher>) -> wasmtime::Result<u64> {
        Ok(self.table.get(&mine(&h))?.moved)
    }

    async fn drop(&mut self, h: Resource<wit_splice::Hasher>) -> wasmtime::Result<()> {
        self.table.delete(Resource::<Hasher>::new_own(h.rep()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};

    /// Bytes moved in pieces arrive whole and in order, and the digest is
    /// the xxh3-128 of all of them (what the guest's ETag hashes).
    #[tokio::test]
    async fn moves_and_hashes_what_it_moves() {
        use wit_splice::HostHasher;
        let data: Vec<u8> = (0..(3 * MAX_MOVE + 777)).map(|i| (i % 253) as u8).collect();
        let mut table = ResourceTable::new();
        let src: DynInputStream = Box::new(MemoryInputPipe::new(data.clone()));
        let out = MemoryOutputPipe::new(usize::MAX);
        let dst: DynOutputStream = Box::new(out.clone());
        let (src, dst) = (table.push(src).unwrap(), table.push(dst).unwrap());
        let mut v = SpliceView { table: &mut table };
        let h = v.new().await.unwrap();
        let borrow = |r: &Resource<wit_splice::Hasher>| Resource::new_borrow(r.rep());
        let zero = v
            .splice(
                borrow(&h),
                Resource::new_borrow(dst.rep()),
                Resource::new_borrow(src.rep()),
                0,
            )
            .await
            .unwrap();
        assert!(matches!(zero, Err(WitError::InvalidArgument(_))));
        let mut total = 0;
        loop {
            let n = v
                .splice(
                    borrow(&h),
                    Resource::new_borrow(dst.rep()),
                    Resource::new_borrow(src.rep()),
                    u64::MAX,
                )
                .await
                .unwrap()
                .unwrap();
            if n == 0 {
                break;
            }
            assert!(n as usize <= MAX_MOVE);
            total += n;
        }
        assert_eq!(total, data.len() as u64);
        assert_eq!(v.moved(borrow(&h)).await.unwrap(), total);
        let (hi, lo) = v.digest(borrow(&h)).await.unwrap();
        let want = xxhash_rust::xxh3::xxh3_128(&data);
        assert_eq!(((hi as u128) << 64) | lo as u128, want);
        assert_eq!(out.contents(), data);
        v.drop(h).await.unwrap();
    }
}
