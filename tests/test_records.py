"""`@record` behaves as `@dataclass(frozen=True, slots=True)`: compared side by side on the same class body."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import pickle
import pkgutil
from dataclasses import dataclass, field
from typing import Any

import pytest

import dabprp
from dabprp.records import record


def make(decorator: Any) -> Any:
    """The same class body under `decorator` (both classes get the qualified name `make.<locals>.Item`)."""

    class Item:
        name: str
        size: int = 3
        tags: tuple[str, ...] = ()
        extra: dict[str, Any] = field(default_factory=dict)
        note: str = field(default="n", compare=False)
        hidden: str = field(default="h", repr=False)
        fixed: str = field(default="f", init=False)
        made: list[int] = field(default_factory=list, init=False)

    return decorator(Item)


def make_point(decorator: Any) -> Any:
    class Point:
        x: int
        y: str = "b"
        note: str = field(default="", compare=False)

    return decorator(Point)


def make_single(decorator: Any) -> Any:
    class Single:
        only: int

    return decorator(Single)


Record = make(record)
Reference = make(dataclass(frozen=True, slots=True))
PointRecord = make_point(record)
PointReference = make_point(dataclass(frozen=True, slots=True))


@record
class Pair:
    left: str
    right: list[int] = field(default_factory=list)


class Documented:
    """A docstring of its own."""

    value: int


def both(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
    return Record(*args, **kwargs), Reference(*args, **kwargs)


def test_construction_defaults_and_factories_are_the_dataclass_ones():
    rec, ref = both("a", tags=("x",))
    assert [getattr(rec, f.name) for f in dataclasses.fields(rec)] == [
        getattr(ref, f.name) for f in dataclasses.fields(ref)] == ["a", 3, ("x",), {}, "n", "h", "f", []]
    assert Record("a").extra is not Record("a").extra  # a fresh value from the factory each time
    assert str(inspect.signature(Record)) == str(inspect.signature(Reference))
    assert Record.__doc__ == Reference.__doc__ == (
        "Item(name: 'str', size: 'int' = 3, tags: 'tuple[str, ...]' = (), extra: 'dict[str, Any]' = <factory>, "
        "note: 'str' = 'n', hidden: 'str' = 'h')")
    assert record(Documented).__doc__ == "A docstring of its own."
    assert Record.__match_args__ == Reference.__match_args__
    assert Record.__slots__ == Reference.__slots__
    for cls in (Record, Reference):
        with pytest.raises(TypeError, match="missing 1 required positional argument: 'name'"):
            cls()
        with pytest.raises(TypeError, match="unexpected keyword argument 'fixed'"):
            cls("a", fixed="g")


def test_equality_hash_and_repr_are_the_dataclass_ones():
    rec, ref = both("a", 1, ("x",), {"k": [1]}, "note", "secret")
    assert repr(rec) == repr(ref) == (
        "make.<locals>.Item(name='a', size=1, tags=('x',), extra={'k': [1]}, note='note', fixed='f', made=[])")
    assert rec == Record("a", 1, ("x",), {"k": [1]}, "other note", "secret")  # `note` is not compared
    assert rec != Record("a", 1, ("x",), {"k": [1]}, "note", "other secret")  # `hidden` is
    assert rec != Record("b", 1, ("x",), {"k": [1]})
    assert rec != ref  # another class, as for two dataclasses
    assert rec.__eq__(ref) is NotImplemented
    with pytest.raises(TypeError, match="unhashable type: 'dict'"):
        hash(rec)
    point, reference_point = PointRecord(1), PointReference(1)
    assert hash(point) == hash(reference_point)  # the same tuple of the compared fields is hashed
    assert len({point, PointRecord(1, note="other"), PointRecord(2)}) == 2
    single, reference_single = make_single(record)(5), make_single(dataclass(frozen=True, slots=True))(5)
    assert hash(single) == hash(reference_single) and repr(single) == repr(reference_single)


def test_a_record_is_frozen_as_a_dataclass_is():
    rec, ref = both("a")
    for obj in (rec, ref):
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'name'"):
            obj.name = "b"
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'size'"):
            del obj.size
    assert rec.name == "a" and rec.size == 3


def test_replace_asdict_pickle_and_copy_work_on_a_record():
    rec = Record("a", 2, ("x",), {"k": 1})
    assert dataclasses.is_dataclass(rec)
    assert dataclasses.replace(rec, size=5) == Record("a", 5, ("x",), {"k": 1})
    assert dataclasses.asdict(rec) == dataclasses.asdict(Reference("a", 2, ("x",), {"k": 1}))
    for clone in (copy.copy(rec), copy.deepcopy(rec)):
        assert clone == rec and clone is not rec and repr(clone) == repr(rec)
    pair = Pair("a", [1])
    assert pickle.loads(pickle.dumps(pair)) == pair  # a worker process sends records back pickled
    with pytest.raises(ValueError, match="init=False"):
        dataclasses.replace(rec, fixed="g")


def test_every_record_of_dabprp_has_the_doc_and_signature_of_its_dataclass():
    """A class without a docstring gets `Name(signature)` as @dataclass writes it (facts_schema tells the two
    apart); every record builds through its generated __init__."""
    records = []
    for info in pkgutil.walk_packages(dabprp.__path__, "dabprp."):
        if info.name.startswith(("dabprp.rehearse", "dabprp.mcp_server", "dabprp.__main__")):
            continue  # optional extras
        module = importlib.import_module(info.name)
        records += [v for v in vars(module).values()
                    if isinstance(v, type) and "_record_fields" in vars(v) and v.__module__ == module.__name__]
    assert len(records) > 100
    for cls in records:
        signature = str(inspect.signature(cls)).replace(" -> None", "")
        if cls.__doc__.startswith(cls.__name__ + "("):
            assert cls.__doc__ == cls.__name__ + signature
        assert cls._record_fields == tuple(f.name for f in dataclasses.fields(cls))
