"""Preconditions: `if-match` / `if-none-match` for get and put (wit/README.md);
drivers/common/src/conditions.rs.

A condition value is `*` or a comma-separated list of ETags; surrounding quotes and a weak
`W/` marker are ignored, so `"abc"` and `abc` both match the ETag `abc`.
"""

from typing import Optional

from ._quote import debug_str
from .errors import precondition_failed


def matches(value: str, etag: str) -> bool:
    """True when the condition `value` names `etag` (or is `*`)."""
    for item in value.split(","):
        item = item.strip()
        if item == "*":
            return True
        if item.startswith("W/"):
            item = item[2:]
        if len(item) >= 2 and item.startswith('"') and item.endswith('"'):
            item = item[1:-1]
        if item and item == etag:
            return True
    return False


def check_get(if_match: Optional[str], if_none_match: Optional[str], etag: str) -> None:
    """Checks a get against the object's current `etag`: an `if-match` that does not
    match, or an `if-none-match` that does, raises precondition-failed."""
    if if_match is not None and not matches(if_match, etag):
        raise precondition_failed(
            f"if-match {debug_str(if_match)} does not match the current ETag {etag}"
        )
    if if_none_match is not None and matches(if_none_match, etag):
        raise precondition_failed(
            f"if-none-match {debug_str(if_none_match)} matches the current ETag {etag}"
        )


def check_put(
    if_match: Optional[str], if_none_match: Optional[str], current: Optional[str]
) -> None:
    """Checks a put against the ETag of the object it would replace (`None`: no object).
    An `if-none-match` that matches (`*` matches any existing object) fails; `if-match`
    fails when the object is missing or its ETag differs."""
    if if_none_match is not None and current is not None and matches(if_none_match, current):
        if if_none_match.strip() == "*":
            raise precondition_failed('if-none-match "*": the object already exists')
        raise precondition_failed(
            f"if-none-match {debug_str(if_none_match)} matches the current ETag {current}"
        )
    if if_match is not None:
        if current is None:
            raise precondition_failed(f"if-match {debug_str(if_match)}: the object does not exist")
        if not matches(if_match, current):
            raise precondition_failed(
                f"if-match {debug_str(if_match)} does not match the current ETag {current}"
            )
