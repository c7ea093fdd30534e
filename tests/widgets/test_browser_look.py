"""What a trader sees of the board at 1280x800, in JupyterLab and Chromium (issue 22).

One notebook with a board over 130 open alerts of a realistic mix (every long trigger id,
``acknowledged``, ``immediate``, ages up to a year, an assignee, 1,234 firings) and the
alerts-by-rule chart it follows. Checked in the browser: no header or cell of the default
view (nor of a 100-row page) is cut; the detail panel takes no room until a row is opened and
its labels never wrap; the date fields show ISO dates; group rows are neutral; at 100 rows a
page the action bars and the table's header stay in view at the foot of the board; a chart
click shows a removable chip. Screenshots in ``test-artifacts/``: ``board_default.png``,
``board_detail.png``, ``board_grouped.png``, ``board_100_rows.png``,
``board_chart_filtered.png``. Skips without Chromium, as ``test_browser.py`` does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nbformat
import pytest
from test_browser import (  # noqa: F401  # the JupyterLab and Chromium fixtures
    ARTIFACTS,
    CHROMIUM_ARGS,
    VIEWPORT,
    chromium,
    lab,
    run_notebook,
)

from alertkit import Alert, SyncAlertManager

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
# (trigger id, engine rule's action, severity, type): the twelve rules' longest trigger ids
KINDS = [
    ("take_profit_partial", "Reduce position", "normal", "info"),
    ("take_profit_full", "Close position", "normal", "warning"),
    ("stop_loss_accelerated", "Close position", "immediate", "critical"),
    ("delta_risk_portfolio", "Close position", "high", "warning"),
    ("catastrophe_iv_spike", "Close position", "immediate", "critical"),
    ("dte_roll", "Roll position", "normal", "info"),
    ("iv_percentile_exit", "Close position", "normal", "warning"),
    ("vix_level", "Close position", "high", "warning"),
]
ALERTS = 130


def mixed_alerts() -> list[Alert]:
    alerts = []
    for i in range(ALERTS):
        rule, action, severity, kind = KINDS[i % len(KINDS)]
        created = NOW - timedelta(minutes=3 * 1.095**i)  # 3 min to about a year
        acked = i % 5 == 1
        alerts.append(
            Alert(
                alert_id=f"look-{i:03d}",
                type=kind,
                severity=severity,
                status="acknowledged" if acked else "active",
                title=f"{action}: {rule}",
                message=f"upl_pct 0.{50 + i % 40} crossed the {rule} threshold",
                rule=rule,
                symbol=("SPY", "QQQ", "IWM")[i % 3],
                strategy_id=1 + (i * 37) % 160,
                metadata={"i": i},
                created_at=created,
                acknowledged_at=created + timedelta(minutes=1) if acked else None,
                occurrences=1234 if i == 3 else 1 + i % 7,
                last_seen_at=created,
                assignee="alice" if i % 9 == 2 else None,
            )
        )
    return alerts


@pytest.fixture
def look_lake(tmp_path: Path) -> str:
    manager = SyncAlertManager(tmp_path / "look" / "alerts", maintain_every=0)
    manager.initialize()
    manager.insert_alerts(mixed_alerts())
    return manager.path


# Every header and cell of the table whose content is wider than its box (cut), and every
# cell of a one-line column drawn on more than one line (squeezed until it wrapped).
CUT = """() => {
  const out = [];
  for (const c of document.querySelectorAll('.alertkit-table th, .alertkit-table td')) {
    if (c.offsetParent === null) continue;  // hidden (a column the detail panel took)
    const parts = [c, ...c.querySelectorAll('.alertkit-cell-main, .alertkit-cell-sub')];
    for (const n of parts) {
      if (n.scrollWidth > n.clientWidth) out.push(`${c.dataset.col}: ${c.textContent}`);
    }
    const oneLine = c.tagName === 'TH' || !['title', 'symbol', 'rule', 'assignee']
      .includes(c.dataset.col);
    const main = c.querySelector('.alertkit-cell-main') || c;
    const line = parseFloat(getComputedStyle(main).lineHeight) || 16;
    if (oneLine && c.dataset.col && main.getBoundingClientRect().height > 1.6 * line) {
      out.push(`${c.dataset.col} wraps: ${c.textContent}`);
    }
  }
  return out;
}"""


def test_the_board_at_1280x800(
    chromium: str,  # noqa: F811  # the fixture imported above
    look_lake: str,
    lab: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    setup = f"""\
from datetime import UTC, datetime
from alertkit import SyncAlertManager
from alertkit.widgets import TriageBoard

manager = SyncAlertManager({look_lake!r}, clock=lambda: datetime(2026, 11, 23, 15, tzinfo=UTC))
board = TriageBoard(manager, user="look")
board"""
    chart = (
        "from alertkit.charts import alerts_by_rule, interactive_chart\n"
        "chart = interactive_chart(alerts_by_rule(manager.read_board(), select=True))\n"
        "board.follow_chart(chart)\n"
        "chart"
    )
    cells = [nbformat.v4.new_code_cell(setup), nbformat.v4.new_code_cell(chart)]
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    book = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": kernel})
    nbformat.write(book, tmp_path / "root" / "look.ipynb")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        try:
            run_notebook(page, f"{lab}/lab/tree/look.ipynb")
            rows = page.locator(".alertkit-board .alertkit-row")
            expect(rows).to_have_count(25, timeout=10_000)
            board = page.locator(".alertkit-board").first
            board.evaluate("node => node.scrollIntoView()")
            check_default_view(page)
            page.screenshot(path=ARTIFACTS / "board_default.png")
            check_detail(page)
            page.screenshot(path=ARTIFACTS / "board_detail.png")
            page.locator(".alertkit-close-detail").click()
            expect(page.locator(".alertkit-detail-panel")).to_be_hidden()
            check_groups(page)
            board.evaluate("node => node.scrollIntoView()")
            page.screenshot(path=ARTIFACTS / "board_grouped.png")
            page.locator(".alertkit-group-by select").select_option(label="nothing")
            check_hundred_rows(page)
            page.screenshot(path=ARTIFACTS / "board_100_rows.png")
            check_chart_chip(page)
        except BaseException:
            page.screenshot(path=ARTIFACTS / "board_look_failed.png")
            raise
        finally:
            browser.close()


def check_default_view(page: Any) -> None:
    from playwright.sync_api import expect

    assert page.evaluate(CUT) == []
    # The detail panel takes no room until a row is opened: the table has the board's width.
    panel = page.locator(".alertkit-detail-panel")
    expect(panel).to_be_hidden()
    widths = page.evaluate(
        """() => [document.querySelector('.alertkit-main').clientWidth,
                  document.querySelector('.alertkit-table').offsetWidth]"""
    )
    assert widths[1] >= widths[0] - 2, widths
    # ISO dates in the date fields, whatever the browser's locale (en-US here).
    created = page.locator(".alertkit-filter-created-from input")
    assert created.get_attribute("type") == "text"
    assert created.get_attribute("placeholder") == "YYYY-MM-DD"
    created.fill("2026-11-20")
    created.press("Enter")
    expect(page.locator(".alertkit-range")).to_have_text(re.compile(r"^1\u201325 of \d+ alerts$"))
    expect(created).to_have_value("2026-11-20")
    created.fill("11/20/2026")
    created.press("Enter")
    expect(page.locator(".alertkit-status-line")).to_contain_text(
        "created date: expected YYYY-MM-DD, got '11/20/2026'"
    )
    created.fill("")
    created.press("Enter")
    expect(page.locator(".alertkit-range")).to_have_text(f"1\u201325 of {ALERTS} alerts")
    # Red for what needs action now: "Open immediate" is red above 0, plain at 0.
    red = "rgb(211, 47, 47)"  # JupyterLab's --jp-error-color1
    figure = page.locator(".alertkit-count-open-immediate .alertkit-count-value")
    expect(figure).to_have_css("color", red)
    page.locator(".alertkit-filter-severity select").select_option("normal")
    expect(figure).to_have_text("0")
    expect(figure).not_to_have_css("color", red)
    page.locator(".alertkit-filter-severity select").select_option(label="any")
    expect(page.locator(".alertkit-range")).to_have_text(f"1\u201325 of {ALERTS} alerts")


def check_detail(page: Any) -> None:
    from playwright.sync_api import expect

    page.locator('.alertkit-row[data-alert-id="look-001"] td[data-col="rule"]').click()
    panel = page.locator(".alertkit-detail-panel")
    expect(panel.locator(".alertkit-field-alert_id")).to_have_text("look-001")
    box = panel.bounding_box()
    assert box is not None and 280 <= box["width"] <= 320
    # The labels' column fits the longest label: no label breaks ("acknowledge" / "d_at").
    lines = panel.locator(".alertkit-fields th").evaluate_all(
        """ths => ths.map((th) => {
            const range = document.createRange();
            range.selectNodeContents(th);
            const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
            return [th.textContent, tops.size];
        })"""
    )
    assert [name for name, n in lines if n != 1] == []
    assert "acknowledged_at" in [name for name, _ in lines]
    # The table gave the panel the room of the columns the panel repeats; nothing is cut.
    expect(page.locator('.alertkit-table th[data-col="last_seen_at"]')).to_be_hidden()
    assert page.evaluate(CUT) == []


def check_groups(page: Any) -> None:
    from playwright.sync_api import expect

    page.locator(".alertkit-group-by select").select_option("rule")
    groups = page.locator(".alertkit-group")
    expect(groups).to_have_count(len(KINDS))
    looks = groups.evaluate_all(
        """rows => rows.map((r) => [r.dataset.groupKey, r.dataset.accent || '',
            getComputedStyle(r).backgroundColor, getComputedStyle(r).color])"""
    )
    accented = {key for key, accent, _, _ in looks if accent}
    assert accented == {"stop_loss_accelerated", "catastrophe_iv_spike"}
    for key, _, background, color in looks:
        red, green, blue = map(int, re.findall(r"\d+", background)[:3])
        assert red == green == blue, (key, background)  # a grey, not a red strip
        assert color != "rgb(255, 255, 255)", key
    groups.first.click()  # expanded: its overdue immediate alerts' ages are red
    expect(page.locator(".alertkit-row.alertkit-member").first).to_be_visible()
    assert page.evaluate(CUT) == []  # the group's alerts too (indented)


def check_hundred_rows(page: Any) -> None:
    from playwright.sync_api import expect

    page.locator(".alertkit-page-size").select_option("100")
    expect(page.locator(".alertkit-board .alertkit-row")).to_have_count(100)
    assert page.evaluate(CUT) == []
    # Old alerts' ages are coloured only when nobody has them and they are past their window.
    ages = page.locator('.alertkit-row td[data-col="created_at"]').evaluate_all(
        "tds => tds.map((td) => [td.closest('tr').dataset.status, td.dataset.age || ''])"
    )
    assert {age for status, age in ages if status == "acknowledged"} == {""}
    assert {age for _, age in ages} == {"", "late", "overdue"}
    # To the foot of the board (the chart's cell follows it).
    page.locator(".alertkit-board").first.evaluate("n => n.scrollIntoView({ block: 'end' })")
    last = page.locator(".alertkit-board .alertkit-row").last
    expect(last).to_be_in_viewport()
    for selector in (
        "button.alertkit-acknowledge",
        "button.alertkit-dismiss",
        ".alertkit-snooze",
        '.alertkit-table th[data-col="rule"]',
        ".alertkit-pager .alertkit-page-size",
    ):
        box = page.locator(selector).first.evaluate(
            "n => { const r = n.getBoundingClientRect(); return [r.top, r.bottom]; }"
        )
        assert box[0] >= 0 and box[1] <= VIEWPORT["height"], (selector, box)
    # The header sits under the action bars, not under them hidden.
    bars = page.locator(".alertkit-policy-actions").evaluate(
        "n => n.getBoundingClientRect().bottom"
    )
    header = page.locator('.alertkit-table th[data-col="rule"]').evaluate(
        "n => n.getBoundingClientRect().top"
    )
    assert header >= bars - 1


def check_chart_chip(page: Any) -> None:
    from playwright.sync_api import expect

    chip = page.locator(".alertkit-chart-chip")
    expect(chip).to_be_hidden()
    bar = page.locator('.vega-embed path[aria-label*="take_profit_full"]').first
    bar.scroll_into_view_if_needed()
    bar.click()
    expect(chip).to_be_visible(timeout=10_000)
    expect(chip).to_have_text("chart: rule = take_profit_full, severity = normal \u00d7")
    range_text = page.locator(".alertkit-range")
    expect(range_text).to_have_text(re.compile(r"^1\u2013\d+ of \d+ alerts$"))
    shown = set(page.locator('.alertkit-row td[data-col="rule"]').all_text_contents())
    assert shown == {"take_profit_full"}
    page.locator(".alertkit-board").first.evaluate("node => node.scrollIntoView()")
    page.screenshot(path=ARTIFACTS / "board_chart_filtered.png")
    chip.click()
    expect(chip).to_be_hidden()
    expect(range_text).to_have_text(f"1\u2013100 of {ALERTS} alerts")
