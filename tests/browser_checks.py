"""Checks the browser tests run on the pages they visit: Content-Security-Policy violations (collected
by the `page` fixture in tests/conftest.py) and axe-core's accessibility rules.

axe-core comes from the axe-playwright-python wheel (PyPI, pinned in pyproject.toml), which ships
axe.min.js; only the file is used. It is evaluated through the DevTools protocol (`page.evaluate`),
which the page's Content-Security-Policy does not govern, so the policy needs no exception for it.
"""

from functools import cache
from pathlib import Path

# Requests the policy blocks on purpose; anything else it blocks fails the test.
EXPECTED_CSP_BLOCKS = {
    # Redoc's "API docs by Redocly" logo comes from the Redocly CDN: the docs load nothing from
    # outside the site, and Redoc hides the image when it fails.
    "https://cdn.redoc.ly/redoc/logo-mini.svg",
}

# Report the violation to the test (a binding the fixture exposes), whatever page caused it.
CSP_LISTENER = """document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation([event.violatedDirective, event.blockedURI || "", event.sourceFile || "",
    String(event.lineNumber), (event.sample || "").slice(0, 80), location.pathname].join(" | "));
});"""


def csp_violation_expected(report: str) -> bool:
    return report.split(" | ")[1] in EXPECTED_CSP_BLOCKS


@cache
def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).with_name("axe.min.js")).read_text(encoding="utf-8")


# Rules held at any impact: every piece of content inside a landmark ("region" is only "moderate").
ALWAYS_CHECKED = {"region", "landmark-one-main", "landmark-no-duplicate-main", "landmark-unique"}


def axe_violations(page, impacts=("serious", "critical")) -> list[str]:
    """axe-core's WCAG 2.x A/AA and best-practice rules on the page as it is now, one line per node."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{rule['id']} ({rule['impact']}): {node['target']} "
        + node.get("failureSummary", "").replace("\n", " ")
        for rule in results["violations"]
        if rule["impact"] in impacts or rule["id"] in ALWAYS_CHECKED
        for node in rule["nodes"]
    ]


def assert_accessible(page) -> None:
    """No serious or critical axe-core violation (nor content outside landmarks) on the current page."""
    found = axe_violations(page)
    assert not found, f"axe-core on {page.url}:\n" + "\n".join(found)


def assert_focused(page, element_id: str, timeout_ms: int = 5000) -> None:
    """The element with this id has the keyboard focus, waiting for it: the browser applies
    `autofocus` and our focus scripts in a rendering step after the load event, which `goto` and
    `wait_for_selector` may return before (a bare check of document.activeElement then races)."""
    page.wait_for_function(
        "id => document.activeElement !== null && document.activeElement.id === id",
        arg=element_id,
        timeout=timeout_ms,
    )
