//! A listing that does not advance. A driver's cursor is opaque, so the one
//! thing a client can check is that no cursor comes back: the same cursor
//! twice means the same pages again, for ever. Used by every client of
//! `list` that walks pages (the CLI's `ls --all`, the conformance runner,
//! the S3 gateway).

/// A cursor as it goes into a message: quoted, and cut short when long.
pub fn show_cursor(c: &str) -> String {
    const MAX: usize = 64;
    match c.char_indices().nth(MAX) {
        None => format!("{c:?}"),
        Some((at, _)) => format!("{:?}… ({} bytes)", &c[..at], c.len()),
    }
}

/// Finds a cursor that comes back (a listing going round in a loop of any
/// length) in constant memory: Brent's cycle detection. It keeps one cursor,
/// compares every new one with it, and moves it forward at pages 1, 2, 4, 8,
/// …, so a loop is caught within about twice its length plus its start.
/// (A cursor says where the listing goes on, so the same cursor twice means
/// the same pages again, for ever.)
pub struct CursorWatch {
    saved: Option<String>,
    saved_page: u64,
    power: u64,
    steps: u64,
}

impl CursorWatch {
    /// `start`: the cursor the first page is asked with, if any.
    pub fn new(start: Option<String>) -> Self {
        CursorWatch {
            saved: start,
            saved_page: 0,
            power: 1,
            steps: 0,
        }
    }

    /// Page `n` handed back `cursor`: an error naming the repeat, if it is one.
    pub fn check(&mut self, n: u64, cursor: &str) -> std::result::Result<(), String> {
        if self.saved.as_deref() == Some(cursor) {
            return Err(if self.saved_page == 0 {
                format!(
                    "page {n} handed back the cursor it was given, {}",
                    show_cursor(cursor)
                )
            } else {
                format!(
                    "page {n} handed back the cursor {} again (page {} did)",
                    show_cursor(cursor),
                    self.saved_page
                )
            });
        }
        self.steps += 1;
        if self.steps == self.power {
            self.saved = Some(cursor.to_string());
            self.saved_page = n;
            self.power = self.power.saturating_mul(2);
            self.steps = 0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_cursors_are_caught_in_loops_of_any_length() {
        let mut w = CursorWatch::new(None);
        assert!(w.check(1, "again").is_ok());
        let e = w.check(2, "again").unwrap_err();
        assert_eq!(
            e,
            "page 2 handed back the cursor \"again\" again (page 1 did)"
        );
        let mut w = CursorWatch::new(Some("c0".into()));
        assert!(w
            .check(1, "c0")
            .unwrap_err()
            .contains("the cursor it was given"));
        // A loop of three cursors is caught; fresh cursors never are.
        let mut w = CursorWatch::new(None);
        let caught = (1..100u64).find(|n| w.check(*n, &format!("c{}", n % 3)).is_err());
        assert!(caught.is_some_and(|n| n < 12), "{caught:?}");
        let mut w = CursorWatch::new(None);
        assert!((1..10_000u64).all(|n| w.check(n, &n.to_string()).is_ok()));
    }

    #[test]
    fn long_cursors_are_cut_in_messages() {
        let long = "x".repeat(500);
        let m = show_cursor(&long);
        assert!(m.len() < 100 && m.ends_with("(500 bytes)"), "{m}");
        assert_eq!(show_cursor("ab"), "\"ab\"");
    }
}
