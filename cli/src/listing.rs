//! `ls`: every page goes out as it comes, so `ls --all` holds one page at a
//! time however long the listing is, and stops on a listing that does not
//! advance.
//!
//! - Text: each page's common prefixes, then its objects, one line each.
//! - `--json`: one document, `{"objects":[...],"common_prefixes":[...],
//!   "next_cursor":...}`, written as the pages come: the objects straight to
//!   stdout, the common prefixes (which the document puts after every object)
//!   held until the end, in memory up to 8 MiB and in an unnamed temp file
//!   past that, at most [`PREFIX_SPOOL_LIMIT`] (then the command fails).
//! - With `--all`, a page that hands back a cursor it (or an earlier page)
//!   already handed back, or an empty page that still has a cursor, stops the
//!   command: `error: internal: the driver's listing does not advance: …`,
//!   exit 1. What was written before stays written (a `--json` document is
//!   then left unfinished).
//! - A reader that goes away (`ls --all | head`) ends the command quietly.

use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};

use anyhow::Result;
use tempfile::SpooledTempFile;
use trove_host::cursor::CursorWatch;
use trove_host::{printable, Driver, Error, ErrorKind, ListOptions, ListPage};

use crate::output;

/// Common prefixes a `--json` document keeps in memory before it spills them
/// to a temp file.
const PREFIX_MEMORY: usize = 8 << 20;
/// The most common-prefix bytes one `--json` document holds until its end.
pub const PREFIX_SPOOL_LIMIT: u64 = 1 << 30;

pub async fn ls(
    driver: &Driver,
    bucket: &str,
    opts: ListOptions,
    all: bool,
    json: bool,
) -> Result<()> {
    match stream(driver, bucket, opts, all, json).await {
        // The reader went away (`ls --all | head`): nothing more to do.
        Err(e) if e.is::<Closed>() => Ok(()),
        r => r,
    }
}

async fn stream(
    driver: &Driver,
    bucket: &str,
    mut opts: ListOptions,
    all: bool,
    json: bool,
) -> Result<()> {
    let mut out = BufWriter::with_capacity(256 << 10, io::stdout());
    let mut format = if json {
        Format::Json(JsonDoc::default())
    } else {
        Format::Text
    };
    let mut watch = CursorWatch::new(opts.cursor.clone());
    let mut n = 0u64;
    format.start(&mut out).map_err(write_err)?;
    loop {
        let page = driver.list(bucket, opts.clone()).await?;
        n += 1;
        let next = match (all, &page.next_cursor) {
            (true, Some(c)) => {
                if page.objects.is_empty() && page.common_prefixes.is_empty() {
                    out.flush().map_err(write_err)?;
                    return Err(stuck(format!("page {n} is empty but has a next cursor")).into());
                }
                if let Err(why) = watch.check(n, c) {
                    out.flush().map_err(write_err)?;
                    return Err(stuck(why).into());
                }
                Some(c.clone())
            }
            _ => None,
        };
        format.page(&mut out, &page)?;
        out.flush().map_err(write_err)?;
        match next {
            Some(c) => opts.cursor = Some(c),
            None => {
                let last = if all {
                    None
                } else {
                    page.next_cursor.as_deref()
                };
                format.finish(&mut out, last)?;
                out.flush().map_err(write_err)?;
                return Ok(());
            }
        }
    }
}

fn stuck(why: String) -> Error {
    Error::new(
        ErrorKind::Internal,
        format!("the driver's listing does not advance: {why}"),
    )
}

/// stdout was closed by its reader.
#[derive(Debug)]
struct Closed;

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stdout closed")
    }
}

impl std::error::Error for Closed {}

fn write_err(e: io::Error) -> anyhow::Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return Closed.into();
    }
    Error::new(ErrorKind::Io, format!("cannot write the listing: {e}")).into()
}

enum Format {
    Text,
    Json(JsonDoc),
}

/// The state of a `--json` document being written.
struct JsonDoc {
    objects: usize,
    prefixes: usize,
    prefix_bytes: u64,
    /// `,"p1","p2"…` (each with its leading comma), until the end.
    spool: SpooledTempFile,
}

impl Default for JsonDoc {
    fn default() -> Self {
        JsonDoc {
            objects: 0,
            prefixes: 0,
            prefix_bytes: 0,
            spool: SpooledTempFile::new(PREFIX_MEMORY),
        }
    }
}

impl Format {
    fn start(&mut self, out: &mut impl Write) -> io::Result<()> {
        match self {
            Format::Text => Ok(()),
            Format::Json(_) => out.write_all(b"{\"objects\":["),
        }
    }

    fn page(&mut self, out: &mut impl Write, page: &ListPage) -> Result<()> {
        match self {
            Format::Text => {
                for p in &page.common_prefixes {
                    writeln!(out, "{:>12}  {:20}  {}", "PRE", "", printable(p))
                        .map_err(write_err)?;
                }
                for o in &page.objects {
                    let t = o.last_modified.map(output::rfc3339).unwrap_or_default();
                    writeln!(out, "{:>12}  {t:20}  {}", o.size, printable(&o.key))
                        .map_err(write_err)?;
                }
            }
            Format::Json(doc) => {
                for o in &page.objects {
                    if doc.objects > 0 {
                        out.write_all(b",").map_err(write_err)?;
                    }
                    serde_json::to_writer(&mut *out, &output::object_json(o))
                        .map_err(|e| write_err(e.into()))?;
                    doc.objects += 1;
                }
                for p in &page.common_prefixes {
                    let item = serde_json::to_string(p)?;
                    doc.prefix_bytes += item.len() as u64 + 1;
                    if doc.prefix_bytes > PREFIX_SPOOL_LIMIT {
                        return Err(Error::new(
                            ErrorKind::Internal,
                            format!(
                                "more than {} MiB of common prefixes to hold for the --json \
                                 document ({} so far); list without --json, or with a narrower \
                                 --prefix",
                                PREFIX_SPOOL_LIMIT >> 20,
                                doc.prefixes
                            ),
                        )
                        .into());
                    }
                    let spool_err = |e: io::Error| {
                        Error::new(
                            ErrorKind::Io,
                            format!("cannot hold the common prefixes in a temp file: {e}"),
                        )
                    };
                    doc.spool.write_all(b",").map_err(spool_err)?;
                    doc.spool.write_all(item.as_bytes()).map_err(spool_err)?;
                    doc.prefixes += 1;
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut impl Write, next: Option<&str>) -> Result<()> {
        match self {
            Format::Text => {
                if let Some(c) = next {
                    writeln!(out, "(more: --cursor {})", printable(c)).map_err(write_err)?;
                }
            }
            Format::Json(doc) => {
                out.write_all(b"],\"common_prefixes\":[")
                    .map_err(write_err)?;
                if doc.prefixes > 0 {
                    let spool_err = |e: io::Error| {
                        Error::new(
                            ErrorKind::Io,
                            format!("cannot read the common prefixes back: {e}"),
                        )
                    };
                    doc.spool.seek(SeekFrom::Start(1)).map_err(spool_err)?;
                    let mut buf = vec![0u8; 64 << 10];
                    loop {
                        let n = doc.spool.read(&mut buf).map_err(spool_err)?;
                        if n == 0 {
                            break;
                        }
                        out.write_all(&buf[..n]).map_err(write_err)?;
                    }
                }
                out.write_all(b"],\"next_cursor\":").map_err(write_err)?;
                serde_json::to_writer(&mut *out, &next).map_err(|e| write_err(e.into()))?;
                out.write_all(b"}\n").map_err(write_err)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_document_over_pages_with_spilled_prefixes() {
        let obj = |k: String| trove_host::ObjectInfo {
            key: k,
            size: 1,
            etag: "e".into(),
            ..Default::default()
        };
        let mut doc = Format::Json(JsonDoc::default());
        let mut out = Vec::new();
        doc.start(&mut out).unwrap();
        // 3 pages of 2 objects and 100,000 prefixes of 40 bytes: 12 MB of
        // prefixes, past the 8 MiB held in memory.
        for p in 0..3 {
            let page = ListPage {
                objects: (0..2).map(|i| obj(format!("k{p}{i}\u{1b}"))).collect(),
                common_prefixes: (0..100_000)
                    .map(|i| format!("{p}-{i:07}-{}/", "p".repeat(28)))
                    .collect(),
                next_cursor: Some("c".into()),
            };
            doc.page(&mut out, &page).unwrap();
        }
        let Format::Json(j) = &doc else { panic!() };
        assert!(j.spool.is_rolled(), "the prefixes spilled to a file");
        doc.finish(&mut out, None).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("{\"objects\":[{"), "{}", &text[..40]);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let objects = v["objects"].as_array().unwrap();
        assert_eq!(objects.len(), 6);
        assert_eq!(objects[5]["key"], "k21\u{1b}");
        let prefixes = v["common_prefixes"].as_array().unwrap();
        assert_eq!(prefixes.len(), 300_000);
        assert_eq!(prefixes[0], format!("0-0000000-{}/", "p".repeat(28)));
        assert_eq!(prefixes[299_999], format!("2-0099999-{}/", "p".repeat(28)));
        assert!(v["next_cursor"].is_null());
    }
}
