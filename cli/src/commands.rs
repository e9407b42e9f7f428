//! Carrying out one command on an opened driver.

use crate::args::Op;
use crate::listing;
use crate::output;
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::pin::Pin;
use std::task::Poll;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use trove_host::{
    printable, ByteRange, ContentHeaders, Driver, Error, ErrorKind, GetOptions, ListOptions,
    PresignMethod, PutOptions,
};

pub async fn run_op(driver: &Driver, op: Op, json: bool) -> Result<()> {
    match op {
        Op::Ping => {
            driver.ping().await?;
            print_result(
                json,
                serde_json::json!({"ok": true, "driver": driver.info().name}),
                "ok",
            );
        }
        Op::Buckets => {
            let b = driver.list_buckets().await?;
            if json {
                println!("{}", output::buckets_json(&b));
            } else {
                for b in b {
                    println!(
                        "{:20}  {}",
                        b.created.map(output::rfc3339).unwrap_or_default(),
                        printable(&b.name)
                    );
                }
            }
        }
        Op::Mb { bucket } => {
            driver.create_bucket(&bucket).await?;
            print_result(
                json,
                serde_json::json!({"created": bucket}),
                &format!("created bucket {}", printable(&bucket)),
            );
        }
        Op::Rb { bucket } => {
            driver.delete_bucket(&bucket).await?;
            print_result(
                json,
                serde_json::json!({"deleted": bucket}),
                &format!("deleted bucket {}", printable(&bucket)),
            );
        }
        Op::Ls {
            bucket,
            prefix,
            delimiter,
            max_keys,
            cursor,
            all,
        } => {
            let opts = ListOptions {
                prefix,
                delimiter,
                max_keys,
                cursor,
            };
            listing::ls(driver, &bucket, opts, all, json).await?;
        }
        Op::Put {
            bucket,
            key,
            file,
            content_type,
            headers,
            meta,
            if_none_match,
            if_match,
        } => {
            let metadata = meta
                .iter()
                .map(|kv| {
                    kv.split_once('=')
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .with_context(|| format!("--meta expects K=V, got {kv:?}"))
                })
                .collect::<Result<Vec<_>>>()
                .map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("{e:#}")))?;
            let headers = ContentHeaders {
                cache_control: headers.cache_control,
                content_disposition: headers.content_disposition,
                content_encoding: headers.content_encoding,
                content_language: headers.content_language,
                expires: headers.expires,
            };
            let mut opts = PutOptions {
                content_type,
                headers,
                metadata,
                if_none_match,
                if_match,
                size: None,
            };
            let info = match file.as_deref() {
                None | Some("-") => driver.put(&bucket, &key, tokio::io::stdin(), opts).await?,
                Some(path) => {
                    let f = tokio::fs::File::open(path).await.map_err(|e| {
                        Error::new(ErrorKind::Io, format!("cannot open {path}: {e}"))
                    })?;
                    let meta = f.metadata().await.ok();
                    // A regular file's length is exact (a pipe's is not known).
                    let len = meta.as_ref().filter(|m| m.is_file()).map(|m| m.len());
                    opts.size = len;
                    let bar = progress(len);
                    let info = match len {
                        // A regular file can be read again: a retryable
                        // failure starts the put over (within the retry
                        // budget), from the first byte.
                        Some(_) => {
                            let mut first = Some(f);
                            driver
                                .put_replayable(
                                    &bucket,
                                    &key,
                                    || {
                                        let (first, bar) = (first.take(), bar.clone());
                                        async move {
                                            let inner = match first {
                                                Some(f) => f,
                                                None => reopen(path).await?,
                                            };
                                            if let Some(b) = &bar {
                                                b.set_position(0);
                                            }
                                            Ok(Progress { inner, bar })
                                        }
                                    },
                                    opts,
                                )
                                .await
                        }
                        None => {
                            let body = Progress {
                                inner: f,
                                bar: bar.clone(),
                            };
                            driver.put(&bucket, &key, body, opts).await
                        }
                    };
                    if let Some(b) = bar {
                        b.finish_and_clear();
                    }
                    info?
                }
            };
            if json {
                println!("{}", output::object_json(&info));
            } else {
                eprintln!(
                    "stored {}/{} ({} bytes, etag {})",
                    printable(&bucket),
                    printable(&info.key),
                    info.size,
                    printable(&info.etag)
                );
            }
        }
        Op::Get {
            bucket,
            key,
            file,
            range,
            if_match,
            if_none_match,
        } => {
            let range = range.as_deref().map(parse_range).transpose()?;
            let opts = GetOptions {
                range,
                if_match,
                if_none_match,
                version_id: None,
            };
            let (info, mut reader) = driver.get(&bucket, &key, opts).await?;
            match file.as_deref() {
                None | Some("-") => {
                    let mut out = tokio::io::stdout();
                    copy(&mut reader, &mut out).await?;
                    out.flush().await?;
                }
                Some(path) => {
                    // Write next to the target and rename, so a failed
                    // download never leaves a truncated file behind.
                    let tmp = format!("{path}.trove-partial");
                    let result = async {
                        let mut f = tokio::fs::File::create(&tmp).await.map_err(|e| {
                            Error::new(ErrorKind::Io, format!("cannot create {tmp}: {e}"))
                        })?;
                        let bar = progress(Some(info.size));
                        let mut w = Progress {
                            inner: &mut f,
                            bar: bar.clone(),
                        };
                        copy(&mut reader, &mut w).await?;
                        if let Some(b) = bar {
                            b.finish_and_clear();
                        }
                        f.sync_all().await.ok();
                        tokio::fs::rename(&tmp, path).await?;
                        anyhow::Ok(())
                    }
                    .await;
                    if result.is_err() {
                        let _ = tokio::fs::remove_file(&tmp).await;
                    }
                    result?;
                    if json {
                        println!("{}", output::object_json(&info));
                    }
                }
            }
        }
        Op::Head { bucket, key } => {
            let info = driver.head(&bucket, &key).await?;
            if json {
                println!("{}", output::object_json(&info));
            } else {
                print!("{}", output::object_text(&info));
            }
        }
        Op::Rm { bucket, key } => {
            driver.delete(&bucket, &key).await?;
            print_result(
                json,
                serde_json::json!({"deleted": key}),
                &format!("deleted {}/{}", printable(&bucket), printable(&key)),
            );
        }
        Op::Cp {
            src_bucket,
            src_key,
            dst_bucket,
            dst_key,
        } => {
            let info = driver
                .copy(&src_bucket, &src_key, &dst_bucket, &dst_key)
                .await?;
            if json {
                println!("{}", output::object_json(&info));
            } else {
                eprintln!(
                    "copied {}/{} to {}/{} ({} bytes)",
                    printable(&src_bucket),
                    printable(&src_key),
                    printable(&dst_bucket),
                    printable(&dst_key),
                    info.size
                );
            }
        }
        Op::Presign {
            method,
            bucket,
            key,
            expires,
        } => {
            let m = if method == "put" {
                PresignMethod::Put
            } else {
                PresignMethod::Get
            };
            let url = driver.presign(m, &bucket, &key, expires).await?;
            print_result(json, serde_json::json!({"url": url}), &printable(&url));
        }
    }
    Ok(())
}

fn print_result(json: bool, value: serde_json::Value, text: &str) {
    if json {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

/// HTTP-style inclusive ranges: `START-END`, `START-`, `-SUFFIX`.
pub fn parse_range(s: &str) -> Result<ByteRange> {
    let bad = || {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("bad --range {s:?}: use START-END, START- or -SUFFIX"),
        )
    };
    let (a, b) = s.trim().split_once('-').ok_or_else(bad)?;
    let num = |t: &str| t.trim().parse::<u64>().map_err(|_| bad());
    Ok(match (a.trim().is_empty(), b.trim().is_empty()) {
        (true, true) => return Err(bad().into()),
        (true, false) => ByteRange::Suffix(num(b)?),
        (false, true) => ByteRange::Span {
            offset: num(a)?,
            length: None,
        },
        (false, false) => {
            let (start, end) = (num(a)?, num(b)?);
            if end < start {
                bail!(bad());
            }
            ByteRange::Span {
                offset: start,
                length: Some(end - start + 1),
            }
        }
    })
}

/// Copy a body out in 1 MiB pieces (`tokio::io::copy`'s 8 KiB buffer costs
/// a blocking write, and a thread hop, per 8 KiB).
async fn copy(r: &mut (impl AsyncRead + Unpin), w: &mut (impl AsyncWrite + Unpin)) -> Result<u64> {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = r.read(&mut buf).await.map_err(trove_host::to_error)?;
        if n == 0 {
            return Ok(total);
        }
        w.write_all(&buf[..n]).await?;
        total += n as u64;
    }
}

/// A progress bar on stderr, only when stderr is a terminal.
fn progress(len: Option<u64>) -> Option<ProgressBar> {
    let len = len?;
    if !std::io::stderr().is_terminal() || len < (8 << 20) {
        return None;
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Some(bar)
}

/// Counts bytes through a reader or writer into a progress bar.
struct Progress<T> {
    inner: T,
    bar: Option<ProgressBar>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Progress<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let (Some(b), Poll::Ready(Ok(()))) = (&self.bar, &r) {
            b.inc((buf.filled().len() - before) as u64);
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Progress<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if let (Some(b), Poll::Ready(Ok(n))) = (&self.bar, &r) {
            b.inc(*n as u64);
        }
        r
    }
    fn poll_flush(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A file opened again for another attempt of its upload.
async fn reopen(path: &str) -> Result<tokio::fs::File, Error> {
    tokio::fs::File::open(path)
        .await
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot open {path} again: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(
            parse_range("0-9").unwrap(),
            ByteRange::Span {
                offset: 0,
                length: Some(10)
            }
        );
        assert_eq!(
            parse_range("5-").unwrap(),
            ByteRange::Span {
                offset: 5,
                length: None
            }
        );
        assert_eq!(parse_range("-3").unwrap(), ByteRange::Suffix(3));
        assert!(parse_range("9-1").is_err());
        assert!(parse_range("-").is_err());
        assert!(parse_range("a-b").is_err());
    }
}
