//! Instances of one opened driver. Stateless drivers get a pool, so that N
//! concurrent calls run on N instances; a stateful driver (mem) gets exactly
//! one, and calls to it are serialised. An instance that trapped or ran past
//! its deadline is dropped, never reused.

use crate::bindings::{core, multipart, presign, put_bytes, stream_put, versioning, wit};
use crate::error::{Error, ErrorKind, Result};
use crate::grants::Grants;
use crate::runtime::{Loaded, Runtime};
use crate::state::HostState;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::{Store, Trap, UpdateDeadline};

/// One live instance and the typed handles to its exports.
pub(crate) struct Instance {
    pub(crate) store: Store<HostState>,
    pub(crate) core: core::Guest,
    pub(crate) stream_put: Option<stream_put::Guest>,
    pub(crate) put_bytes: Option<put_bytes::Guest>,
    pub(crate) multipart: Option<multipart::Guest>,
    pub(crate) presign: Option<presign::Guest>,
    pub(crate) versioning: Option<versioning::Guest>,
}

pub(crate) struct Pool {
    runtime: Arc<Runtime>,
    loaded: Arc<Loaded>,
    dsn: wit::Dsn,
    grants: Grants,
    pub(crate) label: String,
    /// Boxed: an `Instance` is large, and a lease moves it in and out.
    idle: Mutex<Vec<Box<Instance>>>,
    permits: Arc<Semaphore>,
}

/// Exclusive use of one instance; it goes back to the pool when dropped,
/// unless the call on it failed in a way that leaves it unusable.
pub(crate) struct Lease {
    pool: Arc<Pool>,
    inst: Option<Box<Instance>>,
    /// Set while a call is in flight: if the caller drops the future then,
    /// the instance is mid-call and must not go back to the pool.
    in_call: bool,
    _permit: OwnedSemaphorePermit,
}

/// Call into the guest with the per-call deadline (epoch CPU deadline plus a
/// wall-clock timeout). Evaluates to `Result<T>` where the call returns
/// `wasmtime::Result<T>`; on a trap or timeout the lease's instance is dropped.
macro_rules! guest {
    ($lease:expr, $i:ident => $call:expr) => {{
        let lease: &mut $crate::pool::Lease = $lease;
        let timeout = lease.timeout();
        match lease.arm() {
            Ok($i) => {
                // Boxed: the call's future is large, and every enclosing
                // future would otherwise carry (and move) a copy of it.
                let r = $crate::pool::with_deadline(timeout, ::std::boxed::Box::pin($call)).await;
                lease.settle(r)
            }
            Err(e) => Err(e),
        }
    }};
}
pub(crate) use guest;

/// `tokio::time::timeout`, with the timer set only if the call waits: most
/// guest calls finish in their first poll and need none (a wait is on a host
/// call; the guest's own CPU time has the epoch deadline).
pub(crate) async fn with_deadline<F: std::future::Future>(
    timeout: Duration,
    mut call: std::pin::Pin<Box<F>>,
) -> std::result::Result<F::Output, tokio::time::error::Elapsed> {
    let first = std::future::poll_fn(|cx| std::task::Poll::Ready(call.as_mut().poll(cx))).await;
    match first {
        std::task::Poll::Ready(v) => Ok(v),
        std::task::Poll::Pending => tokio::time::timeout(timeout, call).await,
    }
}

impl Pool {
    /// Instantiate the first instance, ask the driver what it is and open it.
    /// Returns the pool and the driver's self-description.
    pub(crate) async fn open(
        runtime: Arc<Runtime>,
        loaded: Arc<Loaded>,
        dsn: wit::Dsn,
        grants: Grants,
        label: String,
    ) -> Result<(Arc<Pool>, wit::DriverInfo)> {
        let mut first = Self::instantiate(&runtime, &loaded, &grants, &label).await?;
        let info = {
            begin_call(&mut first.store, &runtime.limits);
            let r = tokio::time::timeout(
                runtime.limits.call_timeout,
                first.core.call_info(&mut first.store),
            )
            .await;
            settle_detached(&first, &label, runtime.limits.call_timeout, r)?
        };
        let size = if info.stateful {
            1
        } else {
            runtime.limits.pool_size.max(1)
        };
        let pool = Arc::new(Pool {
            runtime,
            loaded,
            dsn,
            grants,
            label,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(size)),
        });
        pool.open_instance(&mut first).await?;
        pool.idle.lock().unwrap().push(first);
        Ok((pool, info))
    }

    async fn instantiate(
        runtime: &Runtime,
        loaded: &Loaded,
        grants: &Grants,
        label: &str,
    ) -> Result<Box<Instance>> {
        let limits = &runtime.limits;
        let state = HostState::new(label, grants, limits).map_err(|e| {
            Error::new(ErrorKind::Io, format!("granting access for {label}: {e:#}"))
        })?;
        let mut store = Store::new(&runtime.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_hostcall_fuel(limits.hostcall_bytes);
        // Each epoch tick a guest spends on the CPU, it yields to the
        // executor (so a spinning guest never holds a worker thread for
        // longer than a tick: timers and other requests keep running), and
        // when its call's CPU budget is spent, it traps.
        store.epoch_deadline_callback(|mut ctx| {
            if !ctx.data_mut().tick() {
                return Ok(UpdateDeadline::Interrupt);
            }
            Ok(UpdateDeadline::YieldCustom(
                1,
                Box::pin(tokio::task::yield_now()),
            ))
        });
        begin_call(&mut store, limits);
        let instance = match tokio::time::timeout(
            limits.call_timeout,
            loaded.pre.instantiate_async(&mut store),
        )
        .await
        {
            Ok(Ok(i)) => i,
            // A start function that spins is stopped by the epoch deadline.
            Ok(Err(e)) if matches!(e.downcast_ref::<Trap>(), Some(Trap::Interrupt)) => {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!("{label}: instantiation used more than the call deadline of CPU"),
                ))
            }
            Ok(Err(e)) => {
                return Err(Error::crashed(format!(
                    "{label}: instantiation failed: {e:#}"
                )))
            }
            Err(_) => {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!("{label}: instantiation timed out"),
                ))
            }
        };
        let load_err = |e: wasmtime::Error| Error::invalid_driver(format!("{label}: {e:#}"));
        let core = loaded.core.load(&mut store, &instance).map_err(load_err)?;
        fn opt<T>(r: Option<wasmtime::Result<T>>, label: &str) -> Result<Option<T>> {
            r.transpose()
                .map_err(|e| Error::invalid_driver(format!("{label}: {e:#}")))
        }
        Ok(Box::new(Instance {
            stream_put: opt(
                loaded
                    .stream_put
                    .as_ref()
                    .map(|i| i.load(&mut store, &instance)),
                label,
            )?,
            put_bytes: opt(
                loaded
                    .put_bytes
                    .as_ref()
                    .map(|i| i.load(&mut store, &instance)),
                label,
            )?,
            multipart: opt(
                loaded
                    .multipart
                    .as_ref()
                    .map(|i| i.load(&mut store, &instance)),
                label,
            )?,
            presign: opt(
                loaded
                    .presign
                    .as_ref()
                    .map(|i| i.load(&mut store, &instance)),
                label,
            )?,
            versioning: opt(
                loaded
                    .versioning
                    .as_ref()
                    .map(|i| i.load(&mut store, &instance)),
                label,
            )?,
            core,
            store,
        }))
    }

    async fn open_instance(&self, inst: &mut Instance) -> Result<()> {
        begin_call(&mut inst.store, &self.runtime.limits);
        let r = tokio::time::timeout(
            self.runtime.limits.call_timeout,
            inst.core.call_open(&mut inst.store, &self.dsn),
        )
        .await;
        settle_detached(inst, &self.label, self.runtime.limits.call_timeout, r)?
            .map_err(crate::convert::error)
    }

    /// Wait (up to the call deadline) for a free instance, creating one if
    /// the pool is below its size.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Result<Lease> {
        let timeout = self.runtime.limits.call_timeout;
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(p) => p,
            // All instances busy: wait, with the deadline (no timer otherwise).
            Err(_) => tokio::time::timeout(timeout, self.permits.clone().acquire_owned())
                .await
                .map_err(|_| {
                    Error::new(
                        ErrorKind::Timeout,
                        format!("{}: no instance became free within {timeout:?}", self.label),
                    )
                })?
                .expect("semaphore never closed"),
        };
        let idle = self.idle.lock().unwrap().pop();
        let inst = match idle {
            Some(i) => i,
            // Boxed: a rare path with a large future, kept out of every
            // call's future.
            None => {
                Box::pin(async {
                    let mut i =
                        Self::instantiate(&self.runtime, &self.loaded, &self.grants, &self.label)
                            .await?;
                    self.open_instance(&mut i).await?;
                    Ok::<_, Error>(i)
                })
                .await?
            }
        };
        Ok(Lease {
            pool: self.clone(),
            inst: Some(inst),
            in_call: false,
            _permit: permit,
        })
    }
}

impl Pool {
    /// The per-call deadline.
    pub(crate) fn call_timeout(&self) -> Duration {
        self.runtime.limits.call_timeout
    }
}

impl Lease {
    pub(crate) fn timeout(&self) -> Duration {
        self.pool.runtime.limits.call_timeout
    }

    /// The instance, with a fresh CPU deadline and log budget.
    pub(crate) fn arm(&mut self) -> Result<&mut Instance> {
        let limits = &self.pool.runtime.limits;
        let inst = self.inst.as_mut().ok_or_else(|| {
            Error::crashed(format!(
                "{}: the instance was lost in an earlier failure",
                self.pool.label
            ))
        })?;
        begin_call(&mut inst.store, limits);
        self.in_call = true;
        Ok(inst)
    }

    pub(crate) fn instance(&mut self) -> Option<&mut Instance> {
        self.inst.as_deref_mut()
    }

    /// Turn the outcome of a guest call into the API's result, dropping the
    /// instance if it trapped or overran.
    pub(crate) fn settle<T>(
        &mut self,
        r: std::result::Result<wasmtime::Result<T>, tokio::time::error::Elapsed>,
    ) -> Result<T> {
        self.in_call = false;
        let timeout = self.timeout();
        let out = match &mut self.inst {
            Some(inst) => {
                end_call(&mut inst.store);
                settle_detached(inst, &self.pool.label, timeout, r)
            }
            None => return Err(Error::crashed("instance already dropped")),
        };
        if out.is_err() {
            // Any error here is a trap or an overrun: the store is unusable.
            self.inst = None;
        }
        out
    }

    pub(crate) fn label(&self) -> &str {
        &self.pool.label
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if self.in_call {
            return; // abandoned mid-call: the instance is dropped with us
        }
        if let Some(inst) = self.inst.take() {
            self.pool.idle.lock().unwrap().push(inst);
        }
    }
}

/// A call begins: the CPU budget of one call deadline (counted in epoch
/// ticks the guest runs through), a fresh log budget, and the epoch callback
/// due at the next tick.
fn begin_call(store: &mut Store<HostState>, limits: &crate::limits::Limits) {
    store.data_mut().begin_call(limits.epoch_ticks());
    store.set_epoch_deadline(1);
}

/// A call ended: say what its log budget dropped.
fn end_call(store: &mut Store<HostState>) {
    store.data_mut().end_call();
}

fn settle_detached<T>(
    inst: &Instance,
    label: &str,
    timeout: Duration,
    r: std::result::Result<wasmtime::Result<T>, tokio::time::error::Elapsed>,
) -> Result<T> {
    match r {
        Ok(Ok(v)) => Ok(v),
        Err(_) => Err(Error::new(
            ErrorKind::Timeout,
            format!("{label}: call exceeded the {timeout:?} deadline; the instance was stopped"),
        )),
        Ok(Err(e)) => Err(classify_trap(inst, label, timeout, e)),
    }
}

fn classify_trap(inst: &Instance, label: &str, timeout: Duration, e: wasmtime::Error) -> Error {
    let stderr = inst.store.data().stderr_tail();
    let detail = if stderr.is_empty() {
        String::new()
    } else {
        format!(" (driver stderr: {stderr})")
    };
    match e.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => Error::new(
            ErrorKind::Timeout,
            format!("{label}: used more than the {timeout:?} call deadline of CPU; the instance was stopped"),
        ),
        Some(Trap::StackOverflow) => Error::crashed(format!("{label}: stack overflow{detail}")),
        Some(trap) => Error::crashed(format!("{label}: {trap}{detail}")),
        None => {
            // The first line only: wasmtime appends a multi-line wasm backtrace.
            let full = format!("{e:#}");
            let mut first = full.lines().next().unwrap_or_default().to_string();
            if first.starts_with("error while executing at wasm backtrace") {
                // The backtrace is only context: the root cause says what happened
                // (e.g. "cannot allocate another handle: store handle limit exceeded").
                first = e.root_cause().to_string();
            }
            if full.contains(crate::limiter::MEMORY_LIMIT_HIT) {
                let limit = inst.store.data().limiter.memory_limit();
                Error::crashed(format!(
                    "{label}: memory limit of {} MiB reached (all linear memories of the \
                     instance together)",
                    limit >> 20
                ))
            } else {
                Error::crashed(format!("{label}: {}{detail}", crate::convert::truncate(first, 1024)))
            }
        }
    }
}
