"""Drawing charts in JupyterLab 4 with no internet access.

altair 6's default renderer loads Vega from a CDN, and JupyterLab 4.6's built-in renderer
knows Vega-Lite 5 only, so neither draws an altair 6 chart offline. Two renderers do:

``"svg"``
    vl-convert renders the chart in the kernel; the notebook gets ``image/svg+xml`` and no
    JavaScript. Static (tooltips and selections do not work), byte-for-byte deterministic, so
    nbval compares it: coordinates are written with :data:`SVG_DECIMALS` decimals (Vega
    writes up to 16, whose last digits follow the CPU's float bits, not the data).
    The drawing is :data:`SVG_WIDTH` px wide plus its axes and legends, and scales to the
    output's width (:func:`fill_width`), so it fills the notebook like a live chart would.
    JupyterLab shows SVG only in trusted output: a committed notebook shows its charts after
    its cells run or after ``jupyter trust notebook.ipynb``.
``"interactive"``
    every chart is shown as an :class:`altair.JupyterChart` widget whose Vega JavaScript
    comes bundled from vl-convert through the kernel instead of a CDN. Tooltips and
    selections work and selections are readable from Python. Widget views are not saved in
    the notebook (nbval does not compare them, and a reopened notebook must be re-run).
"""

from __future__ import annotations

import re
from typing import Any, Final, Literal

import altair as alt
from altair.vegalite.v6.display import svg_renderer as _vl_convert_svg

from alertkit.model.errors import ValidationError

RenderMode = Literal["svg", "interactive"]

SVG_RENDERER: Final = "alertkit_svg"
"""The altair renderer ``enable_offline_rendering("svg")`` enables: altair's ``"svg"``
renderer with coordinates rounded by :func:`round_svg_coordinates`."""

SVG_DECIMALS: Final = 2
"""Decimals kept in SVG coordinates: a hundredth of a pixel."""

SVG_WIDTH: Final = 900
"""Width of a chart's plot drawn as SVG in place of the container's width (a static drawing
has no container): with axes and legend about a JupyterLab output's width at 1280x800 with
the sidebar closed, so text keeps its size there; the SVG then scales to the output's width
(:func:`fill_width`)."""

# Attributes that hold geometry. Text (aria-label, axis labels) and colours (#1e5f7a would
# read as a number) are left alone: their numbers come formatted from the rounded data.
_GEOMETRY = re.compile(
    r"(?<=\s)(d|transform|x|y|x1|x2|y1|y2|cx|cy|r|rx|ry|dx|dy|width|height|viewBox|points"
    r'|stroke-width|stroke-dasharray|stroke-dashoffset|stroke-miterlimit|font-size)="([^"]*)"'
)
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")

EMBED_OPTIONS: Final[dict[str, Any]] = {"renderer": "svg", "actions": False}
"""vega-embed options for widgets: SVG marks (inspectable in the DOM), no export menu (its
"open in editor" link would need the internet)."""


def round_svg_coordinates(svg: str, decimals: int = SVG_DECIMALS) -> str:
    """``svg`` with every number in its geometry attributes rounded to ``decimals``.

    Examples
    --------
    >>> round_svg_coordinates('<g transform="translate(169.9586043761088,64.56817618342309)">')
    '<g transform="translate(169.96,64.57)">'
    >>> round_svg_coordinates('<path d="M0.5,0.5h600v-1e-7A2.739,2.739,0,1,1,-0.001,0" fill="#1e5f7a"/>')
    '<path d="M0.5,0.5h600v0A2.74,2.74,0,1,1,0,0" fill="#1e5f7a"/>'
    """  # noqa: E501

    def number(match: re.Match[str]) -> str:
        text = match.group()
        if "." not in text and "e" not in text and "E" not in text:
            return text
        short = f"{float(text):.{decimals}f}".rstrip("0").rstrip(".")
        short = "0" if short == "-0" else short
        # In "2.999.5" the second number starts at its point: "3" then "0.5" would read 30.5.
        if "." not in short and match.string.startswith(".", match.end()):
            short += ".0"
        return short

    def attribute(match: re.Match[str]) -> str:
        return f'{match[1]}="{_NUMBER.sub(number, match[2])}"'

    return _GEOMETRY.sub(attribute, svg)


def fixed_width(spec: Any, width: int = SVG_WIDTH) -> Any:
    """``spec`` with every ``"width": "container"`` (any depth) replaced by ``width``.

    >>> fixed_width({"width": "container", "vconcat": [{"width": "container", "mark": "bar"}]})
    {'width': 900, 'vconcat': [{'width': 900, 'mark': 'bar'}]}
    """
    if isinstance(spec, dict):
        return {
            k: width if k == "width" and v == "container" else fixed_width(v, width)
            for k, v in spec.items()
        }
    if isinstance(spec, list):
        return [fixed_width(v, width) for v in spec]
    return spec


_ROOT = re.compile(r"<svg\b[^>]*>")
_ROOT_SIZE = re.compile(r'\s(width|height)="([^"]*)"')


def fill_width(svg: str) -> str:
    """``svg`` whose root takes its container's width, its height following from the viewBox
    (JupyterLab shows SVG output as an ``<img>``, which then fills the output area).

    >>> fill_width('<svg class="marks" width="1010" height="587" viewBox="0 0 1010 587"><g/></svg>')
    '<svg width="100%" class="marks" viewBox="0 0 1010 587"><g/></svg>'
    >>> fill_width('<svg width="10" height="5"></svg>')
    '<svg width="100%" viewBox="0 0 10 5"></svg>'
    """

    def root(match: re.Match[str]) -> str:
        tag = match.group()
        size = dict(_ROOT_SIZE.findall(tag))
        if "width" not in size or "height" not in size:
            return tag
        tag = _ROOT_SIZE.sub("", tag)
        if "viewBox=" not in tag:
            tag = tag[:-1] + f' viewBox="0 0 {size["width"]} {size["height"]}">'
        return tag.replace("<svg", '<svg width="100%"', 1)

    return _ROOT.sub(root, svg, count=1)


def _svg_renderer(spec: dict[str, Any], **metadata: Any) -> dict[str, str]:
    bundle = _vl_convert_svg(fixed_width(spec), **metadata)
    return {
        mime: fill_width(round_svg_coordinates(data)) if mime == "image/svg+xml" else data
        for mime, data in bundle.items()
    }


INTERACTIVE_RENDERER: Final = "alertkit_interactive"


class ContainerChart(alt.JupyterChart):
    """An offline :class:`altair.JupyterChart` whose chart fills the output's width.

    Charts here are ``width="container"``; vega-embed's element is an inline block, which
    has no width of its own to give, so the chart would collapse to nothing.
    """

    _css = alt.JupyterChart._css + "\n.vega-embed { display: block; width: 100%; }\n"


def _interactive_renderer(spec: dict[str, Any], **metadata: Any) -> Any:
    # What altair's own "jupyter" renderer does, with the chart class that fills the width.
    alt.JupyterChart.enable_offline()
    chart = ContainerChart(alt.Chart.from_dict(spec), embed_options=EMBED_OPTIONS)
    return chart._repr_mimebundle_()


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
    'alertkit_svg'
    >>> _ = alt.renderers.enable("default")
    """
    if mode == "svg":
        alt.renderers.register(SVG_RENDERER, _svg_renderer)
        alt.renderers.enable(SVG_RENDERER)
    elif mode == "interactive":
        alt.renderers.register(INTERACTIVE_RENDERER, _interactive_renderer)
        alt.renderers.enable(INTERACTIVE_RENDERER)
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
    return ContainerChart(chart, **kwargs)
