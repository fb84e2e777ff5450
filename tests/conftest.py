"""Fixtures shared by the whole suite."""
import formencode.api

# FormEncode follows the process locale; the suite asserts English messages.
formencode.api.set_stdtranslation(languages=["en"])


import os  # noqa: E402  (kept below the locale pin above)
import shutil  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from formencode import ForEach, Schema, validators  # noqa: E402
from webob import exc  # noqa: E402
from webtest import TestApp  # noqa: E402

from webkit import (CSRFProtection, Sessions, flash, make_server, pop_flashes,  # noqa: E402
                    wsgify)
from webkit.forms import json_errors, render_form, validate, wants_json  # noqa: E402

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
    """Debian's Chromium driven by Playwright.

    A missing browser skips the browser tests, saying what to install;
    in CI (``CI=true``) it fails them.
    """
    executable = shutil.which('chromium') or shutil.which('chromium-browser')
    if executable is None:
        message = ("the browser tests need Chromium: as root, `./run test` installs Debian's "
                   '`chromium` and `fonts-liberation` packages (apt-get install '
                   '--no-install-recommends chromium fonts-liberation); elsewhere install '
                   'Chromium and put `chromium` on the PATH')
        if os.environ.get('CI', '').lower() in ('true', '1', 'yes'):
            pytest.fail(message)
        pytest.skip(message)
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
def page(chromium, live_server, request):
    """A fresh browser page; a screenshot of its last state is saved as an artifact.

    It asks for ``live_server`` so that the page (and its keep-alive
    connections) closes before the servers stop, not after.
    """
    context = chromium.new_context()
    browser_page = context.new_page()
    browser_page.set_default_timeout(10_000)
    yield browser_page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser_page.screenshot(path=ARTIFACTS / f'{request.node.name}.png', full_page=True)
    context.close()


def free_port():
    """A port nobody listens on right now (the caller binds it soon after)."""
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture
def server_process():
    """Start server commands as processes; each is stopped (SIGTERM, then SIGKILL).

    ``start(argv, port)`` waits until ``http://127.0.0.1:port/`` answers
    (any status) and returns the ``Popen``; a server that exits or does not
    answer within ``timeout`` seconds fails the test with its output.
    """
    import signal
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    processes = []
    env = {**os.environ, 'PYTHONPATH': os.getcwd()}

    def start(argv, port, timeout=30, cwd=None, extra_env=None):
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   env={**env, **(extra_env or {})}, cwd=cwd,
                                   start_new_session=True)
        processes.append(process)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f'{argv} exited with {process.returncode}:\n'
                            + process.stdout.read().decode(errors='replace'))
            try:
                urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=2).close()
                return process
            except urllib.error.HTTPError:
                return process
            except OSError:
                time.sleep(0.1)
        pytest.fail(f'{argv} did not answer on port {port} within {timeout} s')

    start.python = sys.executable
    yield start
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        process.stdout.close()


# -- a signup form behind Sessions and CSRFProtection (test_forms, test_csrf, test_sessions)

SECRET = 'test-secret-' * 4


class Signup(Schema):
    email = validators.Email(not_empty=True)
    password = validators.UnicodeString(min=8, not_empty=True)
    tags = ForEach(validators.UnicodeString())


PAGE = '''<form method="post" action="/">
<input name="email"><input type="password" name="password">
<textarea name="bio"></textarea>
<input type="checkbox" name="tags" value="a"><input type="checkbox" name="tags" value="b">
</form>'''


def make_app(calls):
    @wsgify
    def signup(req):
        if req.method == 'POST':
            values, errors = validate(Signup, req.POST)
            if not errors:
                calls.append(values)
                flash(req, 'Welcome!')
                return exc.HTTPSeeOther(location='/')
            if wants_json(req):
                return json_errors(errors)
            return render_form(PAGE, req.POST, errors, req=req)
        return ' '.join(pop_flashes(req)) + render_form(PAGE, req=req)

    return TestApp(Sessions(CSRFProtection(signup, SECRET), SECRET))


@pytest.fixture
def calls():
    return []


@pytest.fixture
def app(calls):
    return make_app(calls)
