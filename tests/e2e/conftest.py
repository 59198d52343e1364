"""Browser tests: Playwright (sync API) driving Debian's Chromium against live_server.

Chromium is ``/usr/bin/chromium`` (``RENKOU_CHROMIUM`` overrides the path). Without it the tests
skip, or fail under ``RENKOU_REQUIRE_ALL=1``. Pages are shown on a phone-sized viewport
(375×740) with a Chinese browser (``Accept-Language: zh-CN``). Screenshots go to
``tests/e2e/artifacts/`` (git-ignored), including one of the page of any failed test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need

CHROMIUM = Path(os.environ.get("RENKOU_CHROMIUM", "/usr/bin/chromium"))
# The machine has no internet: without these flags Chromium keeps trying to reach Google.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 740}
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TIMEOUT_MS = 10_000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item so that ``page`` can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Chromium for all browser tests of this package."""
    need(CHROMIUM.exists(), f"needs Chromium at {CHROMIUM}: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev requirements install it
        need(False, "needs the playwright Python package (requirements/dev.txt)")
    # Playwright's sync API keeps an asyncio loop running in the main thread, where the tests
    # also use the ORM (fixtures, expected numbers): Django would refuse that as "async".
    # The live server answers in its own thread, so this is safe; restored afterwards so
    # that later test modules keep Django's check.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def artifacts() -> Path:
    """The directory for screenshots (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def page(
    request: pytest.FixtureRequest, browser: Any, live_server: Any, artifacts: Path
) -> Iterator[Any]:
    """A fresh phone-sized page (own cookies) of a Chinese-speaking user.

    After a passing test, checks that the page raised no JavaScript error, that no stylesheet
    or script failed to load, and that nothing was fetched from outside the app (offices run
    on intranets).
    """
    failure_shot = artifacts / f"FAILED-{request.node.name}.png"
    failure_shot.unlink(missing_ok=True)
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"JavaScript error: {exc}"))
    page.on(
        "response",
        lambda r: (
            problems.append(f"HTTP {r.status} for {r.url}")
            if r.status >= 400
            and r.request.resource_type in {"stylesheet", "script", "image", "font"}
            else None
        ),
    )
    page.on(
        "request",
        lambda r: (
            problems.append(f"request outside the app: {r.url}")
            if not r.url.startswith((live_server.url, "data:", "about:"))
            else None
        ),
    )
    yield page
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        page.screenshot(path=failure_shot, full_page=True)
    context.close()
    if failed is not None and failed.passed:
        assert not problems, "\n".join(problems)
