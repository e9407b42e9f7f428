//! Symlink policy for the preopened directory: a driver cannot create
//! symlinks. cap-std already refuses to *follow* a link out of the root
//! inside the sandbox, but a link planted there (`l -> ../outside/secret`)
//! would be followed by every other program that serves, backs up or
//! indexes the folder. So `[method]descriptor.symlink-at` is shadowed with a
//! function that answers `not-permitted` and touches nothing. (Hard links
//! need no rule: both ends must already be inside the root.)

use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::filesystem::Descriptor;
use wasmtime_wasi::p2::bindings::filesystem::types::ErrorCode;

/// Shadow `symlink-at` in `linker` (after wasmtime-wasi's own functions).
pub(crate) fn add_to_linker<T: 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let r = linker.instance("wasi:filesystem/types@0.2.12")?.func_wrap(
        "[method]descriptor.symlink-at",
        |_store: wasmtime::StoreContextMut<'_, T>,
         (_fd, _target, _link): (Resource<Descriptor>, String, String)|
         -> wasmtime::Result<(Result<(), ErrorCode>,)> {
            Ok((Err(ErrorCode::NotPermitted),))
        },
    );
    linker.allow_shadowing(false);
    r
}
