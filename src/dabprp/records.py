"""`@record`: a frozen, slotted dataclass that costs one compiled function to define instead of six.

`@dataclass(frozen=True, slots=True)` compiles `__init__`, `__eq__`, `__hash__`, `__repr__`, `__setattr__` and
`__delattr__` anew for every class; for dabprp's ~140 fact and plan records that was a large part of every
command's start-up. A record compiles only its `__init__`; the other methods are shared functions that read the
class's field names. It constructs, compares, hashes, prints, pickles and refuses assignment exactly as the
frozen dataclass does, and `dataclasses.fields`, `replace` and `asdict` work on it."""

from __future__ import annotations

import dataclasses
import inspect
import reprlib
from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar

T = TypeVar("T")

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:  # the decorator only tells type checkers that a record is a frozen dataclass

    def dataclass_transform(**_: Any) -> Callable[[T], T]:
        return lambda fn: fn


class _Factory:
    def __repr__(self) -> str:
        return "<factory>"  # as in the signature @dataclass writes into a class without a docstring


_FACTORY = _Factory()
_PLACEHOLDER_DOC = "record"


def _getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of these attributes (as the generated methods build it)."""
    if not names:
        return lambda _: ()
    if len(names) == 1:
        single = attrgetter(names[0])
        return lambda obj: (single(obj),)
    return attrgetter(*names)


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        key = self._record_compare
        return key(self) == key(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self._record_hash(self))


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    return (f"{self.__class__.__qualname__}("
            + ", ".join(f"{name}={getattr(self, name)!r}" for name in self._record_repr) + ")")


def _setattr(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, name) for name in self._record_fields]


def _setstate(self: Any, state: list[Any]) -> None:
    for name, value in zip(self._record_fields, state, strict=False):
        object.__setattr__(self, name, value)


def _init(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> tuple[Callable[..., None], str]:
    """The `__init__` @dataclass would write for a frozen class (same parameters, defaults and annotations),
    and its signature text."""
    names: dict[str, Any] = {"_record_set": object.__setattr__, "_FACTORY": _FACTORY}
    params, shown, body = ["_record_self"], [], []
    for f in fields:
        default = f"_record_default_{f.name}"
        if f.default_factory is not dataclasses.MISSING:
            names[default] = f.default_factory
            value = f"{default}() if {f.name} is _FACTORY else {f.name}" if f.init else f"{default}()"
            shown_default: Any = _FACTORY
        elif f.default is not dataclasses.MISSING:
            names[default] = f.default
            value = f.name if f.init else default
            shown_default = f.default
        elif f.init:
            value, shown_default = f.name, inspect.Parameter.empty
        else:
            continue
        body.append(f"_record_set(_record_self, {f.name!r}, {value})")
        if f.init:
            names[f"_record_type_{f.name}"] = f.type
            param = f"{f.name}: _record_type_{f.name}"
            text = f"{f.name}: {inspect.formatannotation(f.type)}"
            if shown_default is not inspect.Parameter.empty:
                param += f" = {'_FACTORY' if shown_default is _FACTORY else default}"
                text += f" = {shown_default!r}"
            params.append(param)
            shown.append(text)
    source = f"def __init__({', '.join(params)}) -> None:\n    " + "\n    ".join(body or ["pass"])
    # compiled without this module's `from __future__ import annotations`, as @dataclass compiles it
    exec(compile(source, f"<record {cls.__qualname__}>", "exec", dont_inherit=True), names)
    function = names["__init__"]
    function.__qualname__ = f"{cls.__qualname__}.__init__"
    function.__module__ = cls.__module__
    return function, f"({', '.join(shown)})"


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: type[T]) -> type[T]:
    """`@dataclass(frozen=True, slots=True)`, defined with one compiled function (see the module docstring)."""
    if "__post_init__" in vars(cls):
        raise TypeError(f"{cls.__name__}: a record has no __post_init__")
    documented = bool(cls.__doc__)
    if not documented:  # @dataclass would call inspect.signature for it: the text is written below
        cls.__doc__ = _PLACEHOLDER_DOC
    made: Any = dataclasses.dataclass(slots=True, init=False, eq=False, repr=False)(cls)
    fields = dataclasses.fields(made)
    if any(f.kw_only for f in fields):
        raise TypeError(f"{cls.__name__}: a record has no keyword-only fields")
    own = dict(vars(made))
    if "__init__" in own:
        raise TypeError(f"{cls.__name__}: a record writes its own __init__")
    made.__init__, signature = _init(made, fields)
    if not documented:
        made.__doc__ = made.__name__ + signature
    made._record_fields = tuple(f.name for f in fields)
    # static: a function read from the class through an instance would otherwise be bound to it
    made._record_compare = staticmethod(_getter([f.name for f in fields if f.compare]))
    made._record_hash = staticmethod(_getter([f.name for f in fields if (f.compare if f.hash is None else f.hash)]))
    made._record_repr = tuple(f.name for f in fields if f.repr)
    # as @dataclass: a method the class defines stays (a __hash__ of None only with its own __eq__)
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    for name, function in (("__eq__", _eq), ("__hash__", _hash), ("__repr__", _repr),
                           ("__setattr__", _setattr), ("__delattr__", _delattr),
                           ("__getstate__", _getstate), ("__setstate__", _setstate)):
        if name not in own or (name == "__hash__" and not explicit_hash):
            setattr(made, name, function)
    return made
