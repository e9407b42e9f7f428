//! The keys of a bucket stored as folders (file, sftp), in byte order, walked folder
//! by folder for [`crate::listing::list_page`].
//!
//! The walk is depth-first over entries sorted by name, where a folder sorts as its
//! name followed by '/': every key under folder `a` starts with `a/`, so `a-b` comes
//! before `a/x` and `a0` after it, exactly as byte order of the full keys wants. It
//! starts at the deepest folder the prefix names, enters a folder only when the
//! request can want a key under it (prefix, cursor), and leaves a folder as soon as
//! its keys were rolled up into a common prefix.
//!
//! Where the backend stores folder markers ([`Markers::Stored`]), the marker file of
//! folder `a/` is the key `a/` itself: it sorts first in its folder (before `a/x`), and
//! a listing with delimiter '/' rolls it up into the common prefix `a/` with the rest.

use crate::listing::{KeySource, ListRequest};
use crate::paths::{validate_path_key, Markers, MARKER_FILE};

/// Reads one folder of a bucket.
pub trait Folders {
    type Error;
    /// The entries of folder `dir` (a key prefix ending in '/', or `""` for the
    /// bucket itself) as (name, is-folder); `None` when the folder is not there.
    /// Entries that are neither files nor folders are left out.
    fn read_folder(&mut self, dir: &str) -> Result<Option<Vec<(String, bool)>>, Self::Error>;
}

/// A folder being walked: its key prefix and its remaining entries, sorted in
/// reverse so that the next one pops off the end.
struct Frame {
    dir: String,
    rest: Vec<(String, bool)>,
}

/// The keys of a bucket, in byte order.
pub struct FolderKeys<'a, F> {
    folders: F,
    req: &'a ListRequest,
    stack: Vec<Frame>,
    skip: Option<String>,
    markers: Markers,
}

impl<'a, F: Folders> FolderKeys<'a, F> {
    pub fn new(folders: F, req: &'a ListRequest, markers: Markers) -> Result<Self, F::Error> {
        let mut keys = Self {
            folders,
            req,
            stack: Vec::new(),
            skip: None,
            markers,
        };
        // Start at the deepest folder the prefix names: no key outside it can match.
        let start = req.prefix.rfind('/').map_or("", |i| &req.prefix[..=i]);
        if start.is_empty() || validate_path_key(&start[..start.len() - 1], markers).is_ok() {
            keys.enter(start.to_string())?;
        }
        Ok(keys)
    }

    fn enter(&mut self, dir: String) -> Result<(), F::Error> {
        let Some(entries) = self.folders.read_folder(&dir)? else {
            return Ok(()); // gone meanwhile, or never there
        };
        // A marker file at the bucket's top would be the key "": none.
        let markers_here = self.markers == Markers::Stored && !dir.is_empty();
        let mut rest: Vec<(String, bool)> = entries
            .into_iter()
            .map(|(name, is_dir)| {
                if is_dir {
                    (format!("{name}/"), true)
                } else if markers_here && name == MARKER_FILE {
                    // The folder's own marker: its key is the folder's prefix.
                    (String::new(), false)
                } else {
                    (name, false)
                }
            })
            .collect();
        rest.sort_unstable_by(|a, b| b.0.cmp(&a.0));
        self.stack.push(Frame { dir, rest });
        Ok(())
    }

    fn skipped(&self, s: &str) -> bool {
        self.skip.as_deref().is_some_and(|p| s.starts_with(p))
    }
}

impl<F: Folders> KeySource for FolderKeys<'_, F> {
    type Error = F::Error;

    fn next_key(&mut self) -> Result<Option<String>, F::Error> {
        loop {
            let Some(frame) = self.stack.last_mut() else {
                return Ok(None);
            };
            let Some((name, is_dir)) = frame.rest.pop() else {
                self.stack.pop();
                continue;
            };
            let full = format!("{}{name}", frame.dir);
            if is_dir {
                if self.req.wants_under(&full) && !self.skipped(&full) {
                    self.enter(full)?;
                }
            } else if self.req.wants_key(&full)
                && !self.skipped(&full)
                && validate_path_key(&full, self.markers).is_ok()
            {
                return Ok(Some(full));
            }
        }
    }

    fn skip_prefix(&mut self, prefix: &str) {
        // Leave every folder inside the rolled-up prefix at once.
        while self.stack.last().is_some_and(|f| f.dir.starts_with(prefix)) {
            self.stack.pop();
        }
        self.skip = Some(prefix.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::list_page;
    use crate::paths::stored_path;
    use std::collections::BTreeMap;

    /// A folder tree built from keys.
    struct Tree(BTreeMap<String, Vec<(String, bool)>>);

    impl Tree {
        fn of(keys: &[&str]) -> Tree {
            let mut t: BTreeMap<String, Vec<(String, bool)>> = BTreeMap::new();
            for k in keys {
                let mut dir = String::new();
                let parts: Vec<&str> = k.split('/').collect();
                for (i, p) in parts.iter().enumerate() {
                    let is_dir = i + 1 < parts.len();
                    let e = t.entry(dir.clone()).or_default();
                    if !e.contains(&(p.to_string(), is_dir)) {
                        e.push((p.to_string(), is_dir));
                    }
                    dir = format!("{dir}{p}/");
                }
            }
            Tree(t)
        }
    }

    impl Folders for &Tree {
        type Error = crate::Error;
        fn read_folder(&mut self, dir: &str) -> Result<Option<Vec<(String, bool)>>, crate::Error> {
            Ok(self.0.get(dir).cloned())
        }
    }

    #[test]
    fn byte_order_and_rollup() {
        let tree = Tree::of(&["a0", "a/x", "a-b", "b/c/d", "b/e"]);
        let req = ListRequest::new(None, None, None, None).unwrap();
        let mut keys = FolderKeys::new(&tree, &req, Markers::Refused).unwrap();
        let page = list_page(&req, &mut keys, |k| {
            Ok::<_, crate::Error>(Some(k.to_string()))
        })
        .unwrap();
        assert_eq!(page.objects, ["a-b", "a/x", "a0", "b/c/d", "b/e"]);

        let req = ListRequest::new(None, Some("/".into()), None, None).unwrap();
        let mut keys = FolderKeys::new(&tree, &req, Markers::Refused).unwrap();
        let page = list_page(&req, &mut keys, |k| {
            Ok::<_, crate::Error>(Some(k.to_string()))
        })
        .unwrap();
        assert_eq!(page.objects, ["a-b", "a0"]);
        assert_eq!(page.common_prefixes, ["a/", "b/"]);
    }

    /// Every page of `req` over `tree`, as (objects, common prefixes).
    fn pages(tree: &Tree, req: &ListRequest, markers: Markers) -> (Vec<String>, Vec<String>) {
        let (mut objects, mut prefixes) = (Vec::new(), Vec::new());
        let mut cursor = None;
        loop {
            let r = ListRequest::new(
                Some(req.prefix.clone()).filter(|p| !p.is_empty()),
                req.delimiter.clone(),
                Some(req.max_keys as u32),
                cursor.as_deref(),
            )
            .unwrap();
            let mut keys = FolderKeys::new(tree, &r, markers).unwrap();
            let page = list_page(&r, &mut keys, |k| {
                Ok::<_, crate::Error>(Some(k.to_string()))
            })
            .unwrap();
            objects.extend(page.objects);
            prefixes.extend(page.common_prefixes);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return (objects, prefixes),
            }
        }
    }

    #[test]
    fn folder_markers_sort_first_in_their_folder_and_roll_up() {
        let keys = ["a/", "a/x", "a-b", "a0", "b/", "b/c/", "b/c/d", "b/e"];
        let stored: Vec<String> = keys.iter().map(|k| stored_path(k).into_owned()).collect();
        let mut with_top: Vec<&str> = stored.iter().map(String::as_str).collect();
        with_top.push(MARKER_FILE); // at the bucket's top it is no key
        let tree = Tree::of(&with_top);
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        for max in [1, 2, 1000] {
            let all = ListRequest::new(None, None, Some(max), None).unwrap();
            let (objects, prefixes) = pages(&tree, &all, Markers::Stored);
            let want = ["a-b", "a/", "a/x", "a0", "b/", "b/c/", "b/c/d", "b/e"];
            assert_eq!(objects, s(&want), "max-keys {max}");
            assert!(prefixes.is_empty());

            let top = ListRequest::new(None, Some("/".into()), Some(max), None).unwrap();
            let (objects, prefixes) = pages(&tree, &top, Markers::Stored);
            assert_eq!(objects, s(&["a-b", "a0"]), "max-keys {max}");
            assert_eq!(prefixes, s(&["a/", "b/"]), "max-keys {max}");

            let b = ListRequest::new(Some("b/".into()), Some("/".into()), Some(max), None);
            let (objects, prefixes) = pages(&tree, &b.unwrap(), Markers::Stored);
            assert_eq!(objects, s(&["b/", "b/e"]), "max-keys {max}");
            assert_eq!(prefixes, s(&["b/c/"]), "max-keys {max}");
        }
        let exact = ListRequest::new(Some("b/c/".into()), None, None, None).unwrap();
        let (objects, _) = pages(&tree, &exact, Markers::Stored);
        assert_eq!(objects, s(&["b/c/", "b/c/d"]));

        // A backend that stores no markers lists the file as what it is.
        let a = ListRequest::new(Some("a/".into()), None, None, None).unwrap();
        let (objects, _) = pages(&tree, &a, Markers::Refused);
        assert_eq!(objects, s(&["a/.trove-folder-marker", "a/x"]));
    }
}
