//! The store's resource limiter. wasmtime's `StoreLimits` bounds each linear
//! memory on its own, so a component made of many core instances (sibling
//! components, each with a memory) could hold `memories × limit`. This one
//! bounds the sum: all linear memories of one instance together stay within
//! `Limits::memory_bytes`. Tables, instances and memories are counted as
//! `StoreLimits` counts them.

use crate::limits::Limits;
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};

/// The message a refused growth traps with (matched by the crash report).
pub(crate) const MEMORY_LIMIT_HIT: &str = "linear memory limit of the instance reached";

pub(crate) struct Limiter {
    others: StoreLimits,
    /// Bytes of all linear memories of this store.
    memory_total: usize,
    memory_limit: usize,
    /// The growth last allowed, taken back if the allocation then fails.
    last_growth: usize,
}

impl Limiter {
    pub(crate) fn new(limits: &Limits) -> Limiter {
        Limiter {
            others: StoreLimitsBuilder::new()
                .table_elements(limits.table_elements)
                .instances(limits.instances)
                .tables(limits.instances)
                .memories(limits.instances)
                .trap_on_grow_failure(true)
                .build(),
            memory_total: 0,
            memory_limit: limits.memory_bytes,
            last_growth: 0,
        }
    }

    pub(crate) fn memory_limit(&self) -> usize {
        self.memory_limit
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let growth = desired.saturating_sub(current);
        let total = self.memory_total.saturating_add(growth);
        if total > self.memory_limit || maximum.is_some_and(|m| desired > m) {
            wasmtime::bail!(
                "{MEMORY_LIMIT_HIT}: growing a memory from {current} to {desired} bytes would \
                 make {total} bytes in all"
            );
        }
        self.memory_total = total;
        self.last_growth = growth;
        Ok(true)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.memory_total -= std::mem::take(&mut self.last_growth);
        Err(error.context("forcing a memory growth failure to be a trap"))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.others.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.others.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.others.instances()
    }

    fn tables(&self) -> usize {
        self.others.tables()
    }

    fn memories(&self) -> usize {
        self.others.memories()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_bounds_the_sum_of_all_memories() {
        let mut l = Limiter::new(&Limits {
            memory_bytes: 100,
            ..Limits::default()
        });
        assert!(l.memory_growing(0, 40, None).unwrap());
        assert!(l.memory_growing(0, 40, None).unwrap());
        let e = l.memory_growing(0, 40, None).unwrap_err();
        assert!(e.to_string().contains(MEMORY_LIMIT_HIT), "{e}");
        assert!(l.memory_growing(40, 60, None).unwrap());
        assert!(l.memory_growing(0, 1, None).is_err());
    }
}
