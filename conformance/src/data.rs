//! Test data: deterministic pseudo-random byte streams (random access, so a
//! range of a huge stream can be produced without the rest), streamed as an
//! `AsyncRead`, and SHA-256 helpers that hash while reading.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function: word `i` of stream `seed` is `mix(seed + (i + 1) * GAMMA)`.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn word(seed: u64, index: u64) -> [u8; 8] {
    mix(seed.wrapping_add(index.wrapping_add(1).wrapping_mul(GAMMA))).to_le_bytes()
}

/// Fills `buf` with bytes `offset..offset + buf.len()` of stream `seed`.
pub(crate) fn fill(seed: u64, offset: u64, buf: &mut [u8]) {
    let mut pos = offset;
    let mut out = buf;
    // Unaligned head.
    let skip = (pos % 8) as usize;
    if skip != 0 {
        let w = word(seed, pos / 8);
        let n = (8 - skip).min(out.len());
        out[..n].copy_from_slice(&w[skip..skip + n]);
        out = &mut out[n..];
        pos += n as u64;
    }
    let mut index = pos / 8;
    let mut chunks = out.chunks_exact_mut(8);
    for chunk in &mut chunks {
        chunk.copy_from_slice(&word(seed, index));
        index += 1;
    }
    let tail = chunks.into_remainder();
    if !tail.is_empty() {
        let n = tail.len();
        tail.copy_from_slice(&word(seed, index)[..n]);
    }
}

/// Bytes `offset..offset + len` of stream `seed`.
pub(crate) fn slice(seed: u64, offset: u64, len: usize) -> Vec<u8> {
    let mut v = vec![0; len];
    fill(seed, offset, &mut v);
    v
}

/// The first `len` bytes of stream `seed`.
pub(crate) fn bytes(seed: u64, len: usize) -> Vec<u8> {
    slice(seed, 0, len)
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// SHA-256 of the first `len` bytes of stream `seed`, generated 1 MiB at a time.
pub(crate) fn stream_sha256(seed: u64, len: u64) -> String {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut pos = 0;
    while pos < len {
        let n = (len - pos).min(buf.len() as u64) as usize;
        fill(seed, pos, &mut buf[..n]);
        h.update(&buf[..n]);
        pos += n as u64;
    }
    hex::encode(h.finalize())
}

/// Reads `r` to the end, `chunk` bytes at a time at most, hashing as it goes.
/// Returns the number of bytes read and the hex SHA-256.
pub(crate) async fn read_sha256<R: AsyncRead + Unpin>(
    r: &mut R,
    chunk: usize,
) -> io::Result<(u64, String)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; chunk.max(1)];
    let mut total = 0u64;
    loop {
        let n = r.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        total += n as u64;
    }
    Ok((total, hex::encode(h.finalize())))
}

/// An `AsyncRead` producing the first `len` bytes of stream `seed`, never
/// holding more than the caller's buffer. Optionally hands out data in a
/// cycling pattern of chunk sizes, to exercise uploads fed in odd pieces.
pub(crate) struct PrngReader {
    seed: u64,
    pos: u64,
    len: u64,
    pattern: &'static [usize],
    step: usize,
    /// Fail with an I/O error once this many bytes have been produced.
    fail_at: Option<u64>,
}

impl PrngReader {
    pub fn new(seed: u64, len: u64) -> Self {
        PrngReader {
            seed,
            pos: 0,
            len,
            pattern: &[],
            step: 0,
            fail_at: None,
        }
    }

    /// Reads return at most `pattern[i % pattern.len()]` bytes for the i-th read.
    pub fn with_chunks(mut self, pattern: &'static [usize]) -> Self {
        self.pattern = pattern;
        self
    }

    /// The stream breaks with an I/O error after `n` bytes.
    pub fn failing_at(mut self, n: u64) -> Self {
        self.fail_at = Some(n);
        self
    }
}

impl AsyncRead for PrngReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some(at) = this.fail_at {
            if this.pos >= at {
                return Poll::Ready(Err(io::Error::other(
                    "conformance: the body source broke on purpose",
                )));
            }
        }
        let mut n = (this.len - this.pos).min(buf.remaining() as u64);
        if let Some(at) = this.fail_at {
            n = n.min(at - this.pos);
        }
        if !this.pattern.is_empty() {
            n = n.min(this.pattern[this.step % this.pattern.len()] as u64);
            this.step += 1;
        }
        let n = n as usize;
        if n > 0 {
            fill(this.seed, this.pos, buf.initialize_unfilled_to(n));
            buf.advance(n);
            this.pos += n as u64;
        }
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_access_matches_sequential() {
        let all = bytes(7, 1000);
        for (off, len) in [
            (0, 1000),
            (1, 7),
            (3, 100),
            (8, 8),
            (999, 1),
            (5, 0),
            (13, 987),
        ] {
            assert_eq!(slice(7, off as u64, len), all[off..off + len]);
        }
        assert_ne!(bytes(7, 64), bytes(8, 64));
    }

    #[tokio::test]
    async fn reader_streams_the_same_bytes() {
        let len = 3 * (1 << 20) + 5;
        let want = stream_sha256(42, len);
        let mut r = PrngReader::new(42, len);
        assert_eq!(
            read_sha256(&mut r, 65_536).await.unwrap(),
            (len, want.clone())
        );
        let mut r = PrngReader::new(42, len).with_chunks(&[1, 4095, 65_537, 7]);
        assert_eq!(read_sha256(&mut r, 100_000).await.unwrap(), (len, want));
        let small = bytes(42, 100);
        assert_eq!(
            read_sha256(&mut PrngReader::new(42, 100), 3)
                .await
                .unwrap()
                .1,
            sha256_hex(&small)
        );
    }

    #[tokio::test]
    async fn failing_reader_fails_after_n_bytes() {
        let mut r = PrngReader::new(1, 100).failing_at(10);
        let mut buf = [0u8; 64];
        assert_eq!(r.read(&mut buf).await.unwrap(), 10);
        assert!(r.read(&mut buf).await.is_err());
    }
}
