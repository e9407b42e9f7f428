//! An upload as the host input-stream a driver's `put-stream` reads (or
//! splices into a file without reading it: the `splice` import), for bodies
//! that the host hands over in large pieces:
//! - a body already in memory (`Driver::put_parts`): its parts, sliced, never
//!   copied;
//! - an application's reader: read [`CHUNK`] bytes at a time, one chunk
//!   ahead of the driver, into buffers of the instance's [`ChunkPool`] (a
//!   chunk a file stream wrote comes back to the pool and holds a later one).
//!
//! Every byte handed out counts as the call's progress (the reader counts
//! its own as it reads).

use bytes::{BufMut as _, Bytes};
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;
use wasmtime_wasi::p2::{InputStream, Pollable, StreamError, StreamResult};

use crate::body::{Parts, CHUNK};
use crate::filestream::ChunkPool;
use crate::progress::Progress;

pub(crate) struct UploadStream {
    /// What was taken from the source and not handed out yet.
    cur: Bytes,
    source: Source,
}

enum Source {
    Parts(Parts, Progress),
    Reader {
        rx: mpsc::Receiver<io::Result<Bytes>>,
        /// The reader's failure, once received: reported by the next read.
        failed: Option<io::Error>,
        ended: bool,
        task: tokio::task::JoinHandle<()>,
    },
}

impl Drop for UploadStream {
    fn drop(&mut self) {
        if let Source::Reader { task, .. } = &self.source {
            task.abort();
        }
    }
}

impl UploadStream {
    /// A body in memory, handed out as slices of its parts.
    pub(crate) fn parts(parts: Vec<Bytes>, progress: Progress) -> UploadStream {
        UploadStream {
            cur: Bytes::new(),
            source: Source::Parts(Parts::new(parts), progress),
        }
    }

    /// `first` (what was read of `body` already), then the rest of `body`
    /// [`CHUNK`] bytes at a time, read one chunk ahead.
    pub(crate) fn reader<R>(first: Vec<u8>, mut body: R, pool: ChunkPool) -> UploadStream
    where
        R: AsyncRead + Send + Unpin + 'static,
    {
        let (tx, rx) = mpsc::channel(1);
        let task = tokio::spawn(async move {
            if !first.is_empty() && tx.send(Ok(Bytes::from(first))).await.is_err() {
                return;
            }
            loop {
                let mut buf = pool.take();
                let r = async {
                    while buf.len() < CHUNK {
                        let left = CHUNK - buf.len();
                        let mut room = (&mut buf).limit(left);
                        if body.read_buf(&mut room).await? == 0 {
                            break;
                        }
                    }
                    io::Result::Ok(())
                }
                .await;
                let last = r.is_err() || buf.len() < CHUNK;
                let chunk = match r {
                    Err(e) => Err(e),
                    Ok(()) if buf.is_empty() => return,
                    Ok(()) => Ok(buf.freeze()),
                };
                if tx.send(chunk).await.is_err() || last {
                    return;
                }
            }
        });
        UploadStream {
            cur: Bytes::new(),
            source: Source::Reader {
                rx,
                failed: None,
                ended: false,
                task,
            },
        }
    }
}

#[wasmtime_wasi::async_trait]
impl InputStream for UploadStream {
    fn read(&mut self, size: usize) -> StreamResult<Bytes> {
        match &mut self.source {
            Source::Parts(parts, progress) => {
                let b = parts.take(size).ok_or(StreamError::Closed)?;
                progress.add(b.len());
                Ok(b)
            }
            Source::Reader {
                rx, failed, ended, ..
            } => {
                if self.cur.is_empty() {
                    if let Some(e) = failed.take() {
                        *ended = true;
                        return Err(StreamError::LastOperationFailed(e.into()));
                    }
                    match rx.try_recv() {
                        Ok(Ok(b)) => self.cur = b,
                        Ok(Err(e)) => {
                            *ended = true;
                            return Err(StreamError::LastOperationFailed(e.into()));
                        }
                        Err(mpsc::error::TryRecvError::Empty) if !*ended => return Ok(Bytes::new()),
                        Err(_) => {
                            *ended = true;
                            return Err(StreamError::Closed);
                        }
                    }
                }
                let n = size.min(self.cur.len());
                Ok(self.cur.split_to(n))
            }
        }
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for UploadStream {
    async fn ready(&mut self) {
        if !self.cur.is_empty() {
            return;
        }
        if let Source::Reader {
            rx, failed, ended, ..
        } = &mut self.source
        {
            if failed.is_some() || *ended {
                return;
            }
            match rx.recv().await {
                Some(Ok(b)) => self.cur = b,
                Some(Err(e)) => *failed = Some(e),
                None => *ended = true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn drain(s: &mut UploadStream, max: usize) -> StreamResult<Vec<u8>> {
        let mut got = Vec::new();
        loop {
            match s.blocking_read(max).await {
                Ok(b) => {
                    assert!(b.len() <= max);
                    got.extend_from_slice(&b)
                }
                Err(StreamError::Closed) => return Ok(got),
                Err(e) => return Err(e),
            }
        }
    }

    #[tokio::test]
    async fn parts_come_out_whole_in_slices_and_count_as_progress() {
        let progress = Progress::default();
        let parts = vec![
            Bytes::from(vec![1u8; 3 * CHUNK + 5]),
            Bytes::new(),
            Bytes::from_static(b"tail"),
        ];
        let first = parts[0].as_ptr();
        let mut s = UploadStream::parts(parts, progress.clone());
        let b = s.read(CHUNK).unwrap();
        assert_eq!(b.as_ptr(), first, "a slice of the part, not a copy");
        let mut got = b.to_vec();
        got.extend(drain(&mut s, CHUNK).await.unwrap());
        assert_eq!(got.len(), 3 * CHUNK + 9);
        assert_eq!(&got[3 * CHUNK + 5..], b"tail");
        assert_eq!(progress.get(), got.len() as u64);
    }

    #[tokio::test]
    async fn a_reader_comes_out_whole_and_its_failure_is_reported() {
        let data: Vec<u8> = (0..(2 * CHUNK + 999)).map(|i| (i % 241) as u8).collect();
        let first = data[..100].to_vec();
        let rest = std::io::Cursor::new(data[100..].to_vec());
        let mut s = UploadStream::reader(first, rest, ChunkPool::default());
        assert_eq!(drain(&mut s, 7 << 20).await.unwrap(), data);

        let broken = tokio_util::io::StreamReader::new(futures::stream::iter(vec![
            Ok(Bytes::from_static(b"abc")),
            Err(io::Error::other("the client went away")),
        ]));
        let mut s = UploadStream::reader(Vec::new(), broken, ChunkPool::default());
        let e = drain(&mut s, CHUNK).await.unwrap_err();
        assert!(e.to_string().contains("went away") || format!("{e:?}").contains("went away"));
    }
}
