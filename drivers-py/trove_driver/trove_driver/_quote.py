"""Quoting as Rust's `{:?}` does, so that messages read like the Rust drivers' ones."""

_ESCAPES = {"\t": "\\t", "\r": "\\r", "\n": "\\n", "\\": "\\\\", "\0": "\\0"}


def _char(c: str, quote: str) -> str:
    if c == quote:
        return "\\" + c
    if c in _ESCAPES:
        return _ESCAPES[c]
    n = ord(c)
    # Control characters, and what cannot be printed as is (lone surrogates, line and
    # paragraph separators, the BOM); Rust escapes a few more, this is close enough.
    if n < 0x20 or 0x7F <= n < 0xA0 or 0xD800 <= n < 0xE000 or n in (0x2028, 0x2029, 0xFEFF):
        return f"\\u{{{n:x}}}"
    return c


def debug_str(s: str) -> str:
    """`s` as Rust's `{:?}` writes a `&str`: in double quotes, with escapes."""
    return '"' + "".join(_char(c, '"') for c in s) + '"'


def debug_char(c: str) -> str:
    """`c` as Rust's `{:?}` writes a `char`: in single quotes, with escapes."""
    return "'" + _char(c, "'") + "'"
