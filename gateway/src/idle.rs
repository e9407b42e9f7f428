//! The request body's idle timeout: a client that stops sending its body
//! (a stalled upload, a slowloris) fails its request with `RequestTimeout`
//! once nothing came for the timeout, so the driver call behind it is
//! aborted (nothing is stored) and the instance it held is freed.
//!
//! The timer runs only while the gateway waits for the client: it starts at
//! a read that finds nothing and is reset by every chunk that arrives.

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

type StdError = Box<dyn std::error::Error + Send + Sync>;

/// Whether a request's body went idle: set by [`IdleBody`], read by the
/// handler that answers (a request extension).
#[derive(Clone, Default)]
pub struct BodyIdle(Arc<AtomicBool>);

impl BodyIdle {
    /// The flag of a request, from its extensions (never set when absent).
    pub fn of(ext: &http::Extensions) -> BodyIdle {
        ext.get::<BodyIdle>().cloned().unwrap_or_default()
    }

    pub fn fired(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// S3's answer to a body that stopped coming (S3's own words).
pub fn request_timeout() -> s3s::S3Error {
    s3s::s3_error!(
        RequestTimeout,
        "Your socket connection to the server was not read from or written to within the \
         timeout period."
    )
}

/// A request body that fails when the client sends nothing for `idle`.
pub struct IdleBody<B> {
    inner: B,
    idle: Duration,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    flag: BodyIdle,
}

impl<B> IdleBody<B> {
    pub fn new(inner: B, idle: Duration, flag: BodyIdle) -> Self {
        IdleBody {
            inner,
            idle,
            timer: None,
            flag,
        }
    }
}

impl<B> Body for IdleBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<StdError>,
{
    type Data = Bytes;
    type Error = StdError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, StdError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(f) => {
                this.timer = None;
                Poll::Ready(f.map(|r| r.map_err(Into::into)))
            }
            Poll::Pending => {
                let idle = this.idle;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                match timer.as_mut().poll(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(()) => {
                        this.flag.0.store(true, Ordering::Release);
                        let msg = format!("no byte of the request body for {idle:?}");
                        Poll::Ready(Some(Err(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            msg,
                        )
                        .into())))
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn a_body_that_stops_coming_fails_and_says_so() {
        let (mut tx, rx) =
            futures::channel::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(1);
        let body = http_body_util::StreamBody::new(rx);
        let flag = BodyIdle::default();
        let mut b = IdleBody::new(body, Duration::from_millis(100), flag.clone());
        use futures::SinkExt;
        tx.send(Ok(Frame::data(Bytes::from_static(b"abc"))))
            .await
            .unwrap();
        let f = b.frame().await.unwrap().unwrap();
        assert_eq!(f.into_data().unwrap(), "abc");
        // the client goes quiet
        let e = b.frame().await.unwrap().unwrap_err();
        assert!(e.to_string().contains("no byte of the request body"), "{e}");
        assert!(flag.fired());
        drop(tx);
    }
}
