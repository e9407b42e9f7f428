//! `read-via-stream`: a stream that reads 1 MiB per `pread` (64 KiB the
//! first time) and keeps the next read in flight while the current chunk is
//! consumed. A read and its chunk hold their bytes of the instance's read
//! [`Budget`] until the chunk is wholly handed out: a read that would exceed
//! it waits (the stream says it has nothing yet; its pollable waits for room).

use bytes::Bytes;
use std::io;
use std::sync::Arc;
use tokio::sync::OwnedSemaphorePermit;
use wasmtime_wasi::p2::{InputStream, Pollable, StreamError, StreamResult};

use super::Budget;

/// Bytes per read (and per chunk handed out) once a file proves large; the
/// first read is small, so a small file costs no 1 MiB buffer.
const READ: usize = 1 << 20;
const FIRST_READ: usize = 64 << 10;

enum State {
    /// Nothing read ahead.
    Idle,
    /// A read in flight on a blocking thread.
    Reading(tokio::task::JoinHandle<io::Result<Bytes>>),
    /// A chunk read, not yet (wholly) handed out.
    Ready(Bytes),
    Failed(io::Error),
    Closed,
}

pub(super) struct FileStream {
    file: Arc<std::fs::File>,
    /// Where the next read starts.
    next: u64,
    /// The size of the next read.
    size: usize,
    /// A read came back short: the file ends with the chunk in hand.
    at_end: bool,
    state: State,
    budget: Budget,
    /// The budget the read in flight, or the chunk in hand, holds.
    held: Option<OwnedSemaphorePermit>,
}

fn pread(file: &std::fs::File, at: u64, size: usize) -> io::Result<Bytes> {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0u8; size];
    let mut n = 0;
    // Fill the buffer unless the file ends first.
    while n < size {
        match file.read_at(&mut buf[n..], at + n as u64) {
            Ok(0) => break,
            Ok(m) => n += m,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(n);
    Ok(Bytes::from(buf))
}

impl FileStream {
    pub(super) fn new(file: Arc<std::fs::File>, offset: u64, budget: Budget) -> FileStream {
        FileStream {
            file,
            next: offset,
            size: FIRST_READ,
            at_end: false,
            state: State::Idle,
            budget,
            held: None,
        }
    }

    /// The outcome of a read of `size` bytes at `self.next`.
    fn landed(&mut self, r: io::Result<Bytes>, size: usize) {
        if !matches!(r, Ok(ref b) if !b.is_empty()) {
            self.held = None;
        }
        self.state = match r {
            Ok(b) if b.is_empty() => State::Closed,
            Ok(b) => {
                self.next += b.len() as u64;
                self.at_end = b.len() < size;
                State::Ready(b)
            }
            Err(e) => State::Failed(e),
        };
    }

    /// Start the next read on a blocking thread (read-ahead), if the budget
    /// has room for it now (else the stream stays idle).
    fn start(&mut self) {
        if let Some(permit) = self.budget.take(self.size) {
            self.start_with(permit);
        }
    }

    fn start_with(&mut self, permit: OwnedSemaphorePermit) {
        let (file, at, size) = (self.file.clone(), self.next, self.size);
        self.size = READ;
        self.held = Some(permit);
        self.state = State::Reading(tokio::task::spawn_blocking(move || pread(&file, at, size)));
    }

    /// Wait for the read in flight, if any.
    async fn settle(&mut self) {
        if let State::Reading(task) = &mut self.state {
            let r = task.await.unwrap_or_else(|e| Err(io::Error::other(e)));
            // The size of a read-ahead is READ (only the first read is smaller).
            self.landed(r, READ);
        }
    }
}

#[wasmtime_wasi::async_trait]
impl InputStream for FileStream {
    fn read(&mut self, size: usize) -> StreamResult<Bytes> {
        match &mut self.state {
            State::Idle => {
                self.start();
                Ok(Bytes::new())
            }
            State::Reading(_) => Ok(Bytes::new()),
            State::Ready(b) => {
                let chunk = b.split_to(b.len().min(size));
                if b.is_empty() {
                    // Handed out: the caller holds it now, not the stream.
                    self.held = None;
                    if self.at_end {
                        self.state = State::Closed;
                    } else {
                        // Read ahead while the caller uses this chunk.
                        self.start();
                    }
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

    /// The first read happens on this thread (the host allows blocking it,
    /// as wasmtime-wasi's own file streams do): a small file costs no
    /// thread hop. Later reads are read ahead on a blocking thread.
    async fn blocking_read(&mut self, size: usize) -> StreamResult<Bytes> {
        if let State::Idle = self.state {
            let want = self.size;
            self.held = Some(self.budget.acquire(want).await);
            self.size = READ;
            let r = pread(&self.file, self.next, want);
            self.landed(r, want);
        }
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
    async fn ready(&mut self) {
        if let State::Idle = self.state {
            let permit = self.budget.acquire(self.size).await;
            self.start_with(permit);
        }
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
        for offset in [0usize, 7, READ + 1] {
            let mut s = FileStream::new(
                file.clone(),
                offset as u64,
                Budget::new(super::super::BUDGET),
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
        );
        assert!(matches!(
            s.blocking_read(10).await,
            Err(StreamError::Closed)
        ));
    }

    #[tokio::test]
    async fn streams_of_one_instance_share_the_read_budget() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![5u8; 3 * READ]).unwrap();
        let file = Arc::new(std::fs::File::open(&path).unwrap());
        // Room for one read-ahead, no more.
        let budget = Budget::new(READ);
        let mut a = FileStream::new(file.clone(), 0, budget.clone());
        assert_eq!(a.blocking_read(FIRST_READ).await.unwrap().len(), FIRST_READ);
        // `a` reads 1 MiB ahead now: `b` gets nothing until that is handed out.
        let mut b = FileStream::new(file, 0, budget);
        assert!(b.read(10).unwrap().is_empty());
        let waiting = tokio::spawn(async move {
            b.ready().await;
            b
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "b waits for room in the budget");
        assert_eq!(a.blocking_read(READ).await.unwrap().len(), READ);
        let mut b = waiting.await.unwrap();
        assert_eq!(b.blocking_read(10).await.unwrap().len(), 10);
    }
}
