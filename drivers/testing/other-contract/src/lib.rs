//! A component that exports a `core` interface of another contract version
//! (`trove:driver@0.1.0`, the one before content headers): the host must
//! refuse it with a clear message that says to rebuild, not trap. Used by
//! the host's tests only.

wit_bindgen::generate!({
    inline: "
        package trove:driver@0.1.0;
        interface core { name: func() -> string; }
        world other { export core; }
    ",
    world: "other",
});

struct Other;
export!(Other);

impl exports::trove::driver::core::Guest for Other {
    fn name() -> String {
        "from the past".into()
    }
}
