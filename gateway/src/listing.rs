//! ListObjectsV2, ListObjects (V1) and ListObjectVersions on top of the
//! driver's `list` (and `list-versions` where the driver has versioning): the
//! continuation token is the driver's opaque cursor, `start-after`/`marker` is
//! applied by skipping, and `encoding-type=url` percent-encodes the names in
//! the answer.

use crate::error::bucket as bucket_err;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use s3s::dto::*;
use s3s::S3Result;
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
            // A rolled-up prefix stays when some key under it may come after
            // `sa`; a prefix that is `sa` itself (a V1 NextMarker) was listed.
            page.common_prefixes
                .retain(|p| p.as_str() > sa || (sa.starts_with(p.as_str()) && sa != p));
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

/// The owner shown in listings: the gateway has one user, its key pair.
fn owner() -> Owner {
    Owner {
        display_name: Some("trove".to_string()),
        id: Some("trove".to_string()),
    }
}

/// A delimiter as the answer echoes it: an empty one is no delimiter.
fn delimiter(d: Option<String>) -> Option<String> {
    d.filter(|d| !d.is_empty())
}

pub async fn v2(driver: &Driver, i: ListObjectsV2Input) -> S3Result<ListObjectsV2Output> {
    let url = url_encoding(i.encoding_type.as_ref());
    let max_keys = max_keys(i.max_keys, 0);
    let delim = delimiter(i.delimiter);
    if max_keys == 0 {
        crate::s3::need_bucket(driver, &i.bucket).await?;
        return Ok(ListObjectsV2Output {
            name: Some(i.bucket),
            prefix: Some(i.prefix.unwrap_or_default()),
            delimiter: delim,
            max_keys: Some(0),
            key_count: Some(0),
            is_truncated: Some(false),
            continuation_token: i.continuation_token,
            start_after: i.start_after,
            encoding_type: i.encoding_type,
            ..Default::default()
        });
    }
    let q = Query {
        prefix: i.prefix.as_deref(),
        delimiter: delim.as_deref(),
        max_keys: max_keys as u32,
        cursor: i.continuation_token.as_deref().filter(|c| !c.is_empty()),
        start_after: if i.continuation_token.is_some() {
            None
        } else {
            i.start_after.as_deref()
        },
    };
    let Answer {
        page,
        mut contents,
        prefixes,
    } = answer(driver, &i.bucket, &q, url)
        .await
        .map_err(bucket_err)?;
    if i.fetch_owner == Some(true) {
        contents.iter_mut().for_each(|o| o.owner = Some(owner()));
    }
    let count = (contents.len() + prefixes.len()) as i32;
    Ok(ListObjectsV2Output {
        name: Some(i.bucket),
        prefix: Some(encode(&i.prefix.unwrap_or_default(), url)),
        delimiter: delim.map(|d| encode(&d, url)),
        start_after: i.start_after.map(|s| encode(&s, url)),
        max_keys: Some(max_keys),
        key_count: Some(count),
        is_truncated: Some(page.next_cursor.is_some()),
        next_continuation_token: page.next_cursor,
        continuation_token: i.continuation_token,
        contents: (!contents.is_empty()).then_some(contents),
        common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
        encoding_type: i.encoding_type,
        ..Default::default()
    })
}

/// V1: `marker` is a key (not a cursor), so each page starts from the
/// beginning and skips to it. Prefer V2.
pub async fn v1(driver: &Driver, i: ListObjectsInput) -> S3Result<ListObjectsOutput> {
    let url = url_encoding(i.encoding_type.as_ref());
    let max_keys = max_keys(i.max_keys, 0);
    let delim = delimiter(i.delimiter);
    let marker = i.marker.unwrap_or_default();
    let echo = |page: Option<&ListPage>, contents: Vec<Object>, prefixes: Vec<CommonPrefix>| {
        let truncated = page.is_some_and(|p| p.next_cursor.is_some());
        ListObjectsOutput {
            name: Some(i.bucket.clone()),
            prefix: Some(i.prefix.clone().unwrap_or_default()),
            delimiter: delim.clone(),
            marker: Some(encode(&marker, url)),
            next_marker: page
                .filter(|_| truncated)
                .and_then(last_name)
                .map(|n| encode(&n, url)),
            max_keys: Some(max_keys),
            is_truncated: Some(truncated),
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            encoding_type: i.encoding_type.clone(),
            ..Default::default()
        }
    };
    if max_keys == 0 {
        crate::s3::need_bucket(driver, &i.bucket).await?;
        return Ok(echo(None, Vec::new(), Vec::new()));
    }
    let q = Query {
        prefix: i.prefix.as_deref(),
        delimiter: delim.as_deref(),
        max_keys: max_keys as u32,
        cursor: None,
        start_after: Some(marker.as_str()),
    };
    let Answer {
        page,
        mut contents,
        prefixes,
    } = answer(driver, &i.bucket, &q, url)
        .await
        .map_err(bucket_err)?;
    contents.iter_mut().for_each(|o| o.owner = Some(owner()));
    Ok(echo(Some(&page), contents, prefixes))
}

/// The tag that marks a `NextVersionIdMarker` holding the driver's cursor.
const CURSOR_TAG: &str = "trove-cursor:";

/// ListObjectVersions. A driver with versioning lists its versions (the
/// driver's cursor travels in `NextVersionIdMarker`); for any other driver
/// every current object is its one version, `null`, as S3 answers for a
/// bucket that never had versioning.
pub async fn versions(
    driver: &Driver,
    i: ListObjectVersionsInput,
) -> S3Result<ListObjectVersionsOutput> {
    let url = url_encoding(i.encoding_type.as_ref());
    let max_keys = max_keys(i.max_keys, 0);
    let delim = delimiter(i.delimiter.clone());
    let mut out = ListObjectVersionsOutput {
        name: Some(i.bucket.clone()),
        prefix: Some(i.prefix.clone().unwrap_or_default()),
        delimiter: delim.clone(),
        key_marker: Some(i.key_marker.clone().unwrap_or_default()),
        version_id_marker: Some(i.version_id_marker.clone().unwrap_or_default()),
        max_keys: Some(max_keys),
        is_truncated: Some(false),
        encoding_type: i.encoding_type.clone(),
        ..Default::default()
    };
    if max_keys == 0 {
        crate::s3::need_bucket(driver, &i.bucket).await?;
        return Ok(out);
    }
    let version = |o: &ObjectInfo, latest: bool| ObjectVersion {
        key: Some(encode(&o.key, url)),
        version_id: Some(o.version_id.clone().unwrap_or_else(|| "null".to_string())),
        is_latest: Some(latest),
        size: Some(o.size as i64),
        e_tag: Some(ETag::Strong(o.etag.clone())),
        last_modified: o.last_modified.map(Timestamp::from),
        owner: Some(owner()),
        storage_class: Some(ObjectVersionStorageClass::from(
            o.storage_class
                .clone()
                .unwrap_or_else(|| "STANDARD".to_string()),
        )),
        ..Default::default()
    };
    if driver.capabilities().versioning {
        let cursor = i
            .version_id_marker
            .as_deref()
            .and_then(|m| m.strip_prefix(CURSOR_TAG))
            .map(str::to_string);
        let opts = ListOptions {
            prefix: i.prefix.clone().filter(|p| !p.is_empty()),
            delimiter: delim.clone(),
            max_keys: Some(max_keys as u32),
            cursor,
        };
        let page = driver
            .list_versions(&i.bucket, opts)
            .await
            .map_err(bucket_err)?;
        let mut prev: Option<&str> = None;
        let mut versions = Vec::new();
        for o in &page.versions {
            // Newest first per key: the first of each key is the latest.
            versions.push(version(o, prev != Some(o.key.as_str())));
            prev = Some(o.key.as_str());
        }
        if let Some(c) = &page.next_cursor {
            out.is_truncated = Some(true);
            out.next_key_marker = page.versions.last().map(|o| encode(&o.key, url));
            out.next_version_id_marker = Some(format!("{CURSOR_TAG}{c}"));
        }
        out.versions = (!versions.is_empty()).then_some(versions);
        return Ok(out);
    }
    // One version per key: a key marker alone places the page (a version-id
    // marker, `null` at most, adds nothing).
    let q = Query {
        prefix: i.prefix.as_deref(),
        delimiter: delim.as_deref(),
        max_keys: max_keys as u32,
        cursor: None,
        start_after: i.key_marker.as_deref(),
    };
    let page = page(driver, &i.bucket, &q).await.map_err(bucket_err)?;
    if page.next_cursor.is_some() {
        out.is_truncated = Some(true);
        out.next_key_marker = last_name(&page).map(|n| encode(&n, url));
        out.next_version_id_marker = Some("null".to_string());
    }
    let versions: Vec<_> = page.objects.iter().map(|o| version(o, true)).collect();
    let prefixes = prefixes(&page, url);
    out.versions = (!versions.is_empty()).then_some(versions);
    out.common_prefixes = (!prefixes.is_empty()).then_some(prefixes);
    Ok(out)
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
