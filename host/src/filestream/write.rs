//! `write-via-stream`: a stream that takes up to 1 MiB per `write` and
//! writes it with `pwrite` on a blocking thread while the guest goes on (the
//! file driver hashes the chunk for its ETag meanwhile). One write is in
//! flight per stream; `check-write` says 0 until it landed, and its error, if
//! any, is the next call's (`last-operation-failed`), as WASI streams report
//! errors. `flush` and the stream's pollable wait for the write in flight.
//!
//! The bytes in flight are counted against the instance's [`WriteBudget`],
//! so a guest that opens many streams cannot make the host hold more than
//! the budget: a stream whose write would exceed it says 0 to `check-write`
//! until other writes landed.

use bytes::Bytes;
use futures::FutureExt;
use std::io;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

/// The most one `write` may carry (the permit `check-write` gives).
pub(crate) const WRITE: usize = 1 << 20;

/// Bytes the file streams of one instance may have in flight at once.
pub(crate) const BUDGET: usize = 4 * WRITE;

/// The instance's budget of bytes in flight, shared by its write streams.
#[derive(Clone)]
pub(crate) struct WriteBudget(Arc<Semaphore>);

impl Default for WriteBudget {
    fn default() -> Self {
        WriteBudget(Arc::new(Semaphore::new(BUDGET)))
    }
}

impl WriteBudget {
    /// Whether a whole permit's worth is free now.
    fn has_room(&self) -> bool {
        self.0.available_permits() >= WRITE
    }

    /// `n` bytes of the budget, if free now.
    fn take(&self, n: usize) -> Option<OwnedSemaphorePermit> {
        self.0.clone().try_acquire_many_owned(n as u32).ok()
    }

    /// Wait until a whole permit's worth is free.
    async fn room(&self) {
        if let Ok(p) = self.0.acquire_many(WRITE as u32).await {
            drop(p);
        }
    }
}

enum State {
    Ready,
    /// A write in flight on a blocking thread: the bytes it wrote.
    Writing(tokio::task::JoinHandle<io::Result<usize>>),
    Failed(io::Error),
    Closed,
}

pub(super) struct FileWriteStream {
    file: Arc<std::fs::File>,
    /// Where the next write starts.
    at: u64,
    budget: WriteBudget,
    state: State,
}

fn pwrite_all(file: &std::fs::File, mut data: &[u8], mut at: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    let total = data.len();
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
    Ok(total)
}

impl FileWriteStream {
    pub(super) fn new(file: Arc<std::fs::File>, offset: u64, budget: WriteBudget) -> Self {
        FileWriteStream {
            file,
            at: offset,
            budget,
            state: State::Ready,
        }
    }

    fn landed(&mut self, r: Result<io::Result<usize>, tokio::task::JoinError>) {
        self.state = match r {
            Ok(Ok(n)) => {
                self.at += n as u64;
                State::Ready
            }
            Ok(Err(e)) => State::Failed(e),
            Err(e) => State::Failed(io::Error::other(e)),
        };
    }

    /// Take the outcome of a write that already landed (no waiting).
    fn harvest(&mut self) {
        if let State::Writing(task) = &mut self.state {
            if task.is_finished() {
                if let Some(r) = task.now_or_never() {
                    self.landed(r);
                }
            }
        }
    }

    /// The last write's error, once (the stream is closed after it).
    fn failure(&mut self) -> StreamError {
        match std::mem::replace(&mut self.state, State::Closed) {
            State::Failed(e) => StreamError::LastOperationFailed(e.into()),
            _ => StreamError::Closed,
        }
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for FileWriteStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.harvest();
        match self.state {
            State::Ready => {}
            State::Writing(_) => {
                return Err(StreamError::trap(
                    "write not permitted: check-write did not permit it",
                ))
            }
            State::Failed(_) => return Err(self.failure()),
            State::Closed => return Err(StreamError::Closed),
        }
        if bytes.len() > WRITE {
            return Err(StreamError::trap(
                "write of more bytes than check-write permitted",
            ));
        }
        if bytes.is_empty() {
            return Ok(());
        }
        let file = self.file.clone();
        let at = self.at;
        match self.budget.take(bytes.len()) {
            Some(permit) => {
                self.state = State::Writing(tokio::task::spawn_blocking(move || {
                    let r = pwrite_all(&file, &bytes, at);
                    drop(permit);
                    r
                }));
            }
            // check-write permitted it, so the budget had room then; should it
            // not now, write here (the host allows blocking this thread).
            None => {
                let r = pwrite_all(&file, &bytes, at);
                self.landed(Ok(r));
            }
        }
        Ok(())
    }

    /// Nothing is buffered here: a flush is the write in flight landing,
    /// which `check-write` and the pollable wait for.
    fn flush(&mut self) -> StreamResult<()> {
        self.harvest();
        match self.state {
            State::Ready | State::Writing(_) => Ok(()),
            State::Failed(_) => Err(self.failure()),
            State::Closed => Err(StreamError::Closed),
        }
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        self.harvest();
        match self.state {
            State::Ready if self.budget.has_room() => Ok(WRITE),
            State::Ready | State::Writing(_) => Ok(0),
            State::Failed(_) => Err(self.failure()),
            State::Closed => Err(StreamError::Closed),
        }
    }

    /// A write in flight cannot be stopped halfway: wait for it, so that
    /// nothing reaches the file after the stream is gone.
    async fn cancel(&mut self) {
        if let State::Writing(task) = std::mem::replace(&mut self.state, State::Closed) {
            let _ = task.await;
        }
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for FileWriteStream {
    async fn ready(&mut self) {
        if let State::Writing(task) = &mut self.state {
            let r = task.await;
            self.landed(r);
        }
        if let State::Ready = self.state {
            self.budget.room().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut s = FileWriteStream::new(file, 4, WriteBudget::default());
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
        let mut s = FileWriteStream::new(file, 0, WriteBudget::default());
        assert!(matches!(
            s.write(Bytes::from(vec![0u8; WRITE + 1])),
            Err(StreamError::Trap(_))
        ));
        s.write(Bytes::from_static(b"abc")).unwrap();
        assert!(matches!(
            s.write_ready().await,
            Err(StreamError::LastOperationFailed(_))
        ));
        assert!(matches!(s.check_write(), Err(StreamError::Closed)));
    }

    #[tokio::test]
    async fn streams_of_one_instance_share_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let budget = WriteBudget::default();
        // Hold all but less than a permit's worth, as writes in flight would.
        let held = budget.take(BUDGET - WRITE + 1).unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"").unwrap();
        let file = Arc::new(std::fs::OpenOptions::new().write(true).open(&path).unwrap());
        let mut s = FileWriteStream::new(file, 0, budget.clone());
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
}
