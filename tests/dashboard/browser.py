"""Driving the real dashboard in a real browser: a ``streamlit run`` server on a free port, Debian's
Chromium through Playwright, and the waits that say a page has finished rendering.

Shared by the browser tests and ``bench/bench_dashboard_pages.py``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "app.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
_PIDS: dict[str, int] = {}


def server_pid(base: str) -> int:
    """The process id of the server serving ``base`` (for memory figures)."""
    return _PIDS[base]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(*, env: dict[str, str] | None = None, port: int | None = None) -> Iterator[str]:
    """Serve the dashboard as ``ilp dashboard`` does (from the repository root, so ``.streamlit/`` applies)
    and yield its base URL once its health check answers; stop it afterwards."""
    port = port or free_port()
    log = ARTIFACTS / f"streamlit-{port}.log"
    ARTIFACTS.mkdir(exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"streamlit exited with {process.returncode}; see {log}")
                with (
                    contextlib.suppress(OSError),
                    urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer,
                ):
                    if answer.read().strip() == b"ok":
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not become healthy in 60 s; see {log}")
                time.sleep(0.3)
            _PIDS[base] = process.pid
            yield base
        finally:
            _PIDS.pop(base, None)
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_ready(page: Any, *, timeout: float = 90_000) -> None:
    """The script has run to its end and every Plotly chart on the page has drawn its SVG."""
    page.wait_for_selector(READY, timeout=timeout)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stSkeleton"], [data-testid="stSkeletonElement"]')
                 && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                    .every(c => c.querySelector('.main-svg'))""",
        timeout=timeout,
    )


def wait_for_title(page: Any, title: str, *, timeout: float = 90_000) -> None:
    page.locator("h1", has_text=title).first.wait_for(timeout=timeout)
    wait_ready(page, timeout=timeout)


def sign_in(page: Any, base: str, *, organisation: str, email: str, password: str, path: str = "") -> None:
    page.goto(f"{base}/{path}")
    page.get_by_role("textbox", name="Organisation").wait_for()
    page.get_by_role("textbox", name="Organisation").fill(organisation)
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.locator('[data-testid="stSidebarNav"]').wait_for()
    wait_ready(page)


def open_page(page: Any, title: str) -> None:
    """Click the page's link in the sidebar (keeps the session, as a person would) and wait for it."""
    links = page.locator('[data-testid="stSidebarNav"] a')
    links.filter(has=page.get_by_text(title, exact=True)).first.click()
    wait_for_title(page, title)


def errors_on(page: Any) -> list[str]:
    """Texts of exceptions and error boxes shown on the page."""
    found = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
    return [found.nth(i).inner_text() for i in range(found.count())]


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
