//! A component that exports a `core` interface of a different contract
//! version (`trove:driver@0.2.0`): the host must refuse it with a clear
//! message, not trap. Used by the host's tests only.

wit_bindgen::generate!({
    inline: "
        package trove:driver@0.2.0;
        interface core { name: func() -> string; }
        world other { export core; }
    ",
    world: "other",
});

struct Other;
export!(Other);

impl exports::trove::driver::core::Guest for Other {
    fn name() -> String {
        "from the future".into()
    }
}
