import alertkit


def test_all_is_sorted_and_complete() -> None:
    public = {name for name in dir(alertkit) if not name.startswith("_")}
    exported = set(alertkit.__all__)
    assert alertkit.__all__ == sorted(alertkit.__all__, key=lambda n: (not n.isupper(), n))
    # Every exported name exists; submodules are the only other public attributes.
    assert exported <= public
    import types

    others = {
        n for n in public - exported if not isinstance(getattr(alertkit, n), types.ModuleType)
    }
    assert others == set()


def test_import_is_light() -> None:
    import subprocess
    import sys

    heavy = "('altair', 'ipywidgets', 'jupyterlab')"
    code = f"import sys, alertkit; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_documented_types_are_exported_at_the_top() -> None:
    from alertkit.live.cycle import CycleResult
    from alertkit.live.monitor import HistoryReplay
    from alertkit.live.transitions import BulkResult
    from alertkit.model.errors import PartialWriteError
    from alertkit.model.status import OPEN_STATUSES, TERMINAL_STATUSES
    from alertkit.policy.escalation import Escalation
    from alertkit.policy.flapping import FlapDetection
    from alertkit.policy.inhibitions import Inhibition
    from alertkit.policy.policies import Policies
    from alertkit.policy.silences import Silence
    from alertkit.policy.snooze import SnoozeRule

    documented = {
        "BulkResult": BulkResult,
        "CycleResult": CycleResult,
        "HistoryReplay": HistoryReplay,
        "PartialWriteError": PartialWriteError,
        "OPEN_STATUSES": OPEN_STATUSES,
        "TERMINAL_STATUSES": TERMINAL_STATUSES,
        "Escalation": Escalation,
        "FlapDetection": FlapDetection,
        "Inhibition": Inhibition,
        "Policies": Policies,
        "Silence": Silence,
        "SnoozeRule": SnoozeRule,
    }
    for name, value in documented.items():
        assert name in alertkit.__all__
        assert getattr(alertkit, name) is value
