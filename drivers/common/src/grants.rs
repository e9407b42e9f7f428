//! The grants a driver declares: a custom section named `trove:grants`
//! holding JSON, which the host reads before it compiles the component.
//!
//! ```ignore
//! trove_driver_common::declare_grants!(br#"{"http":[["{endpoint}"]]}"#);
//! ```
//!
//! The format (kinds `http`, `dir`, `sftp`, and the templates over the DSN)
//! is in `docs/writing-a-driver.md`, section "Grants". A driver that declares
//! nothing gets nothing; the user must still allow what a driver that is not
//! built in declares (`--allow SCHEME:KIND`).

/// Copies a byte string into an array of its length, at compile time (the
/// custom section's static needs an array, not a slice).
pub const fn section<const N: usize>(json: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = json[i];
        i += 1;
    }
    out
}

/// Declares the driver's grants: `declare_grants!(br#"{...}"#)`, once per
/// driver (two sections make the component invalid for the host).
#[macro_export]
macro_rules! declare_grants {
    ($json:literal) => {
        const TROVE_GRANTS_JSON: &[u8] = $json;
        #[used]
        #[link_section = "trove:grants"]
        static TROVE_GRANTS: [u8; TROVE_GRANTS_JSON.len()] =
            $crate::grants::section(TROVE_GRANTS_JSON);
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_section_is_the_json_bytes() {
        const J: &[u8] = br#"{"dir":"{path}"}"#;
        const S: [u8; J.len()] = super::section(J);
        assert_eq!(&S[..], J);
    }
}
