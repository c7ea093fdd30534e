"""Drawing charts in JupyterLab 4 with no internet access.

altair 6's default renderer loads Vega from a CDN, and JupyterLab 4.6's built-in renderer
knows Vega-Lite 5 only, so neither draws an altair 6 chart offline. Two renderers do:

``"svg"``
    vl-convert renders the chart in the kernel; the notebook gets ``image/svg+xml`` and no
    JavaScript. Static (tooltips and selections do not work), byte-for-byte deterministic, so
    nbval compares it. JupyterLab shows SVG only in trusted output: a committed notebook
    shows its charts after its cells run or after ``jupyter trust notebook.ipynb``.
``"interactive"``
    every chart is shown as an :class:`altair.JupyterChart` widget whose Vega JavaScript
    comes bundled from vl-convert through the kernel instead of a CDN. Tooltips and
    selections work and selections are readable from Python. Widget views are not saved in
    the notebook (nbval does not compare them, and a reopened notebook must be re-run).
"""

from __future__ import annotations

from typing import Any, Final, Literal

import altair as alt

from alertkit.errors import ValidationError

RenderMode = Literal["svg", "interactive"]

EMBED_OPTIONS: Final[dict[str, Any]] = {"renderer": "svg", "actions": False}
"""vega-embed options for widgets: SVG marks (inspectable in the DOM), no export menu (its
"open in editor" link would need the internet)."""


def enable_offline_rendering(mode: RenderMode = "svg") -> None:
    """Make every altair chart displayed from now on draw without internet access.

    Parameters
    ----------
    mode
        ``"svg"`` (default: static, deterministic, compared by nbval) or ``"interactive"``
        (JupyterChart widgets with tooltips and selections); see the module docstring.

    Examples
    --------
    >>> import altair as alt
    >>> enable_offline_rendering("svg")
    >>> alt.renderers.active
    'svg'
    >>> _ = alt.renderers.enable("default")
    """
    if mode == "svg":
        alt.renderers.enable("svg")
    elif mode == "interactive":
        alt.renderers.enable("jupyter", offline=True, embed_options=EMBED_OPTIONS)
    else:
        raise ValidationError(f"mode: expected 'svg' or 'interactive', got {mode!r}")


def interactive_chart(chart: alt.TopLevelSpec, **kwargs: Any) -> alt.JupyterChart:
    """Wrap ``chart`` in an offline :class:`altair.JupyterChart`, whatever the active renderer.

    Use this for a chart whose selections Python should read, e.g.
    ``alerts_by_rule(alerts, select=True)``: ``jchart.selections.pick.value`` then holds the
    picked (rule, severity) pairs, and ``jchart.selections.observe(callback, ["pick"])``
    reports each change.

    Examples
    --------
    >>> import polars as pl
    >>> from alertkit.charts import alerts_by_rule
    >>> chart = alerts_by_rule(pl.DataFrame({"rule": ["a"], "severity": ["low"]}), select=True)
    >>> interactive_chart(chart).selections.pick.value
    []
    """
    alt.JupyterChart.enable_offline()
    kwargs.setdefault("embed_options", EMBED_OPTIONS)
    return alt.JupyterChart(chart, **kwargs)
