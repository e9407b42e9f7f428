//! Object bodies: the `AsyncRead` an application gets from `get`, fed by a
//! task that pumps either a host stream (read natively, the bytes never enter
//! the guest) or a guest reader (chunk by chunk), checking the length against
//! what the driver promised.

use crate::error::{Error, ErrorKind};
use crate::pool::{guest, Lease};
use bytes::Bytes;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::mpsc;
use wasmtime::component::ResourceAny;
use wasmtime_wasi::p2::{DynInputStream, StreamError};

/// Chunk size for moving bodies in and out of a guest.
pub(crate) const CHUNK: usize = 1 << 20;
/// Chunks buffered between the pump and the reader.
const DEPTH: usize = 4;

/// The body of a `get`: an `AsyncRead` of exactly the object's (or range's) bytes.
/// A failure while reading surfaces as an `io::Error` whose inner error is a
/// [`trove_host::Error`](crate::Error) (`io::Error::get_ref` + downcast).
pub struct ObjectReader {
    /// `None` for a body that came back whole (`body.bytes`): it is all in `cur`.
    rx: Option<mpsc::Receiver<io::Result<Bytes>>>,
    cur: Bytes,
    done: bool,
}

impl ObjectReader {
    fn new() -> (mpsc::Sender<io::Result<Bytes>>, ObjectReader) {
        let (tx, rx) = mpsc::channel(DEPTH);
        (
            tx,
            ObjectReader {
                rx: Some(rx),
                cur: Bytes::new(),
                done: false,
            },
        )
    }

    /// Reads the whole body into memory (for small objects and tests).
    pub async fn read_all(mut self) -> crate::Result<Vec<u8>> {
        use tokio::io::AsyncReadExt;
        if self.rx.is_none() {
            // A whole body: its buffer, not a copy.
            return Ok(Vec::from(std::mem::take(&mut self.cur)));
        }
        let mut v = Vec::new();
        self.read_to_end(&mut v).await.map_err(to_error)?;
        Ok(v)
    }
}

/// Recover the typed error carried by an `io::Error` from an `ObjectReader`.
pub fn to_error(e: io::Error) -> Error {
    match e.get_ref().and_then(|i| i.downcast_ref::<Error>()) {
        Some(inner) => inner.clone(),
        None => Error::new(ErrorKind::Io, e.to_string()),
    }
}

fn io_err(e: Error) -> io::Error {
    io::Error::other(e)
}

/// A host stream that failed mid-body: the kind the stream gave (the http
/// import says `unavailable` for a broken connection, `timeout` for an idle
/// one), else `io`.
fn stream_err(label: &str, e: StreamError) -> io::Error {
    let inner = match &e {
        StreamError::LastOperationFailed(e) => e
            .downcast_ref::<io::Error>()
            .and_then(|e| e.get_ref())
            .and_then(|e| e.downcast_ref::<Error>()),
        _ => None,
    };
    io_err(match inner {
        Some(inner) => Error::new(
            inner.kind(),
            format!("{label}: reading body: {}", inner.message()),
        ),
        None => Error::new(ErrorKind::Io, format!("{label}: reading body: {e}")),
    })
}

impl AsyncRead for ObjectReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            if !self.cur.is_empty() {
                let n = self.cur.len().min(buf.remaining());
                let chunk = self.cur.split_to(n);
                buf.put_slice(&chunk);
                return Poll::Ready(Ok(()));
            }
            if self.done {
                return Poll::Ready(Ok(()));
            }
            let Some(rx) = self.rx.as_mut() else {
                self.done = true;
                return Poll::Ready(Ok(()));
            };
            match rx.poll_recv(cx) {
                Poll::Ready(Some(Ok(b))) => self.cur = b,
                Poll::Ready(Some(Err(e))) => {
                    self.done = true;
                    return Poll::Ready(Err(e));
                }
                Poll::Ready(None) => self.done = true,
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// Counts bytes against the length the driver's object-info promised.
struct Expect {
    label: String,
    expected: Option<u64>,
    seen: u64,
}

impl Expect {
    fn add(&mut self, n: usize) -> Result<(), Error> {
        self.seen += n as u64;
        match self.expected {
            Some(e) if self.seen > e => Err(Error::new(
                ErrorKind::Internal,
                format!(
                    "{}: driver sent more than the {e} bytes it announced",
                    self.label
                ),
            )),
            _ => Ok(()),
        }
    }

    fn end(&self) -> Result<(), Error> {
        match self.expected {
            Some(e) if self.seen < e => Err(Error::new(
                ErrorKind::Internal,
                format!(
                    "{}: body ended after {} of {e} bytes",
                    self.label, self.seen
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// Read a host stream natively; no instance is held.
pub(crate) fn from_host_stream(
    mut stream: DynInputStream,
    limit: Option<u64>,
    expected: Option<u64>,
    label: String,
) -> ObjectReader {
    let (tx, reader) = ObjectReader::new();
    tokio::spawn(async move {
        let mut expect = Expect {
            label,
            expected,
            seen: 0,
        };
        let mut remaining = limit.or(expected).unwrap_or(u64::MAX);
        while remaining > 0 {
            let want = remaining.min(CHUNK as u64) as usize;
            match stream.blocking_read(want).await {
                // No host stream answers a blocking read with nothing, but
                // should one, this loop must not starve the other tasks.
                Ok(b) if b.is_empty() => tokio::task::yield_now().await,
                Ok(b) => {
                    remaining -= b.len() as u64;
                    if let Err(e) = expect.add(b.len()) {
                        let _ = tx.send(Err(io_err(e))).await;
                        return;
                    }
                    if tx.send(Ok(b)).await.is_err() {
                        return; // the reader was dropped
                    }
                }
                Err(StreamError::Closed) => break,
                Err(e) => {
                    let _ = tx.send(Err(stream_err(&expect.label, e))).await;
                    return;
                }
            }
        }
        if limit.is_none() && expected.is_some() {
            // No limit: the stream must end where the driver said the body
            // does. One byte more is a body longer than announced.
            loop {
                match stream.blocking_read(1).await {
                    Ok(b) if b.is_empty() => tokio::task::yield_now().await,
                    Ok(_) => {
                        let e = expect.add(1).expect_err("past the announced size");
                        let _ = tx.send(Err(io_err(e))).await;
                        return;
                    }
                    Err(StreamError::Closed) => break,
                    Err(e) => {
                        let _ = tx.send(Err(stream_err(&expect.label, e))).await;
                        return;
                    }
                }
            }
        }
        if let Err(e) = expect.end() {
            let _ = tx.send(Err(io_err(e))).await;
        }
    });
    reader
}

/// Pump a guest reader resource; the lease (the instance) is held until the
/// body ends or the application drops the reader.
pub(crate) fn from_guest_reader(
    mut lease: Lease,
    res: ResourceAny,
    expected: Option<u64>,
) -> ObjectReader {
    let (tx, reader) = ObjectReader::new();
    tokio::spawn(async move {
        let mut expect = Expect {
            label: lease.label().to_string(),
            expected,
            seen: 0,
        };
        loop {
            let r =
                guest!(&mut lease, i => i.core.reader().call_read(&mut i.store, res, CHUNK as u64));
            let chunk = match r {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => {
                    let _ = tx.send(Err(io_err(crate::convert::error(e)))).await;
                    break;
                }
                Err(e) => {
                    let _ = tx.send(Err(io_err(e))).await;
                    return; // the instance is gone; nothing to drop
                }
            };
            if chunk.len() > CHUNK {
                // The contract: at most `max` bytes per read. A driver that
                // ignores it could stream without bound per call.
                let e = Error::new(
                    ErrorKind::Internal,
                    format!(
                        "{}: driver returned {} bytes to a read of at most {CHUNK}",
                        expect.label,
                        chunk.len()
                    ),
                );
                let _ = tx.send(Err(io_err(e))).await;
                break;
            }
            if chunk.is_empty() {
                if let Err(e) = expect.end() {
                    let _ = tx.send(Err(io_err(e))).await;
                }
                break;
            }
            if let Err(e) = expect.add(chunk.len()) {
                let _ = tx.send(Err(io_err(e))).await;
                break;
            }
            if tx.send(Ok(Bytes::from(chunk))).await.is_err() {
                break;
            }
        }
        drop_resource(&mut lease, res).await;
    });
    reader
}

/// Give a guest resource back to the guest (its destructor runs there).
pub(crate) async fn drop_resource(lease: &mut Lease, res: ResourceAny) {
    let _ = guest!(lease, i => res.resource_drop_async(&mut i.store));
}

/// Take a host stream the guest returned out of the instance's table, so it
/// can be read without holding the instance.
pub(crate) fn take_host_stream(
    lease: &mut Lease,
    hs: crate::bindings::core::HostStream,
) -> crate::Result<DynInputStream> {
    let label = lease.label().to_string();
    let inst = lease
        .instance()
        .ok_or_else(|| Error::crashed(format!("{label}: instance lost")))?;
    inst.store.data_mut().table.delete(hs.data).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!("{label}: bad stream handle: {e}"),
        )
    })
}

/// A reader that fails at once with `e`.
pub(crate) fn failed(e: Error) -> ObjectReader {
    let (tx, reader) = ObjectReader::new();
    let _ = tx.try_send(Err(io_err(e)));
    reader
}

/// A small body the driver returned whole (`body.bytes`): no pump, no
/// instance held. Its length is checked like a streamed body's.
pub(crate) fn from_bytes(data: Vec<u8>, expected: Option<u64>, label: &str) -> ObjectReader {
    if expected.is_some_and(|e| e != data.len() as u64) {
        // The error, worded as for a streamed body.
        let mut check = Expect {
            label: label.to_string(),
            expected,
            seen: 0,
        };
        if let Err(e) = check.add(data.len()).and_then(|()| check.end()) {
            return failed(e);
        }
    }
    ObjectReader {
        rx: None,
        cur: Bytes::from(data),
        done: true,
    }
}

/// An upload body checked against the size the caller announced: more
/// bytes, or an end before it, is an error (the driver may have sent the
/// size to a server already).
pub(crate) struct Exact<R> {
    inner: R,
    size: u64,
    seen: u64,
}

impl<R> Exact<R> {
    pub(crate) fn new(inner: R, size: u64) -> Exact<R> {
        Exact {
            inner,
            size,
            seen: 0,
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Exact<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // Ask for at most one byte more than is left, so that a body longer
        // than announced shows in the read that crosses the size.
        let left = self.size.saturating_sub(self.seen).saturating_add(1);
        let cap = buf
            .remaining()
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        let mut limited = buf.take(cap);
        match Pin::new(&mut self.inner).poll_read(cx, &mut limited) {
            Poll::Ready(Ok(())) => {}
            other => return other,
        }
        let n = limited.filled().len();
        let (seen, size) = (self.seen + n as u64, self.size);
        if seen > size {
            // Nothing is marked filled: a failed read hands over no bytes.
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the body is longer than its announced size of {size} bytes"),
            )));
        }
        if n == 0 && cap > 0 && seen < size {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the body ended after {seen} of its announced {size} bytes"),
            )));
        }
        self.seen = seen;
        // `take` shares the caller's memory: mark what was filled there.
        unsafe { buf.assume_init(n) };
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

// ---- an upload's chunks, for the driver's `write` ----

/// The chunks of an upload, one at a time, for the driver's `write`.
pub(crate) trait Chunks: Send {
    /// The next chunk, at most [`CHUNK`] bytes; empty at the end.
    fn next(&mut self) -> impl std::future::Future<Output = io::Result<&[u8]>> + Send;
}

/// Fill `buf` as far as the source allows; 0 means end of input.
pub(crate) async fn read_full(
    r: &mut (impl AsyncRead + Unpin),
    buf: &mut [u8],
) -> std::io::Result<usize> {
    use tokio::io::AsyncReadExt;
    let mut n = 0;
    while n < buf.len() {
        let m = r.read(&mut buf[n..]).await?;
        if m == 0 {
            break;
        }
        n += m;
    }
    Ok(n)
}

/// An application's reader, read [`CHUNK`] bytes at a time into one buffer;
/// the first `pending` bytes of the buffer were read already.
pub(crate) struct ReaderChunks<R> {
    body: R,
    buf: Vec<u8>,
    pending: usize,
}

impl<R> ReaderChunks<R> {
    pub(crate) fn new(body: R, buf: Vec<u8>, pending: usize) -> Self {
        ReaderChunks { body, buf, pending }
    }
}

impl<R: AsyncRead + Send + Unpin> Chunks for ReaderChunks<R> {
    async fn next(&mut self) -> io::Result<&[u8]> {
        let n = match std::mem::take(&mut self.pending) {
            0 => read_full(&mut self.body, &mut self.buf).await?,
            n => n,
        };
        Ok(&self.buf[..n])
    }
}

/// Chunks at least this long go to the driver as they are; shorter ones are
/// gathered into one buffer first (a `write` per tiny chunk costs more than
/// the copy).
const GATHER_BELOW: usize = 64 << 10;

/// A body in memory as a list of chunks (none of them empty).
pub(crate) struct Parts(std::collections::VecDeque<Bytes>);

impl Parts {
    pub(crate) fn new(parts: Vec<Bytes>) -> Parts {
        Parts(parts.into_iter().filter(|p| !p.is_empty()).collect())
    }

    /// The length of the next chunk, if any is left.
    fn next_len(&self) -> Option<usize> {
        self.0.front().map(Bytes::len)
    }

    /// Up to `max` bytes off the front of the next chunk (no copy).
    pub(crate) fn take(&mut self, max: usize) -> Option<Bytes> {
        let first = self.0.front_mut()?;
        let b = first.split_to(first.len().min(max));
        if first.is_empty() {
            self.0.pop_front();
        }
        Some(b)
    }
}

/// A body in memory as a list of chunks, handed out without a copy where
/// they are long enough.
pub(crate) struct PartChunks {
    parts: Parts,
    /// What the last `next` handed out.
    out: Bytes,
    gathered: Vec<u8>,
}

impl PartChunks {
    pub(crate) fn new(parts: Vec<Bytes>) -> Self {
        PartChunks {
            parts: Parts::new(parts),
            out: Bytes::new(),
            gathered: Vec::new(),
        }
    }
}

impl Chunks for PartChunks {
    async fn next(&mut self) -> io::Result<&[u8]> {
        match self.parts.next_len() {
            None => return Ok(&[]),
            Some(n) if n >= GATHER_BELOW => {
                self.out = self.parts.take(CHUNK).expect("a chunk is left");
                return Ok(&self.out);
            }
            Some(_) => {}
        }
        // Short chunks: gathered up to CHUNK, or to the next long one.
        self.gathered.clear();
        while let Some(n) = self.parts.next_len() {
            if n >= GATHER_BELOW || self.gathered.len() == CHUNK {
                break;
            }
            let b = self.parts.take(CHUNK - self.gathered.len());
            self.gathered
                .extend_from_slice(&b.expect("a chunk is left"));
        }
        Ok(&self.gathered)
    }
}

/// A body in memory as a list of chunks, as an `AsyncRead`.
pub(crate) struct PartsReader(Parts);

impl PartsReader {
    pub(crate) fn new(parts: Vec<Bytes>) -> Self {
        PartsReader(Parts::new(parts))
    }
}

impl AsyncRead for PartsReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(b) = self.0.take(buf.remaining()) {
            buf.put_slice(&b);
        }
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn read_exact_size(data: Vec<u8>, size: u64) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Exact::new(std::io::Cursor::new(data), size)
            .read_to_end(&mut out)
            .await
            .map(|_| out)
    }

    #[tokio::test]
    async fn exact_passes_a_body_of_the_announced_size() {
        let body: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
        assert_eq!(read_exact_size(body.clone(), 100_000).await.unwrap(), body);
        assert_eq!(read_exact_size(Vec::new(), 0).await.unwrap(), b"");
    }

    #[tokio::test]
    async fn exact_refuses_a_longer_or_shorter_body() {
        let e = read_exact_size(vec![1; 11], 10).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
        assert!(
            e.to_string()
                .contains("longer than its announced size of 10"),
            "{e}"
        );
        let e = read_exact_size(vec![1; 1], 0).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
        let e = read_exact_size(vec![1; 9], 10).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{e}");
        assert!(e.to_string().contains("after 9 of its announced 10"), "{e}");
    }

    #[tokio::test]
    async fn small_bodies_come_back_whole_and_are_length_checked() {
        let mut r = from_bytes(b"hello".to_vec(), Some(5), "t");
        let mut out = Vec::new();
        r.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, b"hello");
        let r = from_bytes(b"hello".to_vec(), Some(4), "t");
        let e = r.read_all().await.unwrap_err();
        assert!(e.message().contains("more than the 4 bytes"), "{e}");
        let r = from_bytes(b"hi".to_vec(), Some(4), "t");
        let e = r.read_all().await.unwrap_err();
        assert!(e.message().contains("ended after 2 of 4"), "{e}");
    }

    /// Long parts are handed out in place (at most CHUNK at a time), short
    /// ones gathered, all in order.
    #[tokio::test]
    async fn part_chunks_hand_out_long_parts_in_place() {
        let long = Bytes::from(vec![1u8; CHUNK + 10]);
        let parts = vec![
            Bytes::from_static(b"ab"),
            Bytes::from_static(b"c"),
            long.clone(),
            Bytes::new(),
            Bytes::from_static(b"z"),
        ];
        let mut c = PartChunks::new(parts);
        assert_eq!(c.next().await.unwrap(), b"abc");
        let first = c.next().await.unwrap();
        assert_eq!((first.len(), first.as_ptr()), (CHUNK, long.as_ptr()));
        // The long part's last 10 bytes are under GATHER_BELOW: gathered
        // with what follows.
        let mut tail = vec![1u8; 10];
        tail.push(b'z');
        assert_eq!(c.next().await.unwrap(), &tail[..]);
        assert!(c.next().await.unwrap().is_empty());
        let mut many = PartChunks::new(vec![Bytes::from_static(b"x"); CHUNK + 1]);
        assert_eq!(many.next().await.unwrap().len(), CHUNK);
        assert_eq!(many.next().await.unwrap(), b"x");
    }
}
