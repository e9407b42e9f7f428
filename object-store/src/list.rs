//! Listings: `list` and `list_with_offset` as streams over the driver's
//! pages (one page fetched at a time, as the stream is read),
//! `list_with_delimiter`, and `PaginatedListStore`.
//!
//! The contract has no start-after, so `list_with_offset` reads the pages
//! from the start of the prefix and drops what is not after the offset.

use crate::error::{map, not_supported, Call};
use crate::keys::{dir_prefix, path};
use crate::meta::object_meta;
use crate::store::TroveStore;
use futures::stream::{self, BoxStream};
use futures::{StreamExt, TryStreamExt};
use object_store::list::{PaginatedListOptions, PaginatedListResult};
use object_store::path::{Path, DELIMITER};
use object_store::{ListResult, ObjectMeta, Result};
use std::sync::Arc;
use trove_host::{Driver, ListOptions, ListPage};

async fn page(driver: &Driver, bucket: &str, opts: ListOptions) -> Result<ListPage> {
    let where_ = opts.prefix.clone().unwrap_or_default();
    driver
        .list(bucket, opts)
        .await
        .map_err(|e| map(e, &where_, Call::Plain))
}

fn metas(page: &ListPage) -> Result<Vec<ObjectMeta>> {
    page.objects
        .iter()
        .map(|o| Ok(object_meta(path(&o.key)?, o)))
        .collect()
}

fn prefixes(page: &ListPage) -> Result<Vec<Path>> {
    page.common_prefixes.iter().map(|p| path(p)).collect()
}

/// Every object under `prefix` (recursively), after `offset` when given.
pub(crate) fn list(
    store: &TroveStore,
    prefix: Option<&Path>,
    offset: Option<&Path>,
) -> BoxStream<'static, Result<ObjectMeta>> {
    let driver = store.driver.clone();
    let bucket: Arc<str> = store.bucket.clone();
    let prefix = dir_prefix(prefix);
    // (cursor, more pages?)
    let pages = stream::try_unfold((None::<String>, true), move |(cursor, more)| {
        let (driver, bucket, prefix) = (driver.clone(), bucket.clone(), prefix.clone());
        async move {
            if !more {
                return Ok::<_, object_store::Error>(None);
            }
            let opts = ListOptions {
                prefix,
                cursor,
                ..Default::default()
            };
            let p = page(&driver, &bucket, opts).await?;
            let objects = metas(&p)?;
            let more = p.next_cursor.is_some();
            Ok(Some((objects, (p.next_cursor, more))))
        }
    });
    let all = pages
        .map_ok(|objects| stream::iter(objects.into_iter().map(Ok)))
        .try_flatten();
    match offset.cloned() {
        None => all.boxed(),
        Some(offset) => all
            .try_filter(move |m| futures::future::ready(m.location > offset))
            .boxed(),
    }
}

/// One level under `prefix`: its objects, and its "directories".
pub(crate) async fn list_with_delimiter(
    store: &TroveStore,
    prefix: Option<&Path>,
) -> Result<ListResult> {
    let mut out = ListResult {
        common_prefixes: Vec::new(),
        objects: Vec::new(),
        extensions: Default::default(),
    };
    let mut cursor = None;
    loop {
        let opts = ListOptions {
            prefix: dir_prefix(prefix),
            delimiter: Some(DELIMITER.to_string()),
            cursor,
            ..Default::default()
        };
        let p = page(&store.driver, &store.bucket, opts).await?;
        out.objects.extend(metas(&p)?);
        out.common_prefixes.extend(prefixes(&p)?);
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// One page: `prefix` as given (no delimiter added), the driver's opaque
/// cursor as the page token.
pub(crate) async fn list_paginated(
    store: &TroveStore,
    prefix: Option<&str>,
    opts: PaginatedListOptions,
) -> Result<PaginatedListResult> {
    if opts.offset.is_some() {
        return Err(not_supported(
            "list_paginated with an offset: the trove contract's listing has no start-after",
        ));
    }
    let lopts = ListOptions {
        prefix: prefix.filter(|p| !p.is_empty()).map(str::to_string),
        delimiter: opts.delimiter.map(|d| d.into_owned()),
        max_keys: opts.max_keys.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        cursor: opts.page_token,
    };
    let p = page(&store.driver, &store.bucket, lopts).await?;
    Ok(PaginatedListResult {
        result: ListResult {
            objects: metas(&p)?,
            common_prefixes: prefixes(&p)?,
            extensions: Default::default(),
        },
        page_token: p.next_cursor,
    })
}
