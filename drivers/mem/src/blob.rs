//! An object's bytes: the chunks the host wrote, kept as they came (small chunks are
//! gathered into buffers of about 1 MiB), shared with copies through an `Rc`, and
//! read back by slices. A put therefore copies each byte once (into the chunk the
//! canonical ABI allocates), and a get copies only the slice each `read` returns.

/// Chunks smaller than this are gathered into a shared buffer instead of kept alone.
const SMALL_CHUNK: usize = 64 * 1024;
/// The capacity of a gathering buffer.
const GATHER: usize = 1024 * 1024;

/// Immutable object content.
#[derive(Debug, Default)]
pub struct Blob {
    chunks: Vec<Vec<u8>>,
    /// `ends[i]`: offset just past chunk `i`.
    ends: Vec<u64>,
}

impl Blob {
    /// One buffer the host handed over whole (`put-bytes`), kept as it is.
    pub fn whole(data: Vec<u8>) -> Blob {
        let mut b = BlobBuilder::default();
        if !data.is_empty() {
            b.chunks.push(data);
        }
        b.finish()
    }

    pub fn len(&self) -> u64 {
        self.ends.last().copied().unwrap_or(0)
    }

    /// Up to `max` bytes from `offset` (fewer at the end).
    pub fn read_at(&self, offset: u64, max: u64) -> Vec<u8> {
        let n = max.min(self.len().saturating_sub(offset)) as usize;
        let mut out = Vec::with_capacity(n);
        let mut i = self.ends.partition_point(|&e| e <= offset);
        let mut at = offset;
        while out.len() < n {
            let start = self.ends[i] - self.chunks[i].len() as u64;
            let chunk = &self.chunks[i][(at - start) as usize..];
            let take = chunk.len().min(n - out.len());
            out.extend_from_slice(&chunk[..take]);
            at += take as u64;
            i += 1;
        }
        out
    }
}

/// Collects the chunks of an upload.
#[derive(Default)]
pub struct BlobBuilder {
    chunks: Vec<Vec<u8>>,
    /// True when the last chunk is a gathering buffer that small chunks extend.
    gathering: bool,
}

impl BlobBuilder {
    /// Appends `chunk`; `Err` when memory for it cannot be had.
    pub fn push(&mut self, chunk: Vec<u8>) -> Result<(), ()> {
        if chunk.is_empty() {
            return Ok(());
        }
        if chunk.len() >= SMALL_CHUNK {
            self.seal();
            self.chunks.try_reserve(1).map_err(|_| ())?;
            self.chunks.push(chunk);
            return Ok(());
        }
        let fits = self.gathering
            && self
                .chunks
                .last()
                .is_some_and(|last| last.len() + chunk.len() <= last.capacity());
        if !fits {
            self.seal();
            let mut buffer = Vec::new();
            buffer.try_reserve_exact(GATHER).map_err(|_| ())?;
            self.chunks.try_reserve(1).map_err(|_| ())?;
            self.chunks.push(buffer);
            self.gathering = true;
        }
        let last = self.chunks.last_mut().expect("a gathering buffer");
        last.extend_from_slice(&chunk);
        Ok(())
    }

    /// Gives a gathering buffer back its unused capacity.
    fn seal(&mut self) {
        if self.gathering {
            if let Some(last) = self.chunks.last_mut() {
                last.shrink_to_fit();
            }
            self.gathering = false;
        }
    }

    pub fn finish(mut self) -> Blob {
        self.seal();
        let mut end = 0u64;
        let ends = self
            .chunks
            .iter()
            .map(|c| {
                end += c.len() as u64;
                end
            })
            .collect();
        Blob {
            chunks: self.chunks,
            ends,
        }
    }
}
