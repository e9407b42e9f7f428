//! `read-via-stream`: a stream that reads 1 MiB per `pread` and keeps the
//! next read in flight while the current chunk is consumed.
//!
//! Two kinds of read, so that no read ever waits for another stream:
//! - **on demand**: a read the caller asked for, done at once on the calling
//!   thread (as wasmtime-wasi's own file `write` is), at most 1 MiB and
//!   handed out in the same call: it holds nothing afterwards, and the
//!   budget does not gate it.
//! - **ahead**: the next 1 MiB, read on a blocking thread while the caller
//!   uses the last chunk. A read ahead and its chunk hold their bytes of the
//!   instance's read [`Budget`] until the chunk is wholly handed out; a read
//!   ahead that finds no room is simply not started (the next read is on
//!   demand). A guest that opens thousands of streams gets at most the
//!   budget read ahead, and a stream that nobody reads cannot stall another.

use bytes::Bytes;
use std::io;
use std::sync::{Arc, Mutex};
use tokio::sync::OwnedSemaphorePermit;
use wasmtime_wasi::p2::{InputStream, Pollable, StreamError, StreamResult};

use super::Budget;

/// Bytes per read ahead, and at most per read on demand.
const READ: usize = 1 << 20;
/// The least a read on demand reads, so a small file ends in one read: what
/// the caller did not ask for stays in hand if the budget has room for it.
const FIRST_READ: usize = 64 << 10;

enum State {
    /// Nothing in hand: the next read is on demand.
    Idle,
    /// A read ahead in flight on a blocking thread.
    Reading(tokio::task::JoinHandle<io::Result<Bytes>>),
    /// A chunk in hand, not yet (wholly) handed out.
    Ready(Bytes),
    Failed(io::Error),
    Closed,
}

pub(super) struct FileStream {
    file: Arc<std::fs::File>,
    /// Where the next read starts.
    next: u64,
    /// A read came back short: the file ends with the chunk in hand.
    at_end: bool,
    state: State,
    budget: Budget,
    /// The budget the read in flight, or the chunk in hand, holds.
    held: Option<OwnedSemaphorePermit>,
    pool: ReadPool,
}

/// The 1 MiB buffers of an instance's reads, reused: a chunk handed out
/// gives its buffer back when the last holder drops it. A fresh 1 MiB
/// buffer per read was fresh pages from the system each time, every 4 KiB a
/// page fault, which capped a get near 4–6 GB/s where the page cache reads
/// at twice that.
#[derive(Clone, Default)]
pub(crate) struct ReadPool(Arc<Mutex<Vec<Vec<u8>>>>);

/// Buffers kept: the budget's worth of reads ahead, and one on demand.
const KEEP: usize = super::BUDGET / READ + 1;

/// A chunk's buffer, back to the pool when dropped.
struct Pooled {
    buf: Vec<u8>,
    len: usize,
    pool: ReadPool,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        let mut pool = self.pool.0.lock().unwrap();
        if pool.len() < KEEP {
            pool.push(buf);
        }
    }
}

/// Up to `size` bytes of `file` from `at` (fewer only where the file ends);
/// a read of [`READ`] bytes goes into a pooled buffer.
fn pread(file: &std::fs::File, at: u64, size: usize, pool: &ReadPool) -> io::Result<Bytes> {
    let pooled = size == READ;
    let mut buf = match pooled {
        // Pooled buffers stay READ long (initialised once, never cleared).
        true => pool
            .0
            .lock()
            .unwrap()
            .pop()
            .unwrap_or_else(|| vec![0u8; READ]),
        false => vec![0u8; size],
    };
    let n = fill(file, at, &mut buf[..size])?;
    Ok(match pooled {
        true => Bytes::from_owner(Pooled {
            buf,
            len: n,
            pool: pool.clone(),
        }),
        false => {
            buf.truncate(n);
            Bytes::from(buf)
        }
    })
}

/// Fill `buf` unless the file ends first; how many bytes were read.
fn fill(file: &std::fs::File, at: u64, buf: &mut [u8]) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], at + n as u64) {
            Ok(0) => break,
            Ok(m) => n += m,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl FileStream {
    pub(super) fn new(
        file: Arc<std::fs::File>,
        offset: u64,
        budget: Budget,
        pool: ReadPool,
    ) -> FileStream {
        FileStream {
            file,
            next: offset,
            at_end: false,
            state: State::Idle,
            budget,
            held: None,
            pool,
        }
    }

    /// After a chunk is wholly handed out: closed at the end of the file,
    /// else read ahead if the budget has room.
    fn next_chunk(&mut self) {
        self.held = None;
        if self.at_end {
            self.state = State::Closed;
            return;
        }
        self.state = State::Idle;
        if let Some(permit) = self.budget.take(READ) {
            let (file, at, pool) = (self.file.clone(), self.next, self.pool.clone());
            self.held = Some(permit);
            self.state = State::Reading(tokio::task::spawn_blocking(move || {
                pread(&file, at, READ, &pool)
            }));
        }
    }

    /// The outcome of a read ahead.
    fn landed(&mut self, r: io::Result<Bytes>) {
        self.state = match r {
            Ok(b) if !b.is_empty() => {
                self.next += b.len() as u64;
                self.at_end = b.len() < READ;
                State::Ready(b)
            }
            Ok(_) => State::Closed,
            Err(e) => State::Failed(e),
        };
        if !matches!(self.state, State::Ready(_)) {
            self.held = None;
        }
    }

    /// Wait for the read ahead in flight, if any.
    async fn settle(&mut self) {
        if let State::Reading(task) = &mut self.state {
            let r = task.await.unwrap_or_else(|e| Err(io::Error::other(e)));
            self.landed(r);
        }
    }

    /// A read on demand of up to `size` bytes, here and now.
    fn on_demand(&mut self, size: usize) -> StreamResult<Bytes> {
        let span = size.min(READ).max(FIRST_READ);
        let mut rest = match pread(&self.file, self.next, span, &self.pool) {
            Ok(b) if b.is_empty() => {
                self.state = State::Closed;
                return Err(StreamError::Closed);
            }
            Ok(b) => b,
            Err(e) => {
                self.state = State::Closed;
                return Err(StreamError::LastOperationFailed(e.into()));
            }
        };
        self.at_end = rest.len() < span;
        let chunk = rest.split_to(rest.len().min(size));
        self.next += chunk.len() as u64;
        if !rest.is_empty() {
            // Keep the rest if the budget has room for the buffer, else it
            // is read again.
            if let Some(permit) = self.budget.take(span) {
                self.next += rest.len() as u64;
                self.held = Some(permit);
                self.state = State::Ready(rest);
                return Ok(chunk);
            }
            self.at_end = false;
        }
        self.next_chunk();
        Ok(chunk)
    }
}

#[wasmtime_wasi::async_trait]
impl InputStream for FileStream {
    fn read(&mut self, size: usize) -> StreamResult<Bytes> {
        if size == 0 {
            return match self.state {
                State::Closed => Err(StreamError::Closed),
                _ => Ok(Bytes::new()),
            };
        }
        match &mut self.state {
            State::Idle => self.on_demand(size),
            State::Reading(_) => Ok(Bytes::new()),
            State::Ready(b) => {
                let chunk = b.split_to(b.len().min(size));
                if b.is_empty() {
                    // Handed out: the caller holds it now, not the stream.
                    self.next_chunk();
                }
                Ok(chunk)
            }
            State::Failed(_) => match std::mem::replace(&mut self.state, State::Closed) {
                State::Failed(e) => Err(StreamError::LastOperationFailed(e.into())),
                _ => unreachable!(),
            },
            State::Closed => Err(StreamError::Closed),
        }
    }

    async fn blocking_read(&mut self, size: usize) -> StreamResult<Bytes> {
        self.settle().await;
        self.read(size)
    }

    async fn cancel(&mut self) {
        if let State::Reading(task) = std::mem::replace(&mut self.state, State::Closed) {
            task.abort();
        }
        self.held = None;
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for FileStream {
    /// Ready once the read ahead in flight lands; an idle stream is ready at
    /// once (its next read is on demand).
    async fn ready(&mut self) {
        self.settle().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_a_file_in_order_from_an_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..(3 * READ + 12_345)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let file = Arc::new(std::fs::File::open(&path).unwrap());
        // One pool: later streams read into buffers earlier ones filled (a
        // short last read must not show what a buffer held before).
        let pool = ReadPool::default();
        for offset in [0usize, 7, READ + 1] {
            let mut s = FileStream::new(
                file.clone(),
                offset as u64,
                Budget::new(super::super::BUDGET),
                pool.clone(),
            );
            let mut got = Vec::new();
            loop {
                match s.blocking_read(300_000).await {
                    Ok(b) => got.extend_from_slice(&b),
                    Err(StreamError::Closed) => break,
                    Err(e) => panic!("{e}"),
                }
            }
            assert_eq!(got, &data[offset..], "offset {offset}");
        }
        // Past the end: closed at once.
        let mut s = FileStream::new(
            file,
            data.len() as u64 + 5,
            Budget::new(super::super::BUDGET),
            pool,
        );
        assert!(matches!(
            s.blocking_read(10).await,
            Err(StreamError::Closed)
        ));
    }

    /// The read ahead of all streams together stays within the budget, and
    /// a stream that finds no room still reads, on demand: a stream nobody
    /// reads (its chunk in hand) never stalls another.
    #[tokio::test]
    async fn streams_of_one_instance_share_the_read_budget_and_never_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..(3 * READ + 5)).map(|i| (i % 253) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let file = Arc::new(std::fs::File::open(&path).unwrap());
        // Room for one read ahead, no more.
        let budget = Budget::new(READ);
        let mut a = FileStream::new(file.clone(), 0, budget.clone(), ReadPool::default());
        assert_eq!(a.blocking_read(READ).await.unwrap().len(), READ);
        // `a` reads 1 MiB ahead now, and nobody takes it.
        assert!(matches!(a.state, State::Reading(_)));
        assert!(!budget.has_room(1));
        let mut b = FileStream::new(file, 0, budget.clone(), ReadPool::default());
        let mut got = Vec::new();
        let all = async {
            loop {
                match b.blocking_read(300_000).await {
                    Ok(c) => got.extend_from_slice(&c),
                    Err(StreamError::Closed) => break,
                    Err(e) => panic!("{e}"),
                }
                // No room: `b` never reads ahead.
                assert!(!matches!(b.state, State::Reading(_)));
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), all)
            .await
            .expect("a stream without room in the budget reads on demand");
        assert_eq!(got, data);
        // Once `a`'s chunk is handed out the room is back for the next one.
        assert_eq!(a.blocking_read(READ).await.unwrap(), &data[READ..2 * READ]);
    }

    /// A small file ends in one read, with no read ahead started.
    #[tokio::test]
    async fn a_small_file_is_one_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"hello").unwrap();
        let file = Arc::new(std::fs::File::open(&path).unwrap());
        let mut s = FileStream::new(
            file,
            0,
            Budget::new(super::super::BUDGET),
            ReadPool::default(),
        );
        assert_eq!(s.blocking_read(5).await.unwrap(), &b"hello"[..]);
        assert!(matches!(s.state, State::Closed));
        assert!(matches!(s.blocking_read(1).await, Err(StreamError::Closed)));
    }

    /// A chunk's buffer goes back to the pool once the chunk is dropped, and
    /// the next read of 1 MiB reuses it.
    #[tokio::test]
    async fn read_buffers_are_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![9u8; 8 * READ]).unwrap();
        let file = Arc::new(std::fs::File::open(&path).unwrap());
        let pool = ReadPool::default();
        let mut s = FileStream::new(file, 0, Budget::new(super::super::BUDGET), pool.clone());
        let mut seen = std::collections::HashSet::new();
        for _ in 0..8 {
            let chunk = s.blocking_read(READ).await.unwrap();
            assert_eq!(chunk.len(), READ);
            seen.insert(chunk.as_ptr() as usize);
        }
        // The chunk in hand, the read ahead and the one just dropped: a
        // handful of buffers for 8 reads, not 8.
        assert!(seen.len() <= 3, "{} buffers for 8 reads", seen.len());
        assert!(pool.0.lock().unwrap().len() <= KEEP);
    }
}
