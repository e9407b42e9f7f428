//! `write-via-stream`: a stream that takes up to 1 MiB per `write` and
//! writes it with `pwrite` on a blocking thread while the guest goes on (the
//! file driver hashes the chunk for its ETag meanwhile). Four writes may be
//! in flight per stream (the whole write budget), written one after the other
//! by one writer; `check-write` says 0 while four are, and a write's error
//! is a later call's (`last-operation-failed`), as WASI streams report
//! errors. `flush` and the stream's pollable wait for the writes in flight.
//!
//! The bytes in flight are counted against the instance's write [`Budget`],
//! so a guest that opens many streams cannot make the host hold more than
//! the budget: a stream whose write would exceed it says 0 to `check-write`
//! until other writes landed.

use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

use super::Budget;
use tokio::sync::OwnedSemaphorePermit;

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

/// Writes one stream may have in flight: the guest hands over the next chunks
/// while one is being written, so the writer never waits for it between
/// chunks.
const DEPTH: usize = 4;

/// A stream waiting for room is ready again once the writes in flight ran
/// down to this many (not as soon as one landed): the guest then hands over
/// several chunks per wake-up.
const LOW: usize = DEPTH / 2;

pub(super) struct FileWriteStream {
    file: Arc<std::fs::File>,
    /// Where the next write starts.
    at: u64,
    budget: Budget,
    pool: ChunkPool,
    /// The chunks handed over and not yet written, shared with the writer.
    lane: Arc<Lane>,
    /// `flush` was called: `check-write` says 0 until every write landed.
    flushing: bool,
    closed: bool,
}

/// What a stream shares with its writer: one blocking thread at a time that
/// writes the queued chunks one after the other, taking the next one as soon
/// as the last landed. A task per chunk, each waiting for the one before (two
/// `pwrite`s at once to one file contend for its inode lock, and the waiter
/// spun on it), cost a thread wake-up between every two chunks: 30 µs a MiB
/// in which the disk wrote nothing, 12% of a 64 MiB put.
#[derive(Default)]
struct Lane {
    state: std::sync::Mutex<LaneState>,
    /// Told each time a write lands (or fails).
    landed: tokio::sync::Notify,
}

#[derive(Default)]
struct LaneState {
    /// Oldest first, each with its offset and its share of the budget.
    queue: VecDeque<Queued>,
    /// The writer is writing a chunk it took from the queue. A writer runs
    /// (or is about to) exactly while this is set or the queue is not empty.
    writing: bool,
    /// A write failed: reported once, then the stream is closed; the chunks
    /// still queued are dropped unwritten.
    failed: Option<io::Error>,
}

impl LaneState {
    fn in_flight(&self) -> usize {
        self.queue.len() + self.writing as usize
    }

    /// Whether a writer is running, or was started and has not yet taken
    /// its first chunk.
    fn running(&self) -> bool {
        self.writing || !self.queue.is_empty()
    }
}

/// A chunk waiting for the writer. Its buffer goes back to the
/// [`ChunkPool`] as soon as it was written, before its share of the budget
/// is released: a chunk freed once written went back to the top of the
/// allocator's heap, which gave the memory back to the system, so each next
/// chunk the guest handed over was fresh pages, every page a fault (30,000
/// per 256 MiB put, more time than the ETag hash); and a chunk kept until
/// the guest next called the stream stayed alive as long as a guest that
/// forgets its streams pleased (5,000 such streams held 2 GiB while the
/// budget said 4 MiB).
struct Queued {
    data: Bytes,
    at: u64,
    permit: OwnedSemaphorePermit,
}

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

impl Lane {
    fn state(&self) -> std::sync::MutexGuard<'_, LaneState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The writer: the queued chunks, in order, until none is left. It wakes
    /// the stream's waiters only when the queue ran down to [`LOW`] (or a
    /// write failed, or it ends): a wake-up costs a system call here, 10 to
    /// 50 µs on a virtual machine, in which the disk writes nothing.
    fn write_queued(&self, file: &std::fs::File, pool: &ChunkPool) {
        let mut landed: Option<io::Result<()>> = None;
        loop {
            let (q, wake) = {
                let mut st = self.state();
                if let Some(Err(e)) = landed.take() {
                    st.failed.get_or_insert(e);
                }
                if st.failed.is_some() {
                    // Nothing more reaches the file after a failed write.
                    st.queue.clear();
                }
                let q = st.queue.pop_front();
                st.writing = q.is_some();
                (q, st.queue.len() < LOW || st.failed.is_some())
            };
            if wake {
                self.landed.notify_waiters();
            }
            let Some(q) = q else { return };
            let r = pwrite_all(file, &q.data, q.at);
            pool.give_back(q.data);
            drop(q.permit);
            landed = Some(r);
        }
    }

    /// Wait until `done` holds of the lane's state.
    async fn wait_until(&self, done: impl Fn(&LaneState) -> bool) {
        loop {
            let landed = self.landed.notified();
            tokio::pin!(landed);
            landed.as_mut().enable();
            if done(&self.state()) {
                return;
            }
            landed.await;
        }
    }
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
            pool,
            lane: Default::default(),
            flushing: false,
            closed: false,
        }
    }

    /// The stream's state for the guest's next call: a failure (once, the
    /// stream is closed after it) or closed.
    fn check(&mut self) -> StreamResult<usize> {
        let mut st = self.lane.state();
        if let Some(e) = st.failed.take() {
            self.closed = true;
            return Err(StreamError::LastOperationFailed(e.into()));
        }
        if self.closed {
            return Err(StreamError::Closed);
        }
        let in_flight = st.in_flight();
        drop(st);
        if in_flight == 0 {
            self.flushing = false;
        }
        Ok(in_flight)
    }

    fn permit(&self, in_flight: usize) -> usize {
        if self.flushing || in_flight >= DEPTH || !self.budget.has_room(WRITE) {
            0
        } else {
            WRITE
        }
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for FileWriteStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        let in_flight = self.check()?;
        if bytes.len() > self.permit(in_flight) {
            return Err(StreamError::trap(
                "write of more bytes than check-write permitted",
            ));
        }
        if bytes.is_empty() {
            return Ok(());
        }
        let at = self.at;
        self.at += bytes.len() as u64;
        let Some(permit) = self.budget.take(bytes.len()) else {
            // check-write permitted it, so the budget had room then; should it
            // not now, write here (the host allows blocking this thread).
            let r = pwrite_all(&self.file, &bytes, at);
            self.pool.give_back(bytes);
            if let Err(e) = r {
                self.lane.state().failed.get_or_insert(e);
            }
            return Ok(());
        };
        let mut st = self.lane.state();
        let start = !st.running();
        st.queue.push_back(Queued {
            data: bytes,
            at,
            permit,
        });
        if start {
            let (lane, file, pool) = (self.lane.clone(), self.file.clone(), self.pool.clone());
            tokio::task::spawn_blocking(move || lane.write_queued(&file, &pool));
        }
        Ok(())
    }

    /// Nothing is buffered here: a flush is the writes in flight landing,
    /// which `check-write` (0 until then) and the pollable wait for.
    fn flush(&mut self) -> StreamResult<()> {
        self.flushing = self.check()? > 0;
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        let in_flight = self.check()?;
        Ok(self.permit(in_flight))
    }

    /// A write in flight cannot be stopped halfway: wait for them, so that
    /// nothing reaches the file after the stream is gone.
    async fn cancel(&mut self) {
        self.closed = true;
        self.lane.wait_until(|st| !st.running()).await;
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for FileWriteStream {
    async fn ready(&mut self) {
        // Room for one more write (all of them landed, after a flush).
        let flushing = self.flushing;
        self.lane
            .wait_until(|st| {
                st.failed.is_some()
                    || match flushing {
                        true => st.in_flight() == 0,
                        false => st.in_flight() <= LOW,
                    }
            })
            .await;
        let in_flight = match &*self.lane.state() {
            st if st.failed.is_some() => return,
            st => st.in_flight(),
        };
        if in_flight == 0 {
            self.flushing = false;
        }
        if !self.closed && !self.flushing {
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

    /// Writes queued while the writer is busy land in order, each buffer
    /// goes back to the pool and each share of the budget back to it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_writes_land_in_order_and_give_back_what_they_held() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"").unwrap();
        let file = Arc::new(std::fs::OpenOptions::new().write(true).open(&path).unwrap());
        let (budget, pool) = (Budget::new(BUDGET), ChunkPool::default());
        let mut s = FileWriteStream::new(file, 0, budget.clone(), pool.clone());
        for i in 0..8u8 {
            let n = s.write_ready().await.unwrap();
            assert_eq!(n, WRITE);
            s.write(pool.copy(&vec![i; WRITE])).unwrap();
            let in_flight = s.lane.state().in_flight();
            assert!(in_flight <= DEPTH, "{in_flight} in flight");
        }
        s.flush().unwrap();
        s.write_ready().await.unwrap();
        assert_eq!(s.lane.state().in_flight(), 0);
        assert!(budget.has_room(BUDGET), "every write gave its budget back");
        assert!(
            !pool.0.lock().unwrap().is_empty(),
            "written chunks went back to the pool"
        );
        let got = std::fs::read(&path).unwrap();
        assert_eq!(got.len(), 8 * WRITE);
        for (i, chunk) in got.chunks(WRITE).enumerate() {
            assert!(
                chunk.iter().all(|&b| b == i as u8),
                "chunk {i} in its place"
            );
        }
    }
}
