"""One manager surface: the async adapter offers exactly the core's operations.

`AlertManager` is a strict mirror of `SyncAlertManager` (issue 19): every public operation of
one exists on the other with the same parameters (names, kinds, defaults), the I/O ones as
coroutines. A method added to one and not the other fails here, so the two cannot drift.
"""

from __future__ import annotations

import inspect

from alertkit import AlertManager, SyncAlertManager

# Not operations: the core's collaborators, and the adapter's way to wrap a core.
CORE_ONLY = {"store", "clock", "notifications", "peaks", "maintain_every", "log_store", "delivery"}
ADAPTER_ONLY = {"sync", "around"}
# Cheap, no I/O: the same plain (not async) member on both.
PLAIN = {"path", "scan_alerts", "add_handler", "remove_handler", "handler_failures"}
PLAIN |= {"set_policies"}


def public(cls: type) -> dict[str, object]:
    """Public members, those of mixins included (the core's notification half)."""
    members: dict[str, object] = {}
    for klass in reversed(cls.__mro__[:-1]):  # object's are nobody's operations
        members.update((n, m) for n, m in vars(klass).items() if not n.startswith("_"))
    return members


def test_the_two_managers_offer_the_same_operations() -> None:
    core, adapter = public(SyncAlertManager), public(AlertManager)
    assert set(core) - CORE_ONLY == set(adapter) - ADAPTER_ONLY
    assert "read_board" in core and "board" not in core  # a name that says it returns a frame


def test_each_operation_takes_the_same_parameters() -> None:
    core, adapter = public(SyncAlertManager), public(AlertManager)
    for name in set(core) - CORE_ONLY:
        mine, theirs = core[name], adapter[name]
        if isinstance(mine, property):
            assert isinstance(theirs, property), name
            continue
        assert callable(mine) and callable(theirs), name
        assert list(inspect.signature(mine).parameters.values()) == list(
            inspect.signature(theirs).parameters.values()
        ), name
        assert inspect.iscoroutinefunction(theirs) is (name not in PLAIN), name
        assert not inspect.iscoroutinefunction(mine), name
