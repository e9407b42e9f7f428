//! The compile budget. Compiling is the one thing the host does with a
//! driver before any sandbox limit applies, and Cranelift's time grows
//! faster than linearly with a function's size and live values: a 620 KB
//! component with 50,000 locals in one function compiled for minutes. So a
//! component is measured before it is compiled (every core module in it,
//! nested ones included), and refused with `invalid-driver` naming the limit
//! when it exceeds one of [`SHAPE`]'s; then it is compiled on a thread of its
//! own with a wall-clock budget ([`crate::Limits::compile_timeout`]). A
//! compile that overruns is abandoned (its thread finishes in the background
//! and its result is dropped) and the component is refused for the rest of
//! the runtime's life, so the same file is never compiled twice.

use crate::error::{Error, Result};
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;
use wasmparser::{Parser, Payload};

/// Limits on a component's shape, checked before compiling. The built-in
/// drivers and the Python (componentize-py, 18 MB) and JavaScript
/// (componentize-js) drivers are far inside them; see the README.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    /// Declared locals of one function.
    pub(crate) locals_per_function: u64,
    /// Σ locals² over all functions (see [`Measure::locals_squared`]).
    pub(crate) locals_squared: u64,
    /// Bytes of one function body.
    pub(crate) function_bytes: usize,
    /// Function bodies in all core modules together.
    pub(crate) functions: usize,
    /// Bytes of all function bodies together.
    pub(crate) code_bytes: usize,
}

/// Measured (debug build of the host, Cranelift at opt-level 3): a function
/// whose N locals are all live across a loop compiles in about
/// 0.1 s × (N/1000)², 6.3 s at N = 8,000. The largest real drivers: Python
/// (componentize-py) 271 locals at most, Σ locals² = 654,580; JavaScript 118
/// and 547,877; the Rust built-ins under 70 and 70,000.
pub(crate) const SHAPE: Shape = Shape {
    locals_per_function: 5_000,
    locals_squared: 50_000_000,
    function_bytes: 2 << 20,
    functions: 200_000,
    code_bytes: 128 << 20,
};

/// What a component holds, summed over its core modules.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Measure {
    pub(crate) functions: usize,
    pub(crate) code_bytes: usize,
    pub(crate) max_locals: u64,
    pub(crate) max_function_bytes: usize,
    /// Σ locals² over all functions: register allocation grows with the
    /// square of the values live at once.
    pub(crate) locals_squared: u64,
}

/// Measure every function body in `bytes` (a component or a core module).
/// A malformed binary is left to the compiler to describe.
pub(crate) fn measure(bytes: &[u8]) -> Measure {
    let mut m = Measure::default();
    for payload in Parser::new(0).parse_all(bytes) {
        let Ok(Payload::CodeSectionEntry(body)) = payload else {
            continue;
        };
        let size = body.range().len();
        m.functions += 1;
        m.code_bytes += size;
        m.max_function_bytes = m.max_function_bytes.max(size);
        let mut locals: u64 = 0;
        if let Ok(reader) = body.get_locals_reader() {
            for item in reader {
                match item {
                    Ok((count, _)) => locals += u64::from(count),
                    Err(_) => break,
                }
            }
        }
        m.max_locals = m.max_locals.max(locals);
        m.locals_squared = m
            .locals_squared
            .saturating_add(locals.saturating_mul(locals));
    }
    m
}

/// Refuse a component that is over one of the shape limits.
pub(crate) fn check_shape(bytes: &[u8], origin: &str, limits: &Shape) -> Result<()> {
    let m = measure(bytes);
    let checks: [(&str, u64, u64, &str); 5] = [
        (
            "the largest number of locals in one function",
            m.max_locals,
            limits.locals_per_function,
            "",
        ),
        (
            "the sum over functions of locals squared",
            m.locals_squared,
            limits.locals_squared,
            "",
        ),
        (
            "the largest function body",
            m.max_function_bytes as u64,
            limits.function_bytes as u64,
            " bytes",
        ),
        (
            "the number of functions",
            m.functions as u64,
            limits.functions as u64,
            "",
        ),
        (
            "the code size",
            m.code_bytes as u64,
            limits.code_bytes as u64,
            " bytes",
        ),
    ];
    for (what, have, limit, unit) in checks {
        if have > limit {
            return Err(Error::invalid_driver(format!(
                "{origin}: over the compile budget: {what} is {have}{unit}, the limit is \
                 {limit}{unit}"
            )));
        }
    }
    Ok(())
}

/// Components whose compile overran its budget (one set per runtime).
#[derive(Default)]
pub(crate) struct Overran(Mutex<HashSet<[u8; 32]>>);

/// Run `compile` on a thread of its own and wait at most `timeout` for it.
pub(crate) fn with_deadline<T: Send + 'static>(
    overran: &Overran,
    digest: &[u8; 32],
    origin: &str,
    timeout: Duration,
    compile: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    let over = || {
        Error::invalid_driver(format!(
            "{origin}: over the compile budget: compiling took longer than {timeout:?} \
             (--compile-timeout)"
        ))
    };
    if overran.0.lock().unwrap().contains(digest) {
        return Err(over());
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("trove-compile".into())
        .spawn(move || {
            let _ = tx.send(compile());
        })
        .map_err(|e| Error::io("starting a compile thread", e))?;
    match rx.recv_timeout(timeout) {
        Ok(v) => Ok(v),
        Err(_) => {
            overran.0.lock().unwrap().insert(*digest);
            Err(over())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locals_bodies_and_functions_are_counted_in_nested_modules() {
        let wat = r#"(component
            (core module (func (local i64 i64 i32)) (func (local i32)))
            (core module (func (local f64)))
        )"#;
        let bytes = wat::parse_str(wat).unwrap();
        let m = measure(&bytes);
        assert_eq!(m.functions, 3);
        assert_eq!(m.max_locals, 3);
        assert!(m.code_bytes > 0);
        let tight = Shape {
            locals_per_function: 2,
            ..SHAPE
        };
        let e = check_shape(&bytes, "x.wasm", &tight).unwrap_err();
        assert!(
            e.message()
                .contains("locals in one function is 3, the limit is 2"),
            "{e}"
        );
        check_shape(&bytes, "x.wasm", &SHAPE).unwrap();
    }

    #[test]
    fn a_slow_compile_is_abandoned_at_the_deadline_and_not_retried() {
        let digest = [42u8; 32];
        let o = Overran::default();
        let e = with_deadline(&o, &digest, "slow.wasm", Duration::from_millis(50), || {
            std::thread::sleep(Duration::from_secs(2))
        })
        .unwrap_err();
        assert!(e.message().contains("compiling took longer than"), "{e}");
        let t = std::time::Instant::now();
        let e = with_deadline(&o, &digest, "slow.wasm", Duration::from_secs(5), || ()).unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(1), "{e}");
        assert_eq!(
            with_deadline(&o, &[1; 32], "ok.wasm", Duration::from_secs(5), || 7).unwrap(),
            7
        );
    }
}
