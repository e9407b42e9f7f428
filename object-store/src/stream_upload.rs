//! `put_multipart` for a driver without the `multipart` capability: the
//! parts become one streamed put, so the backend never holds half an
//! upload and memory holds only the parts in flight.
//!
//! `put_part` queues its bytes at once, in call order (its future may be
//! awaited in any order), and its future resolves when the driver has taken
//! them. `complete` ends the body and returns the put's result; `abort`, or
//! dropping the upload, fails the body, so the driver aborts its put and
//! nothing is stored.
//!
//! A stateful driver (its objects live in its one instance: mem) is
//! serialised, and a put left open would hold that instance until
//! `complete`, blocking every other call on the store (a `head` between two
//! parts would wait forever). For such a driver the parts are spooled to an
//! unnamed temporary file instead, and streamed into one put at `complete`.
//!
//! A driver that exports `stream-put` but not `multipart` (no built-in one
//! does) is inside one call for the whole upload; the host's per-call
//! deadline restarts whenever bytes move, so a writer that pauses between
//! parts for longer than the deadline (30 s by default) fails the upload.

use crate::error::{generic, map, Call};
use crate::keys::key;
use crate::meta::put_result;
use crate::store::TroveStore;
use bytes::Bytes;
use object_store::path::Path;
use object_store::{MultipartUpload, PutPayload, PutResult, Result, UploadPart};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncSeekExt, ReadBuf};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use trove_host::{Driver, ObjectInfo};

enum Msg {
    /// Bytes, and whom to tell once the driver has taken all of them.
    Data(Bytes, Option<oneshot::Sender<()>>),
    /// The body is complete.
    Finish,
    /// Fail the body: the put must not store anything.
    Abort,
}

pub(crate) fn start(
    store: &TroveStore,
    location: &Path,
    opts: trove_host::PutOptions,
) -> Box<dyn MultipartUpload> {
    let (tx, rx) = mpsc::unbounded_channel();
    let body = ChannelReader {
        rx,
        cur: Bytes::new(),
        ack: None,
        finished: false,
    };
    let driver = store.driver.clone();
    let bucket = store.bucket.clone();
    let k = key(location).to_string();
    let task = if driver.info().stateful {
        tokio::spawn(spool_then_put(driver, bucket, k.clone(), body, opts))
    } else {
        tokio::spawn(async move { driver.put(&bucket, &k, body, opts).await })
    };
    Box::new(StreamUpload {
        key: key(location).to_string(),
        tx: Some(tx),
        task: Some(task),
    })
}

/// Copy the body into an unnamed temporary file, then put it with its size.
async fn spool_then_put(
    driver: Driver,
    bucket: std::sync::Arc<str>,
    key: String,
    mut body: ChannelReader,
    mut opts: trove_host::PutOptions,
) -> trove_host::Result<ObjectInfo> {
    let io = |e: io::Error| trove_host::to_error(e);
    let file = tempfile::tempfile().map_err(io)?;
    let mut file = tokio::fs::File::from_std(file);
    let size = tokio::io::copy(&mut body, &mut file).await.map_err(io)?;
    file.seek(io::SeekFrom::Start(0)).await.map_err(io)?;
    opts.size = Some(size);
    driver.put(&bucket, &key, file, opts).await
}

#[derive(Debug)]
struct StreamUpload {
    key: String,
    tx: Option<mpsc::UnboundedSender<Msg>>,
    task: Option<JoinHandle<trove_host::Result<ObjectInfo>>>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Msg::Data(b, _) => write!(f, "Data({} bytes)", b.len()),
            Msg::Finish => f.write_str("Finish"),
            Msg::Abort => f.write_str("Abort"),
        }
    }
}

impl StreamUpload {
    /// The put's outcome (after the body was finished or failed).
    async fn outcome(&mut self) -> Result<PutResult> {
        self.tx = None;
        let Some(task) = self.task.take() else {
            return Err(generic(io::Error::other("the upload has already ended")));
        };
        match task.await {
            Ok(r) => r
                .map(|info| put_result(&info))
                .map_err(|e| map(e, &self.key, Call::Plain)),
            Err(e) => Err(generic(e)),
        }
    }
}

impl Drop for StreamUpload {
    fn drop(&mut self) {
        // Neither completed nor aborted: fail the body (the channel closing
        // without `Finish` does the same) and let the put end on its own.
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Msg::Abort);
        }
    }
}

#[async_trait::async_trait]
impl MultipartUpload for StreamUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let Some(tx) = &self.tx else {
            return Box::pin(async { Err(generic(io::Error::other("the upload has ended"))) });
        };
        let chunks: Vec<Bytes> = data.into_iter().filter(|c| !c.is_empty()).collect();
        let Some(last) = chunks.len().checked_sub(1) else {
            return Box::pin(async { Ok(()) });
        };
        let (ack, taken) = oneshot::channel();
        let mut ack = Some(ack);
        let mut sent = true;
        for (i, c) in chunks.into_iter().enumerate() {
            let a = if i == last { ack.take() } else { None };
            sent &= tx.send(Msg::Data(c, a)).is_ok();
        }
        Box::pin(async move {
            match (sent, taken.await) {
                (true, Ok(())) => Ok(()),
                _ => Err(generic(io::Error::other(
                    "the driver's put ended before it took this part (complete() reports why)",
                ))),
            }
        })
    }

    async fn complete(&mut self) -> Result<PutResult> {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Msg::Finish);
        }
        self.outcome().await
    }

    async fn abort(&mut self) -> Result<()> {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Msg::Abort);
        }
        // The put fails, as it must; that failure is the abort's success.
        let _ = self.outcome().await;
        Ok(())
    }
}

/// The queued parts as the put's body.
struct ChannelReader {
    rx: mpsc::UnboundedReceiver<Msg>,
    cur: Bytes,
    ack: Option<oneshot::Sender<()>>,
    finished: bool,
}

impl ChannelReader {
    fn taken(&mut self) {
        if let Some(a) = self.ack.take() {
            let _ = a.send(());
        }
    }
}

impl AsyncRead for ChannelReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            if !self.cur.is_empty() {
                let n = self.cur.len().min(buf.remaining());
                buf.put_slice(&self.cur[..n]);
                bytes::Buf::advance(&mut self.cur, n);
                if self.cur.is_empty() {
                    self.taken();
                }
                return Poll::Ready(Ok(()));
            }
            if self.finished {
                return Poll::Ready(Ok(()));
            }
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(Msg::Data(b, ack))) => {
                    self.cur = b;
                    self.ack = ack;
                }
                Poll::Ready(Some(Msg::Finish)) => {
                    self.finished = true;
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Some(Msg::Abort)) => {
                    return Poll::Ready(Err(io::Error::other("the upload was aborted")))
                }
                Poll::Ready(None) => {
                    return Poll::Ready(Err(io::Error::other(
                        "the upload was dropped before complete()",
                    )))
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
