//! ListObjectsV2 (and V1) on top of the driver's `list`: the continuation
//! token is the driver's opaque cursor, `start-after`/`marker` is applied by
//! skipping, and `encoding-type=url` percent-encodes the names in the answer.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use s3s::dto::{CommonPrefix, ETag, EncodingType, Object, ObjectStorageClass, Timestamp};
use trove_host::cursor::CursorWatch;
use trove_host::{Driver, Error, ErrorKind, ListOptions, ListPage, ObjectInfo, Result};

/// What S3 leaves unencoded with `encoding-type=url`: unreserved characters and `/`.
const URL_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// The S3 default and maximum page size.
pub const MAX_KEYS: i32 = 1000;

/// One request's listing parameters.
pub struct Query<'a> {
    pub prefix: Option<&'a str>,
    pub delimiter: Option<&'a str>,
    pub max_keys: u32,
    pub cursor: Option<&'a str>,
    /// Keys (and prefixes) at or before this one are left out.
    pub start_after: Option<&'a str>,
}

/// The most driver pages one request reads (skipping to `start-after`, then
/// topping up): past it the request fails instead of spinning on a listing
/// that never gets anywhere.
pub const PAGE_BUDGET: u32 = 1000;
/// The most bytes of names (keys and prefixes) one request reads.
pub const BYTE_BUDGET: u64 = 256 << 20;

/// One page of at most `max_keys` entries, `start_after` applied: pages
/// that fall entirely before it are skipped, and the page where it ends is
/// topped up from the next ones (asking for exactly what is missing, so no
/// entry is ever read past the cursor that is handed back).
///
/// Bounded: at most [`PAGE_BUDGET`] driver pages and [`BYTE_BUDGET`] of
/// names per request, a cursor that comes back (the listing goes round in a
/// loop) ends it at once, and the task yields between driver calls so that a
/// long walk never holds a worker thread (other requests, the shutdown
/// signal) to itself. Each ends the request with an `internal` error saying
/// the driver's listing did not advance (S3: InternalError).
pub async fn page(driver: &Driver, bucket: &str, q: &Query<'_>) -> Result<ListPage> {
    let sa = q.start_after.filter(|s| !s.is_empty());
    let mut out = ListPage::default();
    let mut cursor = q.cursor.map(str::to_string);
    let mut watch = CursorWatch::new(cursor.clone());
    let mut skipping = sa.is_some();
    let mut pages = 0u32;
    let mut bytes = 0u64;
    loop {
        if pages > 0 {
            tokio::task::yield_now().await;
        }
        let have = (out.objects.len() + out.common_prefixes.len()) as u32;
        let opts = ListOptions {
            prefix: q.prefix.filter(|p| !p.is_empty()).map(str::to_string),
            delimiter: q.delimiter.filter(|d| !d.is_empty()).map(str::to_string),
            max_keys: Some(if skipping {
                q.max_keys
            } else {
                q.max_keys - have
            }),
            cursor: cursor.take(),
        };
        let mut page = driver.list(bucket, opts).await?;
        pages += 1;
        bytes += page.objects.iter().map(|o| o.key.len() as u64).sum::<u64>()
            + page
                .common_prefixes
                .iter()
                .map(|p| p.len() as u64)
                .sum::<u64>();
        if let (true, Some(sa)) = (skipping, sa) {
            page.objects.retain(|o| o.key.as_str() > sa);
            // A rolled-up prefix stays when some key under it may come after `sa`.
            page.common_prefixes
                .retain(|p| p.as_str() > sa || sa.starts_with(p.as_str()));
            skipping = page.objects.is_empty() && page.common_prefixes.is_empty();
        }
        out.objects.append(&mut page.objects);
        out.common_prefixes.append(&mut page.common_prefixes);
        out.next_cursor = page.next_cursor;
        let have = (out.objects.len() + out.common_prefixes.len()) as u32;
        if out.next_cursor.is_none() || (!skipping && have >= q.max_keys) || sa.is_none() {
            return Ok(out);
        }
        let next = out.next_cursor.clone().unwrap_or_default();
        if let Err(why) = watch.check(u64::from(pages), &next) {
            return Err(not_advancing(why));
        }
        if pages >= PAGE_BUDGET || bytes >= BYTE_BUDGET {
            return Err(not_advancing(format!(
                "{pages} pages ({} MiB of names) read for one request without {}",
                bytes >> 20,
                if skipping {
                    "getting past start-after"
                } else {
                    "filling the page"
                }
            )));
        }
        cursor = Some(next);
    }
}

fn not_advancing(why: String) -> Error {
    Error::new(
        ErrorKind::Internal,
        format!("the driver's listing did not advance: {why}"),
    )
}

/// A name as it goes into the answer.
pub fn encode(name: &str, url: bool) -> String {
    if url {
        utf8_percent_encode(name, URL_KEEP).to_string()
    } else {
        name.to_string()
    }
}

pub fn object(o: &ObjectInfo, url: bool) -> Object {
    Object {
        key: Some(encode(&o.key, url)),
        size: Some(o.size as i64),
        e_tag: Some(ETag::Strong(o.etag.clone())),
        last_modified: o.last_modified.map(Timestamp::from),
        storage_class: Some(ObjectStorageClass::from(
            o.storage_class
                .clone()
                .unwrap_or_else(|| "STANDARD".to_string()),
        )),
        ..Default::default()
    }
}

pub fn prefixes(page: &ListPage, url: bool) -> Vec<CommonPrefix> {
    page.common_prefixes
        .iter()
        .map(|p| CommonPrefix {
            prefix: Some(encode(p, url)),
        })
        .collect()
}

/// Whether the request asked for `encoding-type=url`.
pub fn url_encoding(e: Option<&EncodingType>) -> bool {
    e.is_some_and(|e| e.as_str() == EncodingType::URL)
}

/// The page size asked for, within `min..=MAX_KEYS` (default `MAX_KEYS`).
pub fn max_keys(asked: Option<i32>, min: i32) -> i32 {
    asked.unwrap_or(MAX_KEYS).clamp(min, MAX_KEYS)
}

/// One page in S3's terms: its objects and common prefixes, names encoded
/// as the request asked.
pub struct Answer {
    pub page: ListPage,
    pub contents: Vec<Object>,
    pub prefixes: Vec<CommonPrefix>,
}

pub async fn answer(driver: &Driver, bucket: &str, q: &Query<'_>, url: bool) -> Result<Answer> {
    let page = page(driver, bucket, q).await?;
    let contents = page.objects.iter().map(|o| object(o, url)).collect();
    let prefixes = prefixes(&page, url);
    Ok(Answer {
        page,
        contents,
        prefixes,
    })
}

/// The last key or prefix of a page, in byte order (ListObjects V1's NextMarker).
pub fn last_name(page: &ListPage) -> Option<String> {
    let k = page.objects.last().map(|o| o.key.as_str());
    let p = page.common_prefixes.last().map(String::as_str);
    k.into_iter().chain(p).max().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding() {
        assert_eq!(encode("a b+c/d%e", true), "a%20b%2Bc/d%25e");
        assert_eq!(encode("a b", false), "a b");
        assert_eq!(encode("ü", true), "%C3%BC");
    }
}
