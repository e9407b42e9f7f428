"""Errors, free of the WIT bindings.

Every check in this package fails with a `DriverError(tag, message)`, where `tag` is the
name of a case of the WIT `error` variant (`"invalid-argument"`, `"precondition-failed"`,
...). A driver turns it into the bindings' `Err` value at its boundary, most simply with
`translate`:

    from componentize_py_types import Err
    from wit_world.imports import types as t

    WIT = {"invalid-argument": t.Error_InvalidArgument, ...}

    @translate(lambda e: Err(WIT[e.tag](e.message)))
    class Core(exports.Core):
        ...

A driver may raise `DriverError` itself too (bucket-not-found and so on), so that all its
failures take the same way out.
"""

import functools
import inspect
from typing import Callable

OBJECT_NOT_FOUND = "object-not-found"
BUCKET_NOT_FOUND = "bucket-not-found"
BUCKET_EXISTS = "bucket-exists"
BUCKET_NOT_EMPTY = "bucket-not-empty"
INVALID_ARGUMENT = "invalid-argument"
PERMISSION_DENIED = "permission-denied"
PRECONDITION_FAILED = "precondition-failed"
UNSUPPORTED = "unsupported"
UNAVAILABLE = "unavailable"
TIMEOUT = "timeout"
INTERNAL = "internal"

#: Every tag, in the order of the WIT `error` variant.
TAGS = (
    OBJECT_NOT_FOUND,
    BUCKET_NOT_FOUND,
    BUCKET_EXISTS,
    BUCKET_NOT_EMPTY,
    INVALID_ARGUMENT,
    PERMISSION_DENIED,
    PRECONDITION_FAILED,
    UNSUPPORTED,
    UNAVAILABLE,
    TIMEOUT,
    INTERNAL,
)


class DriverError(Exception):
    """A failure of kind `tag` (one of `TAGS`) with a human-readable `message`."""

    def __init__(self, tag: str, message: str):
        if tag not in TAGS:
            raise ValueError(f"unknown error tag {tag!r}")
        super().__init__(tag, message)
        self.tag = tag
        self.message = message

    def __str__(self) -> str:
        return f"{self.tag.replace('-', ' ')}: {self.message}"

    def __repr__(self) -> str:
        return f"DriverError({self.tag!r}, {self.message!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, DriverError) and (self.tag, self.message) == (other.tag, other.message)

    def __hash__(self) -> int:
        return hash((self.tag, self.message))


def invalid_argument(message: str) -> DriverError:
    return DriverError(INVALID_ARGUMENT, message)


def precondition_failed(message: str) -> DriverError:
    return DriverError(PRECONDITION_FAILED, message)


def translate(to_err: Callable[[DriverError], BaseException]):
    """A decorator for a function or a class: a `DriverError` raised inside is raised
    again as `to_err(error)` (e.g. the bindings' `Err`). On a class it wraps every public
    method the class itself defines (not inherited ones, not `_private` or dunder ones)."""

    def wrap(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except DriverError as e:
                raise to_err(e) from None

        return wrapper

    def decorate(target):
        if inspect.isclass(target):
            for name, value in list(vars(target).items()):
                if not name.startswith("_") and inspect.isfunction(value):
                    setattr(target, name, wrap(value))
            return target
        return wrap(target)

    return decorate
