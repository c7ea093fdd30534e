"""Print an ``NPY_DISABLE_CPU_FEATURES`` value that switches off this CPU's highest SIMD targets.

``make test`` runs the notebooks a second time with it, so that their committed outputs,
recorded on some CPU, are checked against numbers made by other numpy kernels than this
CPU's best ones (AVX-512 ``exp``/``log`` give other last bits than AVX2 and libm): the
stand-in for a colleague's laptop or another CI runner.

numpy runs each kernel on the best of its dispatch targets (``__cpu_dispatch__``, lowest
first) that the CPU has. Switched off: every such target the CPU has except the lowest, or
that one when it is the only one (numpy then runs its baseline kernels). Only names from
``__cpu_dispatch__`` are printed: numpy refuses to disable any other with an ImportWarning.

Examples
--------
>>> dispatch = ["X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"]
>>> to_disable(dispatch, {"X86_V3", "X86_V4", "AVX512_ICL"})  # Ice Lake and later
['X86_V4', 'AVX512_ICL']
>>> to_disable(dispatch, {"X86_V3"})  # AVX2, no AVX-512
['X86_V3']
>>> to_disable(dispatch, set())
[]
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Collection, Sequence


def to_disable(dispatch: Sequence[str], available: Collection[str]) -> list[str]:
    """The targets to switch off, in numpy's order."""
    present = [target for target in dispatch if target in available]
    return present[1:] or present


def for_this_cpu() -> str:
    """The ``NPY_DISABLE_CPU_FEATURES`` value for the CPU (and numpy) this process runs on."""
    # Where numpy.show_runtime() reads them; the module has no type stubs.
    umath = importlib.import_module("numpy._core._multiarray_umath")
    features: dict[str, bool] = umath.__cpu_features__
    dispatch: list[str] = umath.__cpu_dispatch__
    return " ".join(to_disable(dispatch, {name for name, on in features.items() if on}))


def main() -> None:
    value = for_this_cpu()
    if not value:
        print("reduced_simd: numpy dispatches no SIMD target on this CPU", file=sys.stderr)
    print(value)


if __name__ == "__main__":
    main()
