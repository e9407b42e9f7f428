//! `write-via-stream`: a stream that takes up to 1 MiB per `write` and
//! writes it with `pwrite` on a blocking thread while the guest goes on (the
//! file driver hashes the chunk for its ETag meanwhile). Two writes may be in
//! flight per stream; `check-write` says 0 while two are, and a write's
//! error is a later call's (`last-operation-failed`), as WASI streams report
//! errors. `flush` and the stream's pollable wait for the writes in flight.
//!
//! The bytes in flight are counted against the instance's write [`Budget`],
//! so a guest that opens many streams cannot make the host hold more than
//! the budget: a stream whose write would exceed it says 0 to `check-write`
//! until other writes landed.

use bytes::{Bytes, BytesMut};
use futures::FutureExt;
use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

use super::Budget;

/// The most one `write` may carry (the permit `check-write` gives).
pub(crate) const WRITE: usize = 1 << 20;

/// Buffers for the chunks a guest writes to a stream (see [`Landed`]): a
/// chunk the file stream wrote comes back here and holds the next one, so a
/// put of any size reuses a few buffers instead of asking the allocator for a
/// fresh 1 MiB every time.
#[derive(Clone, Default)]
pub(crate) struct ChunkPool(Arc<std::sync::Mutex<Vec<BytesMut>>>);

/// Buffers kept: the writes one stream may have in flight and one being filled.
const POOL: usize = DEPTH + 1;

/// Chunks at least this long come from the pool.
pub(crate) const POOLED_FROM: usize = 64 << 10;

impl ChunkPool {
    /// `data` copied into a pooled buffer (a new one when none is free).
    pub(crate) fn copy(&self, data: &[u8]) -> Bytes {
        let buf = match data.len() >= POOLED_FROM {
            true => self.0.lock().unwrap().pop(),
            false => None,
        };
        let mut buf = buf.unwrap_or_else(|| BytesMut::with_capacity(data.len().max(WRITE)));
        buf.extend_from_slice(data);
        buf.freeze()
    }

    /// An empty buffer of [`WRITE`] bytes' capacity (a pooled one when
    /// one is free), for a chunk the host fills itself.
    pub(crate) fn take(&self) -> BytesMut {
        let buf = self.0.lock().unwrap().pop();
        buf.unwrap_or_else(|| BytesMut::with_capacity(WRITE))
    }

    /// Give `chunk`'s buffer back (when no one else holds it).
    fn give_back(&self, chunk: Bytes) {
        if let Ok(mut buf) = chunk.try_into_mut() {
            if buf.capacity() >= WRITE {
                buf.clear();
                let mut pool = self.0.lock().unwrap();
                if pool.len() < POOL {
                    pool.push(buf);
                }
            }
        }
    }
}

/// Writes one stream may have in flight: the guest hands over the next chunk
/// while the previous one is still being written, so neither it nor the
/// blocking thread waits for the other between chunks.
const DEPTH: usize = 2;

pub(super) struct FileWriteStream {
    file: Arc<std::fs::File>,
    /// Where the next write starts (writes are positioned, so two in flight
    /// land correctly in either order).
    at: u64,
    budget: Budget,
    /// The writes in flight on blocking threads, oldest first.
    inflight: VecDeque<tokio::task::JoinHandle<Landed>>,
    /// Held by the write landing now: the writes in flight land one after
    /// the other. Two `pwrite`s at once to one file contend for its inode
    /// lock in the kernel, and the waiter spun on it (16% of a 64 MiB put's
    /// CPU time on 2 cores, taken from the guest); the second one waits here
    /// asleep instead, its chunk ready.
    lane: Arc<std::sync::Mutex<()>>,
    pool: ChunkPool,
    /// `flush` was called: `check-write` says 0 until every write landed.
    flushing: bool,
    /// A write failed: reported once, then the stream is closed.
    failed: Option<io::Error>,
    closed: bool,
}

/// A write's outcome. Its chunk went back to the [`ChunkPool`] as soon as it
/// was written, before its share of the budget was released: a chunk freed
/// once written went back to the top of the allocator's heap, which gave the
/// memory back to the system, so each next chunk the guest handed over was
/// fresh pages, every page a fault (30,000 per 256 MiB put, more time than
/// the ETag hash); and a chunk kept in the outcome stayed alive until the
/// guest next called the stream, which a guest that forgets its streams
/// never does (5,000 such streams held 2 GiB while the budget said 4 MiB).
type Landed = io::Result<()>;

fn pwrite_all(file: &std::fs::File, mut data: &[u8], mut at: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    while !data.is_empty() {
        match file.write_at(data, at) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
            Ok(n) => {
                data = &data[n..];
                at += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl FileWriteStream {
    pub(super) fn new(
        file: Arc<std::fs::File>,
        offset: u64,
        budget: Budget,
        pool: ChunkPool,
    ) -> Self {
        FileWriteStream {
            file,
            at: offset,
            budget,
            inflight: VecDeque::new(),
            lane: Default::default(),
            pool,
            flushing: false,
            failed: None,
            closed: false,
        }
    }

    fn landed(&mut self, r: Result<Landed, tokio::task::JoinError>) {
        let e = match r {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e,
            Err(e) => io::Error::other(e),
        };
        self.failed.get_or_insert(e);
    }

    /// Take the outcomes of the writes that already landed (no waiting).
    fn harvest(&mut self) {
        while let Some(task) = self.inflight.front_mut() {
            if !task.is_finished() {
                break;
            }
            let Some(r) = task.now_or_never() else { break };
            self.inflight.pop_front();
            self.landed(r);
        }
        if self.inflight.is_empty() {
            self.flushing = false;
        }
    }

    /// The stream's state for the guest's next call: a failure (once, the
    /// stream is closed after it) or closed.
    fn check(&mut self) -> StreamResult<()> {
        self.harvest();
        if let Some(e) = self.failed.take() {
            self.closed = true;
            return Err(StreamError::LastOperationFailed(e.into()));
        }
        if self.closed {
            return Err(StreamError::Closed);
        }
        Ok(())
    }

    fn permit(&self) -> usize {
        if self.flushing || self.inflight.len() >= DEPTH || !self.budget.has_room(WRITE) {
            0
        } else {
            WRITE
        }
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for FileWriteStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.check()?;
        if bytes.len() > self.permit() {
            return Err(StreamError::trap(
                "write of more bytes than check-write permitted",
            ));
        }
        if bytes.is_empty() {
            return Ok(());
        }
        let (file, at, lane) = (self.file.clone(), self.at, self.lane.clone());
        let pool = self.pool.clone();
        self.at += bytes.len() as u64;
        match self.budget.take(bytes.len()) {
            Some(permit) => self
                .inflight
                .push_back(tokio::task::spawn_blocking(move || {
                    let landing = lane.lock().unwrap_or_else(|e| e.into_inner());
                    let r = pwrite_all(&file, &bytes, at);
                    drop(landing);
                    pool.give_back(bytes);
                    drop(permit);
                    r
                })),
            // check-write permitted it, so the budget had room then; should it
            // not now, write here (the host allows blocking this thread).
            None => {
                let r = pwrite_all(&file, &bytes, at);
                pool.give_back(bytes);
                self.landed(Ok(r));
            }
        }
        Ok(())
    }

    /// Nothing is buffered here: a flush is the writes in flight landing,
    /// which `check-write` (0 until then) and the pollable wait for.
    fn flush(&mut self) -> StreamResult<()> {
        self.check()?;
        self.flushing = !self.inflight.is_empty();
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        self.check()?;
        Ok(self.permit())
    }

    /// A write in flight cannot be stopped halfway: wait for them, so that
    /// nothing reaches the file after the stream is gone.
    async fn cancel(&mut self) {
        self.closed = true;
        while let Some(task) = self.inflight.pop_front() {
            let _ = task.await;
        }
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for FileWriteStream {
    async fn ready(&mut self) {
        // Room for one more write (all of them, after a flush).
        while self.failed.is_none()
            && (self.inflight.len() >= DEPTH || (self.flushing && !self.inflight.is_empty()))
        {
            let Some(task) = self.inflight.pop_front() else {
                break;
            };
            let r = task.await;
            self.landed(r);
        }
        self.harvest();
        if self.failed.is_none() && !self.closed && !self.flushing {
            self.budget.room(WRITE).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filestream::BUDGET;

    async fn write_all(s: &mut FileWriteStream, mut data: Bytes) {
        while !data.is_empty() {
            let n = s.write_ready().await.unwrap();
            s.write(data.split_to(n.min(data.len()))).unwrap();
        }
        s.flush().unwrap();
        s.write_ready().await.unwrap();
    }

    #[tokio::test]
    async fn writes_land_in_order_from_an_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        let file = Arc::new(
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .unwrap(),
        );
        let data: Vec<u8> = (0..(3 * WRITE + 12_345)).map(|i| (i % 251) as u8).collect();
        let mut s = FileWriteStream::new(file, 4, Budget::new(BUDGET), ChunkPool::default());
        write_all(&mut s, Bytes::from(data.clone())).await;
        let got = std::fs::read(&path).unwrap();
        assert_eq!(&got[..4], b"0123");
        assert_eq!(&got[4..], &data[..]);
    }

    #[tokio::test]
    async fn a_write_over_the_permit_traps_and_a_failure_is_reported_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"").unwrap();
        // Opened read-only: the write fails on the blocking thread.
        let file = Arc::new(std::fs::File::open(&path).unwrap());
        let mut s = FileWriteStream::new(file, 0, Budget::new(BUDGET), ChunkPool::default());
        assert!(matches!(
            s.write(Bytes::from(vec![0u8; WRITE + 1])),
            Err(StreamError::Trap(_))
        ));
        s.write(Bytes::from_static(b"abc")).unwrap();
        s.flush().unwrap();
        assert!(matches!(
            s.write_ready().await,
            Err(StreamError::LastOperationFailed(_))
        ));
        assert!(matches!(s.check_write(), Err(StreamError::Closed)));
    }

    #[tokio::test]
    async fn streams_of_one_instance_share_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let budget = Budget::new(BUDGET);
        // Hold all but less than a permit's worth, as writes in flight would.
        let held = budget.take(BUDGET - WRITE + 1).unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"").unwrap();
        let file = Arc::new(std::fs::OpenOptions::new().write(true).open(&path).unwrap());
        let mut s = FileWriteStream::new(file, 0, budget.clone(), ChunkPool::default());
        assert_eq!(s.check_write().unwrap(), 0, "no room: no permit");
        let waiting = tokio::spawn(async move {
            let n = s.write_ready().await.unwrap();
            (s, n)
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the stream waits for room");
        drop(held);
        let (_s, n) = waiting.await.unwrap();
        assert_eq!(n, WRITE);
    }

    /// Two writes are taken while neither has landed, and they land one
    /// after the other: both wait while the stream's lane is held.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_in_flight_land_one_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"").unwrap();
        let file = Arc::new(std::fs::OpenOptions::new().write(true).open(&path).unwrap());
        let mut s = FileWriteStream::new(file, 0, Budget::new(BUDGET), ChunkPool::default());
        let lane = s.lane.clone();
        let landing = lane.lock().unwrap();
        s.write(Bytes::from(vec![1u8; WRITE])).unwrap();
        assert_eq!(
            s.check_write().unwrap(),
            WRITE,
            "a second write is permitted"
        );
        s.write(Bytes::from(vec![2u8; WRITE])).unwrap();
        assert_eq!(s.check_write().unwrap(), 0, "two in flight: no third");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "neither landed");
        drop(landing);
        s.flush().unwrap();
        s.write_ready().await.unwrap();
        let got = std::fs::read(&path).unwrap();
        assert_eq!(got.len(), 2 * WRITE);
        assert!(got[..WRITE].iter().all(|&b| b == 1) && got[WRITE..].iter().all(|&b| b == 2));
    }
}
