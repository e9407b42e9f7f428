//! head, get, delete, copy (rewrite) and list of objects; buckets.

use crate::client::{bucket_path, object_path, send, GsReq, GsResp, Req};
use crate::common::listing::{prefix_successor, ListRequest, Position};
use crate::common::range::{resolve, ByteRange as Range};
use crate::exports::trove::driver::core::{Body, HostStream};
use crate::json;
use crate::meta;
use crate::types::{BucketInfo, ByteRange, GetOptions, ListOptions, ListPage, ObjectInfo};
use crate::{cfg, check_names, from_common, Error, MemReader};
use std::collections::BTreeMap;
use std::ops::Bound;

pub fn bucket_exists(bucket: &str) -> Result<bool, Error> {
    let c = cfg()?;
    let resp = send(&c, Req::api(&c, "GET", &bucket_path(bucket)))?;
    match resp.status {
        200..=299 => Ok(true),
        404 => Ok(false),
        _ => Err(resp.error(&format!("get-bucket {bucket}"))),
    }
}

/// `bucket-not-found` unless the bucket exists.
pub fn require_bucket(bucket: &str) -> Result<(), Error> {
    if bucket_exists(bucket)? {
        Ok(())
    } else {
        Err(Error::BucketNotFound(format!("no bucket {bucket}")))
    }
}

/// A 404 on an object: GCS says which (`No such object` / `bucket does not
/// exist`), emulators may not: ask when the answer is ambiguous.
pub fn refine(e: Error, bucket: &str) -> Error {
    match e {
        Error::ObjectNotFound(m) => match bucket_exists(bucket) {
            Ok(false) => Error::BucketNotFound(format!("no bucket {bucket}")),
            Ok(true) => Error::ObjectNotFound(m),
            Err(e) => e,
        },
        e => e,
    }
}

/// The object resource of `bucket/key` (its live version).
pub fn stat(bucket: &str, key: &str) -> Result<json::Object, Error> {
    stat_at(bucket, key, None)
}

/// A version id as GCS's generation (a decimal number).
pub fn generation(version_id: &str) -> Result<&str, Error> {
    if version_id.is_empty() || !version_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidArgument(format!(
            "version-id {version_id:?} is not a GCS generation (a decimal number)"
        )));
    }
    Ok(version_id)
}

/// The object resource of `bucket/key`, at one generation when given.
pub fn stat_at(bucket: &str, key: &str, generation: Option<&str>) -> Result<json::Object, Error> {
    let c = cfg()?;
    let mut req = Req::api(&c, "GET", &object_path(bucket, key));
    if let Some(g) = generation {
        req = req.query("generation", g);
    }
    let resp = send(&c, req)?;
    if !resp.ok() {
        return Err(refine(resp.error(&format!("head {bucket}/{key}")), bucket));
    }
    resp.json(&format!("head {bucket}/{key}"))
}

pub fn head(bucket: &str, key: &str) -> Result<ObjectInfo, Error> {
    check_names(bucket, Some(key))?;
    Ok(meta::info(&stat(bucket, key)?))
}

fn to_common(r: ByteRange) -> Range {
    match r {
        ByteRange::Span((offset, length)) => Range::Span { offset, length },
        ByteRange::Suffix(n) => Range::Suffix(n),
    }
}

/// The object's resource first (info with metadata names' case, the
/// generation, the size to resolve the range against), then its bytes at
/// that generation with `alt=media`, handed to the host unread. A
/// `version-id` is a generation (any bucket has one per object).
pub fn get(bucket: &str, key: &str, opts: GetOptions) -> Result<(ObjectInfo, Body), Error> {
    check_names(bucket, Some(key))?;
    let wanted = opts.version_id.as_deref().map(generation).transpose()?;
    let o = stat_at(bucket, key, wanted)?;
    let mut info = meta::info(&o);
    if wanted.is_some() {
        info.version_id = o.generation.clone();
    }
    crate::common::conditions::check_get(
        opts.if_match.as_deref(),
        opts.if_none_match.as_deref(),
        &info.etag,
    )
    .map_err(from_common)?;
    let span = resolve(opts.range.map(to_common), info.size).map_err(from_common)?;
    if span.length == 0 {
        return Ok((info, Body::Guest(crate::Reader::new(MemReader::default()))));
    }
    let c = cfg()?;
    let mut req = Req::api(&c, "GET", &object_path(bucket, key)).query("alt", "media");
    if let Some(g) = &o.generation {
        req = req.query("generation", g);
    }
    if info.headers.content_encoding.is_some() {
        // Without it GCS decompresses a gzip-encoded object on the way out
        // ("decompressive transcoding"): the bytes are returned as stored.
        req = req.header("accept-encoding", "gzip");
    }
    if !span.is_whole(info.size) {
        req = req.header(
            "range",
            &format!("bytes={}-{}", span.offset, span.offset + span.length - 1),
        );
    }
    let resp = send(&c, req)?;
    match resp.status {
        200 | 206 => {
            if resp.status == 200 && !span.is_whole(info.size) {
                return Err(Error::Internal(format!(
                    "get {bucket}/{key}: the server ignored the range"
                )));
            }
            Ok((
                info,
                Body::Host(HostStream {
                    data: resp.body,
                    limit: Some(span.length),
                }),
            ))
        }
        404 => {
            // The generation read a moment ago is gone: replaced (or deleted)
            // in between. A replaced object is retryable (the host retries
            // a get that is `unavailable`); a deleted one is not found.
            let e = resp.error(&format!("get {bucket}/{key}"));
            if wanted.is_some() {
                return Err(refine(e, bucket));
            }
            match stat(bucket, key) {
                Ok(now) if now.generation != o.generation => Err(Error::Unavailable(format!(
                    "get {bucket}/{key}: the object was replaced while it was being read"
                ))),
                Ok(_) => Err(e),
                Err(e) => Err(e),
            }
        }
        _ => Err(refine(resp.error(&format!("get {bucket}/{key}")), bucket)),
    }
}

pub fn delete(bucket: &str, key: &str) -> Result<(), Error> {
    check_names(bucket, Some(key))?;
    let c = cfg()?;
    let resp = send(&c, Req::api(&c, "DELETE", &object_path(bucket, key)))?;
    if resp.ok() {
        return Ok(());
    }
    match refine(resp.error(&format!("delete {bucket}/{key}")), bucket) {
        Error::ObjectNotFound(_) => Ok(()),
        e => Err(e),
    }
}

/// `objects.rewrite`, called again with the rewrite token until done
/// (GCS copies large objects across locations or classes in steps).
pub fn copy(sb: &str, sk: &str, db: &str, dk: &str) -> Result<ObjectInfo, Error> {
    check_names(sb, Some(sk))?;
    check_names(db, Some(dk))?;
    let c = cfg()?;
    let path = format!(
        "{}/rewriteTo/b/{}/o/{}",
        object_path(sb, sk),
        crate::codec::pct(db, false),
        crate::codec::pct(dk, false)
    );
    let what = format!("copy {sb}/{sk} to {db}/{dk}");
    let mut token: Option<String> = None;
    for _ in 0..10_000 {
        let mut req = Req::api(&c, "POST", &path);
        if let Some(t) = &token {
            req = req.query("rewriteToken", t);
        }
        let resp = send(&c, req.json(&serde_json::json!({})))?;
        if !resp.ok() {
            let e = resp.error(&what);
            return Err(match e {
                Error::ObjectNotFound(m) => {
                    if !bucket_exists(sb)? {
                        Error::BucketNotFound(format!("no bucket {sb}"))
                    } else if !bucket_exists(db)? {
                        Error::BucketNotFound(format!("no bucket {db}"))
                    } else {
                        Error::ObjectNotFound(m)
                    }
                }
                e => e,
            });
        }
        let r: json::Rewrite = resp.json(&what)?;
        if r.done {
            return match r.resource {
                Some(o) => Ok(meta::info(&o)),
                None => head(db, dk),
            };
        }
        token = r.rewrite_token.filter(|t| !t.is_empty());
        if token.is_none() {
            return Err(Error::Internal(format!(
                "{what}: not done and no rewriteToken"
            )));
        }
    }
    Err(Error::Unavailable(format!(
        "{what}: too many rewrite steps"
    )))
}

/// One entry of a listing page.
enum Entry {
    Object(Box<ObjectInfo>),
    Prefix,
}

/// Merges GCS pages into one contract page of `max` entries. An entry
/// counts only when every name before it has been seen: up to the last
/// object of a GCS page that has a successor (fake-gcs-server reports the
/// common prefixes of later pages early, and counts only objects against
/// `maxResults`; they are kept, and settle later), or everything after
/// the last page.
struct Merger {
    lr: ListRequest,
    entries: BTreeMap<String, Entry>,
    /// Names up to it are settled; `None`: everything is (no more pages).
    bound: Option<String>,
}

impl Merger {
    fn new(lr: ListRequest) -> Merger {
        Merger {
            lr,
            entries: BTreeMap::new(),
            bound: None,
        }
    }

    /// Adds one GCS page; true when the contract page is known (nothing
    /// more to fetch): no later GCS page, or more than `max` settled entries.
    fn add(&mut self, items: Vec<ObjectInfo>, prefixes: Vec<String>, more: bool) -> bool {
        let last_object = items.last().map(|o| o.key.clone());
        let last_prefix = prefixes.iter().max().cloned();
        for o in items {
            if self.lr.wants_key(&o.key) {
                self.entries
                    .insert(o.key.clone(), Entry::Object(Box::new(o)));
            }
        }
        for p in prefixes {
            if self.lr.wants_key(&p) {
                self.entries.insert(p, Entry::Prefix);
            }
        }
        if !more {
            self.bound = None;
            return true;
        }
        self.bound = last_object.or(last_prefix);
        let settled = match &self.bound {
            Some(b) => self
                .entries
                .range::<str, _>((Bound::Unbounded, Bound::Included(b.as_str())))
                .count(),
            None => 0,
        };
        settled > self.lr.max_keys
    }

    /// The first `max` settled entries, with a cursor when more remain.
    fn page(self) -> ListPage {
        let max = self.lr.max_keys;
        let bound = self.bound;
        let settled = self
            .entries
            .into_iter()
            .filter(|(k, _)| bound.as_ref().is_none_or(|b| k <= b));
        let mut page = ListPage {
            objects: Vec::new(),
            common_prefixes: Vec::new(),
            next_cursor: None,
        };
        let mut last: Option<Position> = None;
        for (taken, (name, e)) in settled.enumerate() {
            if taken == max {
                page.next_cursor = last.as_ref().map(Position::encode);
                break;
            }
            match e {
                Entry::Object(info) => {
                    page.objects.push(*info);
                    last = Some(Position::Key(name));
                }
                Entry::Prefix => {
                    page.common_prefixes.push(name.clone());
                    last = Some(Position::Prefix(name));
                }
            }
        }
        page
    }
}

/// Where the next GCS listing starts (`startOffset`, inclusive) for a
/// cursor; `Err(())` when nothing can follow it.
fn start_offset(after: &Option<Position>) -> Result<Option<String>, ()> {
    match after {
        None => Ok(None),
        Some(Position::Key(k)) => Ok(Some(k.clone())),
        Some(Position::Prefix(p)) => prefix_successor(p).map(Some).ok_or(()),
    }
}

/// One page, with the contract's semantics on any server: `max-keys`
/// counts objects and common prefixes together, entries are sorted, each
/// common prefix appears once, and an exact-fit last page has no cursor.
///
/// The cursor is the last entry returned (common's `Position`); the next
/// page asks GCS for names from there on (`startOffset`), so it does not
/// depend on a server's page token surviving between calls. Within one
/// call GCS pages are followed with `pageToken` until one entry more than
/// the page holds is known, so "is there more" is exact.
pub fn list(bucket: &str, opts: ListOptions) -> Result<ListPage, Error> {
    check_names(bucket, None)?;
    let lr = ListRequest::new(
        opts.prefix,
        opts.delimiter,
        opts.max_keys,
        opts.cursor.as_deref(),
    )
    .map_err(from_common)?;
    let Ok(start) = start_offset(&lr.after) else {
        return Ok(Merger::new(lr).page());
    };
    let c = cfg()?;
    let max = lr.max_keys;
    let (prefix, delimiter) = (lr.prefix.clone(), lr.delimiter.clone());
    let mut merger = Merger::new(lr);
    let mut page_token: Option<String> = None;
    loop {
        let mut req = Req::api(&c, "GET", &format!("{}/o", bucket_path(bucket)))
            .query("maxResults", &(max + 1).min(1000).to_string());
        if !prefix.is_empty() {
            req = req.query("prefix", &prefix);
        }
        if let Some(d) = &delimiter {
            req = req.query("delimiter", d);
        }
        if let Some(s) = start.as_deref().filter(|s| *s > prefix.as_str()) {
            req = req.query("startOffset", s);
        }
        if let Some(t) = &page_token {
            req = req.query("pageToken", t);
        }
        let resp = send(&c, req)?;
        if !resp.ok() {
            return Err(match resp.error(&format!("list {bucket}")) {
                Error::ObjectNotFound(_) => Error::BucketNotFound(format!("no bucket {bucket}")),
                e => e,
            });
        }
        let page: json::Objects = resp.json(&format!("list {bucket}"))?;
        let next = page.next_page_token.filter(|t| !t.is_empty());
        if next.is_some() && next == page_token {
            return Err(Error::Internal(format!(
                "list {bucket}: the server repeated a page token"
            )));
        }
        let items = page.items.iter().map(meta::info).collect();
        if merger.add(items, page.prefixes, next.is_some()) {
            return Ok(merger.page());
        }
        page_token = next;
    }
}

fn project_query(req: Req) -> Result<Req, Error> {
    let c = cfg()?;
    match &c.project {
        Some(p) => Ok(req.query("project", p)),
        None if c.custom_endpoint => Ok(req),
        None => Err(Error::InvalidArgument(
            "this call needs the project: add ?project=PROJECT_ID to the DSN \
             (or use a service-account key that names its project_id)"
                .into(),
        )),
    }
}

pub fn create_bucket(bucket: &str) -> Result<(), Error> {
    check_names(bucket, None)?;
    let c = cfg()?;
    let mut resource = serde_json::json!({ "name": bucket });
    if c.versioning {
        resource["versioning"] = serde_json::json!({ "enabled": true });
    }
    let req = project_query(Req::api(&c, "POST", "/storage/v1/b"))?.json(&resource);
    let resp = send(&c, req)?;
    if resp.ok() {
        return Ok(());
    }
    Err(match resp.status {
        409 => Error::BucketExists(format!("bucket {bucket} exists")),
        _ => resp.error(&format!("create-bucket {bucket}")),
    })
}

pub fn delete_bucket(bucket: &str) -> Result<(), Error> {
    check_names(bucket, None)?;
    let c = cfg()?;
    let resp = send(&c, Req::api(&c, "DELETE", &bucket_path(bucket)))?;
    if resp.ok() {
        return Ok(());
    }
    // GCS answers 409 for a bucket that is not empty; fake-gcs-server 412.
    Err(match resp.status {
        404 => Error::BucketNotFound(format!("no bucket {bucket}")),
        409 | 412 => Error::BucketNotEmpty(format!("bucket {bucket} is not empty")),
        _ => resp.error(&format!("delete-bucket {bucket}")),
    })
}

pub fn list_buckets() -> Result<Vec<BucketInfo>, Error> {
    let c = cfg()?;
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = project_query(Req::api(&c, "GET", "/storage/v1/b"))?;
        if let Some(t) = &token {
            req = req.query("pageToken", t);
        }
        let resp = send(&c, req)?;
        if !resp.ok() {
            return Err(resp.error("list-buckets"));
        }
        let page: json::Buckets = resp.json("list-buckets")?;
        out.extend(page.items.into_iter().map(|b| BucketInfo {
            created: b.time_created.as_deref().and_then(meta::time),
            name: b.name,
        }));
        match page.next_page_token.filter(|t| !t.is_empty()) {
            Some(t) if token.as_deref() != Some(t.as_str()) => token = Some(t),
            _ => break,
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(max: u32, cursor: Option<&str>) -> ListRequest {
        ListRequest::new(None, Some("/".into()), Some(max), cursor).unwrap()
    }

    fn obj(k: &str) -> ObjectInfo {
        ObjectInfo {
            key: k.into(),
            size: 0,
            etag: String::new(),
            content_type: None,
            headers: trove_driver_cloud::headers_from_pairs(&[]),
            last_modified: None,
            metadata: Vec::new(),
            version_id: None,
            storage_class: None,
        }
    }

    fn names(p: &ListPage) -> (Vec<&str>, Vec<&str>) {
        (
            p.objects.iter().map(|o| o.key.as_str()).collect(),
            p.common_prefixes.iter().map(String::as_str).collect(),
        )
    }

    /// What fake-gcs-server answers for keys a/1 a/2 b b/1 c d/1 d/2 e with
    /// delimiter `/` and maxResults 2: two objects, but every prefix.
    #[test]
    fn early_prefixes_settle_only_once_everything_before_them_is_seen() {
        let mut m = Merger::new(req(2, None));
        let done = m.add(
            vec![obj("b"), obj("c")],
            vec!["a/".into(), "b/".into(), "d/".into()],
            true,
        );
        assert!(done, "a/ b b/ c are settled: more than 2");
        let p = m.page();
        assert_eq!(names(&p), (vec!["b"], vec!["a/"]));
        let cursor = p.next_cursor.unwrap();
        assert_eq!(
            Position::decode(&cursor).unwrap(),
            Position::Key("b".into())
        );

        // Resumed after b: the server starts at b (startOffset) and b is dropped.
        let lr = req(2, Some(&cursor));
        assert_eq!(start_offset(&lr.after), Ok(Some("b".into())));
        let mut m = Merger::new(lr);
        // Only b/ and c are settled after the first GCS page (bound c): fetch on.
        assert!(!m.add(
            vec![obj("b"), obj("c")],
            vec!["b/".into(), "d/".into()],
            true
        ));
        assert!(m.add(vec![obj("e")], vec!["d/".into()], false));
        let p = m.page();
        assert_eq!(names(&p), (vec!["c"], vec!["b/"]));

        // After c: d/ and e, exactly full and last: no cursor.
        let mut m = Merger::new(req(2, Some(&Position::Key("c".into()).encode())));
        assert!(m.add(vec![obj("c"), obj("e")], vec!["d/".into()], false));
        let p = m.page();
        assert_eq!(names(&p), (vec!["e"], vec!["d/"]));
        assert_eq!(p.next_cursor, None);
    }

    #[test]
    fn version_ids_are_generations() {
        assert_eq!(
            generation("1795682863791303").ok(),
            Some("1795682863791303")
        );
        for bad in ["", "abc", "12a", "-1", "null"] {
            assert!(
                matches!(generation(bad), Err(Error::InvalidArgument(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_cursor_after_a_prefix_skips_everything_under_it() {
        let lr = req(5, Some(&Position::Prefix("a/".into()).encode()));
        assert_eq!(start_offset(&lr.after), Ok(Some("a0".into())));
        let mut m = Merger::new(lr);
        // A server that returns the prefix again (it does not know the cursor).
        assert!(m.add(vec![obj("b")], vec!["a/".into(), "c/".into()], false));
        assert_eq!(names(&m.page()), (vec!["b"], vec!["c/"]));
    }
}
