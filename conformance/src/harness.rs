//! What every case uses: the case table entry, the case context (the driver,
//! bucket naming, the cleanup registry), the failure type, and assertion
//! helpers whose messages say what was expected and what came back.

use std::fmt::{Debug, Display};
use std::sync::{Arc, Mutex, MutexGuard};

use futures::future::BoxFuture;
use futures::stream::{self, StreamExt};
use trove_host::{
    ByteRange, Capabilities, Driver, ErrorKind, GetOptions, ListOptions, ObjectInfo, PutOptions,
};

use crate::SuiteOptions;

/// Why a case stopped before its end. (Skipping is decided by the runner,
/// from the capabilities a case needs.)
#[derive(Debug)]
pub(crate) enum Stop {
    Fail(String),
    /// The driver answered `unsupported`: for a case of an optional
    /// interface the driver exports but the backend cannot serve (S3
    /// versioning on a server without it) the runner reports a skip with
    /// this reason; for any other case it is a failure.
    Unsupported(String),
    /// The driver refused, with `invalid-argument`, something its storage
    /// cannot hold (a folder marker, a key that is also a folder, on a
    /// driver that stores keys as paths), where a case allows that answer
    /// ([`refused`]): the runner reports a skip whose reason is the
    /// operation and the driver's own message, so that a test can assert
    /// why.
    Refused(String),
}

pub(crate) type CaseResult<T = ()> = Result<T, Stop>;

/// Fails the current case with a formatted message.
macro_rules! fail {
    ($($arg:tt)*) => {
        return Err($crate::harness::Stop::Fail(format!($($arg)*)))
    };
}

/// Fails the current case with a formatted message unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            fail!($($arg)*);
        }
    };
}

/// A table entry: `case!("group/name", function)`, optionally gated on a
/// capability: `case!("multipart/x", function, needs Multipart)`.
macro_rules! case {
    ($name:literal, $f:path) => {
        $crate::harness::Case {
            name: $name,
            needs: None,
            run: |ctx| Box::pin($f(ctx)),
        }
    };
    ($name:literal, $f:path, needs $cap:ident) => {
        $crate::harness::Case {
            name: $name,
            needs: Some($crate::harness::Needs::$cap),
            run: |ctx| Box::pin($f(ctx)),
        }
    };
}

pub(crate) type CaseFn = fn(Ctx) -> BoxFuture<'static, CaseResult>;

/// One registered case.
pub(crate) struct Case {
    pub name: &'static str,
    /// The optional interface the case exercises; without it the case is skipped.
    pub needs: Option<Needs>,
    pub run: CaseFn,
}

/// An optional capability interface a case depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needs {
    Multipart,
    Presign,
    Versioning,
}

impl Needs {
    pub fn available(self, caps: &Capabilities) -> bool {
        match self {
            Needs::Multipart => caps.multipart,
            Needs::Presign => caps.presign,
            Needs::Versioning => caps.versioning,
        }
    }

    pub fn interface(self) -> &'static str {
        match self {
            Needs::Multipart => "multipart",
            Needs::Presign => "presign",
            Needs::Versioning => "versioning",
        }
    }
}

/// What a case created, so that the runner can remove it afterwards, whether
/// the case passed, failed, panicked or timed out.
#[derive(Debug, Default)]
pub(crate) struct Tracked {
    pub buckets: Vec<String>,
    /// (bucket, key, upload id) of multipart uploads not yet completed or aborted.
    pub uploads: Vec<(String, String, String)>,
}

/// The context handed to each case. Cheap to clone (the driver is shared).
#[derive(Clone)]
pub(crate) struct Ctx {
    pub d: Driver,
    pub opts: Arc<SuiteOptions>,
    tag: Arc<str>,
    tracked: Arc<Mutex<Tracked>>,
}

impl Ctx {
    pub fn new(
        d: Driver,
        case_name: &str,
        opts: Arc<SuiteOptions>,
        tracked: Arc<Mutex<Tracked>>,
    ) -> Self {
        Ctx {
            d,
            opts,
            tag: bucket_tag(case_name).into(),
            tracked,
        }
    }

    fn tracked(&self) -> MutexGuard<'_, Tracked> {
        self.tracked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh, valid, unused bucket name (`tc-<case tag>-<random hex>`);
    /// nothing is created or tracked.
    pub fn bucket_name(&self) -> String {
        format!("tc-{}-{}", self.tag, random_hex())
    }

    /// Registers a bucket for cleanup. Call it before creating the bucket.
    pub fn track_bucket(&self, name: &str) {
        let mut t = self.tracked();
        if !t.buckets.iter().any(|b| b == name) {
            t.buckets.push(name.to_string());
        }
    }

    /// Creates a fresh bucket that the runner deletes after the case.
    pub async fn bucket(&self) -> CaseResult<String> {
        let name = self.bucket_name();
        self.track_bucket(&name);
        self.d
            .create_bucket(&name)
            .await
            .ctx(format_args!("create-bucket {name}"))?;
        Ok(name)
    }

    pub fn track_upload(&self, bucket: &str, key: &str, upload_id: &str) {
        self.tracked()
            .uploads
            .push((bucket.into(), key.into(), upload_id.into()));
    }

    pub fn untrack_upload(&self, upload_id: &str) {
        self.tracked().uploads.retain(|(_, _, id)| id != upload_id);
    }

    pub async fn put(
        &self,
        bucket: &str,
        key: &str,
        data: impl Into<Vec<u8>>,
    ) -> CaseResult<ObjectInfo> {
        self.put_opts(bucket, key, data, PutOptions::default())
            .await
    }

    pub async fn put_opts(
        &self,
        bucket: &str,
        key: &str,
        data: impl Into<Vec<u8>>,
        opts: PutOptions,
    ) -> CaseResult<ObjectInfo> {
        self.d
            .put_bytes(bucket, key, data, opts)
            .await
            .ctx(format_args!("put {key:?}"))
    }

    pub async fn get(&self, bucket: &str, key: &str) -> CaseResult<(ObjectInfo, Vec<u8>)> {
        self.d
            .get_bytes(bucket, key, GetOptions::default())
            .await
            .ctx(format_args!("get {key:?}"))
    }

    pub async fn get_range(
        &self,
        bucket: &str,
        key: &str,
        range: ByteRange,
    ) -> CaseResult<Vec<u8>> {
        let opts = GetOptions {
            range: Some(range),
            ..Default::default()
        };
        let (_, data) = self
            .d
            .get_bytes(bucket, key, opts)
            .await
            .ctx(format_args!("get {key:?} range {range:?}"))?;
        Ok(data)
    }

    pub async fn head(&self, bucket: &str, key: &str) -> CaseResult<ObjectInfo> {
        self.d
            .head(bucket, key)
            .await
            .ctx(format_args!("head {key:?}"))
    }

    /// Walks every page of a listing, checking on the way that each page
    /// respects `max-keys` and that the walk ends: within [`LIST_PAGES`]
    /// pages and [`LIST_BYTES`] of names, with no cursor coming back.
    pub async fn list_all(&self, bucket: &str, opts: ListOptions) -> CaseResult<Listing> {
        let mut out = Listing::default();
        let mut cursor = None;
        let mut budget = ListBudget::new("list");
        loop {
            let page = self
                .d
                .list(
                    bucket,
                    ListOptions {
                        cursor: cursor.clone(),
                        ..opts.clone()
                    },
                )
                .await
                .ctx(format_args!("list page {}", out.pages.len() + 1))?;
            let entries = page.objects.len() + page.common_prefixes.len();
            let max = opts.max_keys.unwrap_or(1000) as usize;
            ensure!(
                entries <= max,
                "list page {} has {entries} entries, more than max-keys {max}",
                out.pages.len() + 1
            );
            budget
                .page(
                    page.objects.iter(),
                    &page.common_prefixes,
                    page.next_cursor.as_deref(),
                )
                .map_err(Stop::Fail)?;
            let mut names: Vec<String> = page.objects.iter().map(|o| o.key.clone()).collect();
            names.extend(page.common_prefixes.iter().cloned());
            names.sort();
            out.pages.push(PageShape {
                objects: page.objects.len(),
                prefixes: page.common_prefixes.len(),
                has_cursor: page.next_cursor.is_some(),
                entries: names,
            });
            out.objects.extend(page.objects);
            out.prefixes.extend(page.common_prefixes);
            match page.next_cursor {
                None => return Ok(out),
                Some(c) => {
                    ensure!(
                        entries > 0,
                        "list page {} is empty but has a next-cursor",
                        out.pages.len()
                    );
                    cursor = Some(c);
                }
            }
        }
    }

    /// Puts `n` objects concurrently (a few at a time), named by `key(i)`,
    /// with content `body(i)`.
    pub async fn put_many(
        &self,
        bucket: &str,
        keys: impl IntoIterator<Item = String>,
        body: impl Fn(&str) -> Vec<u8>,
    ) -> CaseResult {
        let jobs: Vec<_> = keys
            .into_iter()
            .map(|k| {
                let data = body(&k);
                let d = self.d.clone();
                let bucket = bucket.to_string();
                async move {
                    let r = d.put_bytes(&bucket, &k, data, PutOptions::default()).await;
                    r.ctx(format_args!("put {k:?}")).map(|_| ())
                }
            })
            .collect();
        let results: Vec<CaseResult> = stream::iter(jobs).buffer_unordered(16).collect().await;
        results.into_iter().collect()
    }
}

/// Everything a paged listing returned, in order.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    pub objects: Vec<ObjectInfo>,
    pub prefixes: Vec<String>,
    pub pages: Vec<PageShape>,
}

impl Listing {
    pub fn keys(&self) -> Vec<String> {
        self.objects.iter().map(|o| o.key.clone()).collect()
    }

    /// Entries per page, e.g. `[2, 2, 1]`.
    pub fn page_sizes(&self) -> Vec<usize> {
        self.pages.iter().map(|p| p.objects + p.prefixes).collect()
    }

    /// Which pages carried a next-cursor, e.g. `[true, true, false]`.
    pub fn cursors(&self) -> Vec<bool> {
        self.pages.iter().map(|p| p.has_cursor).collect()
    }

    /// All entries (keys and common prefixes) in page order.
    pub fn entries(&self) -> Vec<String> {
        self.pages
            .iter()
            .flat_map(|p| p.entries.iter().cloned())
            .collect()
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageShape {
    pub objects: usize,
    pub prefixes: usize,
    pub has_cursor: bool,
    /// The page's keys and common prefixes together, sorted.
    pub entries: Vec<String>,
}

/// The most pages one listing walk reads (a case's `list_all`, the cleanup's
/// listing of a bucket). The suite's largest listing is 1,001 keys (two
/// pages of the default max-keys; this leaves room for a driver whose pages
/// are much smaller).
pub(crate) const LIST_PAGES: u64 = 2000;
/// The most bytes of names (keys, prefixes, and the strings of each entry)
/// one listing walk reads.
pub(crate) const LIST_BYTES: u64 = 16 << 20;

/// Bounds one listing walk, so that a driver whose listing never ends (a new
/// cursor on every page, forever) fails the case with a message instead of
/// growing the runner without limit: at most [`LIST_PAGES`] pages and
/// [`LIST_BYTES`] of names, and no cursor may come back (a loop, caught in
/// constant memory by Brent's cycle detection).
pub(crate) struct ListBudget {
    what: &'static str,
    pages: u64,
    bytes: u64,
    watch: trove_host::cursor::CursorWatch,
}

impl ListBudget {
    pub fn new(what: &'static str) -> Self {
        ListBudget {
            what,
            pages: 0,
            bytes: 0,
            watch: trove_host::cursor::CursorWatch::new(None),
        }
    }

    /// Counts one page; the failure message once a bound is passed.
    pub fn page<'a>(
        &mut self,
        objects: impl Iterator<Item = &'a ObjectInfo>,
        prefixes: &[String],
        next: Option<&str>,
    ) -> Result<(), String> {
        self.pages += 1;
        let n = self.pages;
        let what = self.what;
        self.bytes += objects.map(entry_bytes).sum::<u64>()
            + prefixes.iter().map(|p| p.len() as u64).sum::<u64>();
        let Some(cursor) = next else {
            return Ok(());
        };
        if let Err(why) = self.watch.check(n, cursor) {
            return Err(format!("{what} {why}: the listing does not advance"));
        }
        if self.bytes > LIST_BYTES {
            return Err(format!(
                "{what} did not end within {} MiB of names ({n} pages, still a next-cursor): \
                 a listing that never ends?",
                LIST_BYTES >> 20
            ));
        }
        if n >= LIST_PAGES {
            return Err(format!(
                "{what} did not end within {LIST_PAGES} pages (still a next-cursor): \
                 a listing that never ends?"
            ));
        }
        Ok(())
    }
}

/// The bytes of one listed entry's strings.
fn entry_bytes(o: &ObjectInfo) -> u64 {
    let opt = |s: &Option<String>| s.as_ref().map_or(0, |s| s.len() as u64);
    o.key.len() as u64
        + o.etag.len() as u64
        + opt(&o.content_type)
        + opt(&o.version_id)
        + opt(&o.storage_class)
        + o.metadata
            .iter()
            .map(|(k, v)| (k.len() + v.len()) as u64)
            .sum::<u64>()
}

/// The case-specific middle part of bucket names: the part of the case name
/// after the group, reduced to `[a-z0-9]` runs joined by single dashes (valid
/// for S3, GCS and Azure container names alike), at most 20 characters.
pub(crate) fn bucket_tag(case_name: &str) -> String {
    let short = case_name.rsplit('/').next().unwrap_or(case_name);
    let mut tag = String::new();
    for c in short.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if tag.len() == 20 {
                break;
            }
            tag.push(c);
        } else if !tag.is_empty() && !tag.ends_with('-') {
            if tag.len() >= 19 {
                break;
            }
            tag.push('-');
        }
    }
    while tag.ends_with('-') {
        tag.pop();
    }
    if tag.is_empty() {
        tag.push('x');
    }
    tag
}

/// `["a", "b"]` as owned strings, for comparisons with listings.
pub(crate) fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

pub(crate) fn random_hex() -> String {
    format!("{:08x}", rand::random::<u32>())
}

/// Turns an unexpected driver error into a failure naming the operation.
pub(crate) trait ResultExt<T> {
    fn ctx(self, what: impl Display) -> CaseResult<T>;
}

impl<T> ResultExt<T> for trove_host::Result<T> {
    fn ctx(self, what: impl Display) -> CaseResult<T> {
        self.map_err(|e| {
            let why = format!("{what}: unexpected {}: {e}", e.kind());
            match e.kind() {
                ErrorKind::Unsupported => Stop::Unsupported(why),
                _ => Stop::Fail(why),
            }
        })
    }
}

/// A result where the driver may refuse, with `invalid-argument` and a
/// message that says why, what its storage cannot hold: that refusal stops
/// the case as [`Stop::Refused`] (reported as a skip with the message), any
/// other error fails it.
pub(crate) fn refused<T>(res: trove_host::Result<T>, what: impl Display) -> CaseResult<T> {
    match res {
        Err(e) if e.kind() == ErrorKind::InvalidArgument => {
            Err(Stop::Refused(format!("{what}: {}", e.message())))
        }
        other => other.ctx(what),
    }
}

/// Checks that `res` failed with exactly `want`:
/// `get "k": expected object-not-found, got bucket-not-found: <message>`.
pub(crate) fn expect_err<T>(
    res: trove_host::Result<T>,
    want: ErrorKind,
    what: impl Display,
) -> CaseResult {
    match res {
        Err(e) if e.kind() == want => Ok(()),
        Err(e) => fail!("{what}: expected {want}, got {}: {e}", e.kind()),
        Ok(_) => fail!("{what}: expected {want}, got success"),
    }
}

/// Checks `got == want`, printing both (shortened) when they differ.
pub(crate) fn check_eq<T: PartialEq + Debug + ?Sized>(
    what: impl Display,
    got: &T,
    want: &T,
) -> CaseResult {
    if got == want {
        Ok(())
    } else {
        fail!(
            "{what}: expected {}, got {}",
            short_debug(want),
            short_debug(got)
        )
    }
}

/// Checks two byte strings for equality, reporting lengths and the first
/// differing offset instead of the bytes themselves.
pub(crate) fn check_bytes(what: impl Display, got: &[u8], want: &[u8]) -> CaseResult {
    if got == want {
        return Ok(());
    }
    let first = got
        .iter()
        .zip(want)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(want.len()));
    fail!(
        "{what}: content differs: expected {} bytes, got {} bytes, first difference at offset {first}",
        want.len(),
        got.len()
    )
}

fn short_debug<T: Debug + ?Sized>(v: &T) -> String {
    let s = format!("{v:?}");
    if s.chars().count() > 300 {
        let head: String = s.chars().take(300).collect();
        format!("{head}… ({} chars)", s.chars().count())
    } else {
        s
    }
}

/// Best-effort removal of everything a case left behind: open multipart
/// uploads, every version (where versioning is exported), every object, then
/// each bucket. Returns a description of what could not be removed, if
/// anything (a bucket the case deleted itself is not a problem).
pub(crate) async fn cleanup(
    d: &Driver,
    caps: Capabilities,
    tracked: Tracked,
) -> Result<(), String> {
    for (bucket, key, id) in &tracked.uploads {
        let _ = retry(|| d.abort_multipart(bucket, key, id)).await;
    }
    let mut problems = Vec::new();
    for bucket in tracked.buckets.iter().rev() {
        if let Err(e) = empty_and_delete(d, caps, bucket).await {
            problems.push(format!("bucket {bucket}: {e}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Runs a cleanup call again when the driver crashed: the host throws the
/// crashed instance away, so a retry gets a fresh one (a case that timed out
/// may have left its instance mid-call).
async fn retry<T, F, Fut>(mut call: F) -> trove_host::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = trove_host::Result<T>>,
{
    let mut crashes = 0;
    loop {
        match call().await {
            Err(e) if e.kind() == ErrorKind::DriverCrashed && crashes < 2 => crashes += 1,
            other => return other,
        }
    }
}

async fn empty_and_delete(d: &Driver, caps: Capabilities, bucket: &str) -> Result<(), String> {
    // A bucket the case deleted itself, or an invalid name the driver refused.
    let gone = |e: &trove_host::Error| {
        matches!(
            e.kind(),
            ErrorKind::BucketNotFound | ErrorKind::InvalidArgument
        )
    };
    if caps.versioning {
        let mut versions = Vec::new();
        let mut cursor: Option<String> = None;
        let mut budget = ListBudget::new("list-versions");
        loop {
            let opts = ListOptions {
                cursor: cursor.clone(),
                ..Default::default()
            };
            match retry(|| d.list_versions(bucket, opts.clone())).await {
                Ok(page) => {
                    budget.page(page.versions.iter(), &[], page.next_cursor.as_deref())?;
                    versions.extend(
                        page.versions
                            .into_iter()
                            .filter_map(|v| v.version_id.map(|id| (v.key, id))),
                    );
                    cursor = page.next_cursor;
                    if cursor.is_none() {
                        break;
                    }
                }
                Err(e) if gone(&e) => return Ok(()),
                Err(_) => break,
            }
        }
        stream::iter(versions)
            .for_each_concurrent(16, |(key, id)| async move {
                let _ = retry(|| d.delete_version(bucket, &key, &id)).await;
            })
            .await;
    }
    let mut keys = Vec::new();
    let mut cursor: Option<String> = None;
    let mut budget = ListBudget::new("list");
    loop {
        let opts = ListOptions {
            cursor: cursor.clone(),
            ..Default::default()
        };
        match retry(|| d.list(bucket, opts.clone())).await {
            Ok(page) => {
                budget.page(
                    page.objects.iter(),
                    &page.common_prefixes,
                    page.next_cursor.as_deref(),
                )?;
                keys.extend(page.objects.into_iter().map(|o| o.key));
                cursor = page.next_cursor;
                if cursor.is_none() {
                    break;
                }
            }
            Err(e) if gone(&e) => return Ok(()),
            Err(e) => return Err(format!("list: {}: {e}", e.kind())),
        }
    }
    let failures: Vec<String> = stream::iter(keys)
        .map(|key| async move {
            let res = retry(|| d.delete(bucket, &key)).await;
            res.err()
                .map(|e| format!("delete {key:?}: {}: {e}", e.kind()))
        })
        .buffer_unordered(16)
        .filter_map(|r| async move { r })
        .collect()
        .await;
    match retry(|| d.delete_bucket(bucket)).await {
        Ok(()) => Ok(()),
        Err(e) if gone(&e) => Ok(()),
        Err(e) => {
            let mut msg = format!("delete-bucket: {}: {e}", e.kind());
            if let Some(first) = failures.first() {
                msg.push_str(&format!(
                    " (after {} failed deletes, first: {first})",
                    failures.len()
                ));
            }
            Err(msg)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_make_valid_bucket_names() {
        for name in [
            "list/paging-1001",
            "keys/special-chars",
            "x/--A--b__",
            "a/",
            "big/64mib-streamed-sha256-and-more-words",
        ] {
            let tag = bucket_tag(name);
            let bucket = format!("tc-{tag}-{}", random_hex());
            assert!(bucket.len() >= 3 && bucket.len() <= 63, "{bucket}");
            assert!(
                bucket
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{bucket}"
            );
            assert!(!bucket.contains("--"), "{bucket}");
            assert!(!bucket.ends_with('-'), "{bucket}");
            assert!(tag.len() <= 20, "{tag}");
        }
        assert_eq!(bucket_tag("list/delimiter-paging"), "delimiter-paging");
    }

    fn message(r: CaseResult) -> String {
        match r {
            Err(Stop::Fail(m)) => m,
            Err(Stop::Unsupported(m)) => format!("unsupported: {m}"),
            Err(Stop::Refused(m)) => format!("refused: {m}"),
            Ok(()) => "ok".into(),
        }
    }

    fn obj(key: String) -> ObjectInfo {
        ObjectInfo {
            key,
            size: 0,
            etag: "e".into(),
            ..Default::default()
        }
    }

    /// Feeds pages of `keys` (each with a fresh cursor, or `cursor(n)`) until
    /// the budget stops them: the page and the message.
    fn walk(keys: usize, key_len: usize, cursor: impl Fn(u64) -> String) -> (u64, String) {
        let mut b = ListBudget::new("list");
        for n in 1..=100_000u64 {
            let page: Vec<ObjectInfo> = (0..keys)
                .map(|i| obj(format!("{n:08}-{i:04}-{}", "x".repeat(key_len))))
                .collect();
            if let Err(m) = b.page(page.iter(), &[], Some(&cursor(n))) {
                return (n, m);
            }
        }
        panic!("never stopped");
    }

    #[test]
    fn listing_budgets_stop_endless_and_stuck_listings() {
        // 1,000 keys of 16 KiB a page: stopped by the bytes, on page 2
        let (n, m) = walk(1000, 16 << 10, |n| n.to_string());
        assert_eq!(n, 2);
        assert!(
            m.starts_with("list did not end within 16 MiB of names"),
            "{m}"
        );
        // one small key a page: stopped by the pages
        let (n, m) = walk(1, 1, |n| n.to_string());
        assert_eq!(n, LIST_PAGES);
        assert!(m.contains("did not end within 2000 pages"), "{m}");
        // the same cursor every time: stopped on page 2
        let (n, m) = walk(1, 1, |_| "again".into());
        assert_eq!(n, 2);
        assert!(
            m.contains("handed back the cursor \"again\" again (page 1 did)"),
            "{m}"
        );
        // a loop of three cursors
        let (n, _) = walk(1, 1, |n| (n % 3).to_string());
        assert!(n <= 8, "{n}");
        // the suite's largest listing passes: 1,001 keys, in pages of 1
        let mut b = ListBudget::new("list");
        for n in 1..=1001u64 {
            let page = [obj(format!("obj-{n:04}"))];
            let next = (n < 1001).then(|| n.to_string());
            b.page(page.iter(), &[], next.as_deref()).unwrap();
        }
    }

    #[test]
    fn failure_messages_name_both_kinds() {
        let wrong: trove_host::Result<()> = Err(trove_host::Error::new(
            ErrorKind::BucketNotFound,
            "no bucket b",
        ));
        assert_eq!(
            message(expect_err(wrong, ErrorKind::ObjectNotFound, "get \"k\"")),
            "get \"k\": expected object-not-found, got bucket-not-found: no bucket b"
        );
        assert_eq!(
            message(expect_err(Ok(()), ErrorKind::ObjectNotFound, "head")),
            "head: expected object-not-found, got success"
        );
        let right: trove_host::Result<()> =
            Err(trove_host::Error::new(ErrorKind::ObjectNotFound, "gone"));
        assert_eq!(
            message(expect_err(right, ErrorKind::ObjectNotFound, "get")),
            "ok"
        );
        assert_eq!(message(check_eq("size", &3, &4)), "size: expected 4, got 3");
        assert_eq!(
            message(check_bytes("get", b"abcX", b"abcd")),
            "get: content differs: expected 4 bytes, got 4 bytes, first difference at offset 3"
        );
        let no: trove_host::Result<()> = Err(trove_host::Error::new(
            ErrorKind::InvalidArgument,
            "key \"a/\" ends with '/'",
        ));
        assert_eq!(
            message(refused(no, "put \"a/\"")),
            "refused: put \"a/\": key \"a/\" ends with '/'"
        );
        let other: trove_host::Result<()> =
            Err(trove_host::Error::new(ErrorKind::PermissionDenied, "no"));
        assert_eq!(
            message(refused(other, "put")),
            "put: unexpected permission-denied: no"
        );
        let err: trove_host::Result<()> = Err(trove_host::Error::new(ErrorKind::Internal, "boom"));
        assert_eq!(
            message(err.ctx("put \"k\"")),
            "put \"k\": unexpected internal: boom"
        );
    }
}
