"""axe-core in the page: what it finds that blocks someone, in both colour schemes.

The script is the one axe-playwright-python bundles, so the check needs no network. It runs
under the dashboard's Content-Security-Policy (Playwright evaluates it through the DevTools
protocol, which the policy does not cover; no `bypass_csp`).
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

BLOCKING_IMPACTS = {"serious", "critical"}
# Rated moderate or minor by axe, but each leaves a page without a way in for some readers.
ALSO_BLOCKING_RULES = {"page-has-heading-one", "empty-table-header", "label", "link-name"}
SCHEMES = ("light", "dark")

AXE_SCRIPT = Axe().axe_script


def violations(page: Page) -> list[dict]:
    """What axe-core finds that blocks someone, in the colour scheme the page shows now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        violation
        for violation in results["violations"]
        if violation["impact"] in BLOCKING_IMPACTS or violation["id"] in ALSO_BLOCKING_RULES
    ]


def describe(found: list[dict]) -> str:
    """Each rule broken, with the first elements that break it and why."""
    lines = []
    for violation in found:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:8]:
            lines.append(f"    {' '.join(map(str, node['target']))}")
            lines.append(f"      {node['failureSummary'].splitlines()[-1].strip()}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    ... and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


def assert_accessible(page: Page, name: str) -> None:
    """The page as it is now passes axe-core in the light and in the dark colour scheme (the
    page's `prefers-color-scheme`, switched in place so nothing is loaded twice)."""
    report = []
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        dark = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
        assert dark == (scheme == "dark"), "the colour scheme did not switch"
        found = violations(page)
        if found:
            report.append(f"{name}, {scheme} scheme, {page.url}:\n{describe(found)}")
    if report:
        pytest.fail("\n".join(report), pytrace=False)
