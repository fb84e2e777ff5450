"""The wiki under real servers: many worker processes, and a server killed mid-save."""
import http.cookiejar
import os
import random
import re
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from examples.wiki.storage import PageStore
from tests.conftest import free_port

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_BASE = re.compile(r'name="base_rev" value="(\d+)"')


class Editor:
    """A browser-like client: its own cookies, reading the form before saving."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            _NoRedirect())

    def open(self, path, data=None, timeout=30):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=timeout) as res:
                return res.status, res.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def save(self, title, text):
        """One attempt: the status of the POST (303 saved, 409 conflict)."""
        status, page = self.open(f'/{title}/edit')
        if status != 200:
            return status
        csrf, base = _CSRF.search(page)[1], _BASE.search(page)[1]
        return self.open(f'/{title}/edit', {'text': text, 'base_rev': base,
                                            'csrf_token': csrf, 'summary': 'load'})[0]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_wiki_under_gunicorn_four_workers_loses_no_save(server_process, tmp_path):
    """20 threads x 10 saves to one page, each retrying on 409: nothing lost, no 5xx."""
    port = free_port()
    root = tmp_path / 'wiki'
    server_process([sys.executable, '-m', 'gunicorn', '--workers', '4',
                    '--bind', f'127.0.0.1:{port}', '--worker-tmp-dir', str(tmp_path),
                    '--control-socket', str(tmp_path / 'ctl.sock'),
                    'examples.wiki.app:application'], port,
                   extra_env={'WIKI_FILE_PATH': str(root)})
    deadline = time.monotonic() + 240
    accepted, errors, submitted = [], [], set()

    def edit(worker):
        editor = Editor(f'http://127.0.0.1:{port}')
        for i in range(10):
            text = f'worker {worker}, save {i}'
            submitted.add(text)
            while time.monotonic() < deadline:
                status = editor.save('Busy', text)
                if status == 303:
                    accepted.append(text)
                    break
                if status != 409:
                    errors.append(status)
                    break

    threads = [threading.Thread(target=edit, args=(w,)) for w in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    history = PageStore(root).history('Busy')
    assert len(accepted) == 200 == len(history)
    assert sorted(r.text for r in history) == sorted(accepted)
    assert history[0].text in submitted
    assert [r.rev for r in history] == list(range(200, 0, -1))
    # Four processes shared the index: it holds every revision, in order.
    store = PageStore(root)
    assert [r.rev for r in store.recent_changes(limit=300)] == list(range(200, 0, -1))
    assert store.search('worker') == ['Busy'] and store.page_count() == 1


def _temp_files(folder):
    try:
        return [name for name in os.listdir(folder) if name.startswith('.tmp-')]
    except FileNotFoundError:
        return []


def test_wiki_killed_mid_save_keeps_a_complete_page(server_process, tmp_path):
    """SIGKILL the server while a large save is being written; restarted, the page is whole."""
    root = tmp_path / 'wiki'
    page_dir = root / 'pages' / 'Big'
    bodies = [chr(65 + i) * 200_000 for i in range(26)]
    rng = random.Random(7)
    PageStore(root).save('Big', bodies[0], 0)   # the complete old text to keep
    killed_mid_write = 0
    for _ in range(3):
        port = free_port()
        process = server_process([sys.executable, '-m', 'examples.wiki', '--port', str(port),
                                  '--file-path', str(root)], port)
        editor = Editor(f'http://127.0.0.1:{port}')
        stop = threading.Event()

        def keep_saving():
            while not stop.is_set():
                try:
                    editor.save('Big', rng.choice(bodies))
                except OSError:
                    return  # the server is gone

        writer = threading.Thread(target=keep_saving)
        writer.start()
        deadline = time.monotonic() + 20
        while not _temp_files(page_dir) and time.monotonic() < deadline:
            pass                          # a temporary file exists only mid-write
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        stop.set()
        writer.join(timeout=30)
        killed_mid_write += bool(_temp_files(page_dir))
        # Restart on the same folder: leftovers go, the page is one whole body.
        port = free_port()
        server_process([sys.executable, '-m', 'examples.wiki', '--port', str(port),
                        '--file-path', str(root)], port)
        status, html = Editor(f'http://127.0.0.1:{port}').open('/Big')
        assert _temp_files(page_dir) == []
        store = PageStore(root)
        page = store.get('Big')
        assert page is not None and page.text in bodies and status == 200
        assert page.text in html
        assert all(revision.text in bodies for revision in store.history('Big'))
        # The index agrees with the files: a save cut short is indexed on restart.
        assert store.all_pages() == ['Big'] and os.listdir(root / 'index-pending') == []
        assert [r.rev for r in store.recent_changes(limit=1)] == [page.rev]
    assert killed_mid_write >= 1


@pytest.mark.parametrize('reload', [False, True])
def test_wiki_folder_runs_when_copied_elsewhere(server_process, tmp_path, reload):
    """Copied and renamed, with only webkit importable, it serves (and reloads)."""
    import shutil
    from pathlib import Path
    repo = Path(__file__).parent.parent
    shutil.copytree(repo / 'examples' / 'wiki', tmp_path / 'site' / 'notes',
                    ignore=shutil.ignore_patterns('__pycache__'))
    (tmp_path / 'lib').mkdir()
    (tmp_path / 'lib' / 'webkit').symlink_to(repo / 'webkit')
    port = free_port()
    argv = [sys.executable, '-m', 'notes', '--port', str(port), '--file-path', 'pages',
            *(['--reload'] if reload else [])]
    server_process(argv, port, cwd=tmp_path / 'site',
                   extra_env={'PYTHONPATH': str(tmp_path / 'lib')})
    try:
        urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=10)
    except urllib.error.HTTPError as missing:   # the front page does not exist yet
        assert missing.code == 404 and b'Create it' in missing.read()
    assert (tmp_path / 'site' / 'pages').is_dir()
