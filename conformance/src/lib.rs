//! trove-conformance: the driver conformance suite, as a library.
//!
//! [`run`] drives every case against one opened [`trove_host::Driver`] and
//! reports each case as it finishes; the `trove-host conformance` command is a
//! thin shell over it. The cases check the contract's semantics as written in
//! `wit/README.md`, asserting exact error kinds.
//!
//! Cases run one after another (a case may be concurrent inside). Each uses
//! its own freshly named buckets (`tc-<case>-<random hex>`) and everything it
//! created is removed afterwards, also when it fails or times out, so the
//! suite can run against a shared server. Cases that exercise an optional
//! interface (multipart, presign, versioning) are skipped, with the reason,
//! when the driver does not export it, or when the driver exports it but
//! answers `unsupported` because its backend cannot serve it (S3 versioning
//! on a server without it): the skip then carries the driver's message. A
//! case about keys that a driver storing keys as paths may be unable to hold
//! (a folder marker `dir/`, a key that is also a folder) is skipped when the
//! driver refuses them with `invalid-argument`, the skip carrying the
//! driver's message; every other answer is checked as usual.

#[macro_use]
mod harness;
mod cases;
mod data;

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::FutureExt;
use trove_host::{printable, Driver};

use harness::{Case, Ctx, Stop, Tracked};

/// How to run the suite.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// Run only the cases whose name contains this substring.
    pub filter: Option<String>,
    /// Parallel operations in the concurrency cases (default 20).
    pub concurrency: usize,
    /// A case still running after this long fails with "timed out" (default 120 s).
    /// The cleanup after a case gets the same allowance again.
    pub case_timeout: Duration,
    /// Size of the object in the large streamed case (default 64 MiB).
    pub large_object_size: u64,
    /// Cases the backend is known not to support, by exact name, each with
    /// the reason: reported as skipped with that reason, never run, never
    /// passed silently (for an emulator that lacks what the real service has).
    pub skip: Vec<(String, String)>,
}

impl Default for SuiteOptions {
    fn default() -> Self {
        SuiteOptions {
            filter: None,
            concurrency: 20,
            case_timeout: Duration::from_secs(120),
            large_object_size: 64 << 20,
            skip: Vec::new(),
        }
    }
}

/// How one case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// What was expected and what happened instead.
    Failed(String),
    /// Why the case did not apply (e.g. a capability the driver does not export).
    Skipped(String),
}

#[derive(Debug, Clone)]
pub struct CaseReport {
    pub name: &'static str,
    pub outcome: Outcome,
    pub elapsed: Duration,
}

impl fmt::Display for CaseReport {
    /// One line: `PASS name (12 ms)`, `FAIL name (3 ms): why`, `SKIP name: why`.
    /// The reason can carry the driver's text (keys, messages): control and
    /// bidi characters come out escaped, and line breaks as `\n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.elapsed.as_millis();
        let name = printable(self.name);
        match &self.outcome {
            Outcome::Passed => write!(f, "PASS {name} ({ms} ms)"),
            Outcome::Failed(why) => write!(f, "FAIL {name} ({ms} ms): {}", printable(why)),
            Outcome::Skipped(why) => write!(f, "SKIP {name}: {}", printable(why)),
        }
    }
}

/// The result of a run.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Every case that ran (or was skipped), in order.
    pub reports: Vec<CaseReport>,
}

impl Summary {
    /// `N passed, N failed`, followed by `, N skipped` when any were skipped.
    pub fn closing_line(&self) -> String {
        let mut line = format!("{} passed, {} failed", self.passed, self.failed);
        if self.skipped > 0 {
            line.push_str(&format!(", {} skipped", self.skipped));
        }
        line
    }

    /// True when no case failed.
    pub fn success(&self) -> bool {
        self.failed == 0
    }

    fn push(&mut self, report: CaseReport) {
        match report.outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed(_) => self.failed += 1,
            Outcome::Skipped(_) => self.skipped += 1,
        }
        self.reports.push(report);
    }
}

/// The names of all cases, in the order they run.
pub fn case_names() -> Vec<&'static str> {
    cases::all().map(|c| c.name).collect()
}

/// Runs the suite against `driver`, calling `on_case` as each case finishes.
pub async fn run(
    driver: &Driver,
    opts: &SuiteOptions,
    mut on_case: impl FnMut(&CaseReport),
) -> Summary {
    let caps = driver.capabilities();
    let shared = Arc::new(opts.clone());
    let mut summary = Summary::default();
    for case in cases::all() {
        if let Some(filter) = &opts.filter {
            if !case.name.contains(filter.as_str()) {
                continue;
            }
        }
        let start = Instant::now();
        let known_gap = opts.skip.iter().find(|(name, _)| name == case.name);
        let outcome = match (known_gap, case.needs.filter(|n| !n.available(&caps))) {
            (_, Some(n)) => Outcome::Skipped(format!(
                "the driver does not export the {} interface",
                n.interface()
            )),
            (Some((_, why)), None) => Outcome::Skipped(format!("backend limitation: {why}")),
            (None, None) => run_case(driver, case, &shared).await,
        };
        let report = CaseReport {
            name: case.name,
            outcome,
            elapsed: start.elapsed(),
        };
        on_case(&report);
        summary.push(report);
    }
    summary
}

/// Runs one case under its timeout, catching panics, then cleans up after it.
async fn run_case(driver: &Driver, case: &Case, opts: &Arc<SuiteOptions>) -> Outcome {
    let tracked = Arc::new(Mutex::new(Tracked::default()));
    let ctx = Ctx::new(driver.clone(), case.name, opts.clone(), tracked.clone());
    let limit = opts.case_timeout;
    let outcome =
        match tokio::time::timeout(limit, AssertUnwindSafe((case.run)(ctx)).catch_unwind()).await {
            Err(_) => Outcome::Failed(format!("timed out after {}", human(limit))),
            Ok(Err(panic)) => Outcome::Failed(format!("panicked: {}", panic_message(&*panic))),
            Ok(Ok(Ok(()))) => Outcome::Passed,
            Ok(Ok(Err(Stop::Fail(why)))) => Outcome::Failed(why),
            Ok(Ok(Err(Stop::Unsupported(why)))) if case.needs.is_some() => {
                Outcome::Skipped(format!("the backend cannot serve it: {why}"))
            }
            Ok(Ok(Err(Stop::Unsupported(why)))) => Outcome::Failed(why),
            Ok(Ok(Err(Stop::Refused(why)))) => {
                Outcome::Skipped(format!("the driver cannot store it: {why}"))
            }
        };

    let tracked = std::mem::take(&mut *tracked.lock().unwrap_or_else(|e| e.into_inner()));
    if tracked.buckets.is_empty() && tracked.uploads.is_empty() {
        return outcome;
    }
    let caps = driver.capabilities();
    let cleanup = AssertUnwindSafe(harness::cleanup(driver, caps, tracked)).catch_unwind();
    let problem = match tokio::time::timeout(limit, cleanup).await {
        Err(_) => Some(format!("timed out after {}", human(limit))),
        Ok(Err(panic)) => Some(format!("panicked: {}", panic_message(&*panic))),
        Ok(Ok(Err(why))) => Some(why),
        Ok(Ok(Ok(()))) => None,
    };
    // Leftovers after a passing case are a finding of their own (e.g. a
    // bucket that lists empty but cannot be deleted); after a failure or a
    // skip they are noted next to the first reason.
    match (outcome, problem) {
        (outcome, None) => outcome,
        (Outcome::Passed, Some(p)) => Outcome::Failed(format!("cleanup: {p}")),
        (Outcome::Failed(why), Some(p)) => Outcome::Failed(format!("{why} (cleanup: {p})")),
        (Outcome::Skipped(why), Some(p)) => Outcome::Skipped(format!("{why} (cleanup: {p})")),
    }
}

fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn closing_line_format() {
        let mut s = Summary {
            passed: 70,
            failed: 2,
            ..Default::default()
        };
        assert_eq!(s.closing_line(), "70 passed, 2 failed");
        s.skipped = 5;
        assert_eq!(s.closing_line(), "70 passed, 2 failed, 5 skipped");
    }

    #[test]
    fn case_names_are_unique_and_plenty() {
        let names = case_names();
        assert!(names.len() >= 60, "only {} cases", names.len());
        let unique: HashSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "duplicate case names");
        for n in &names {
            assert!(
                n.contains('/') && !n.contains(' '),
                "badly formed case name {n:?}"
            );
        }
    }
}
