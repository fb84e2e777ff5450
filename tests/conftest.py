"""Fixtures shared by the whole suite."""
import formencode.api

# FormEncode follows the process locale; the suite asserts English messages.
formencode.api.set_stdtranslation(languages=["en"])


import os  # noqa: E402  (kept below the locale pin above)
import shutil  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from webkit import make_server  # noqa: E402

#: Screenshots from browser tests land here (CI keeps the folder as an artifact).
ARTIFACTS = Path(os.environ.get('WEBKIT_ARTIFACTS', 'test-artifacts'))

# Chromium as root in a sandbox with no network: no sandbox, no GPU, and no
# background connections (they are refused here, many at a time).
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update',
                 '--disable-sync', '--disable-dev-shm-usage']


@pytest.fixture
def live_server():
    """Serve WSGI apps on 127.0.0.1 (a free port) in threads; stopped afterwards."""
    servers = []

    def start(app, **settings):
        server = make_server(app, '127.0.0.1', 0, **settings)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f'http://127.0.0.1:{server.effective_port}'

    yield start
    for server, thread in servers:
        server.close()
        thread.join(timeout=5)


@pytest.fixture(scope='session')
def chromium():
    """Debian's Chromium driven by Playwright; a missing browser fails the test."""
    executable = shutil.which('chromium') or shutil.which('chromium-browser')
    if executable is None:
        pytest.fail('the browser tests need Chromium: `./run test` installs '
                    "Debian's chromium package")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        # Playwright gives each launch a fresh, empty profile of its own.
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium, request):
    """A fresh browser page; a screenshot of its last state is saved as an artifact."""
    context = chromium.new_context()
    browser_page = context.new_page()
    browser_page.set_default_timeout(10_000)
    yield browser_page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser_page.screenshot(path=ARTIFACTS / f'{request.node.name}.png', full_page=True)
    context.close()
