"""One application object, three ways to serve it: each started, asked, stopped."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from paste.deploy import loadapp
from webtest import TestApp

from tests.conftest import free_port

GUNICORN = [sys.executable, '-m', 'gunicorn']


def fetch(port, path='/'):
    with urllib.request.urlopen(f'http://127.0.0.1:{port}{path}', timeout=10) as res:
        return res.status, res.headers, res.read().decode()


def test_deploy_webkit_serve_on_waitress(server_process):
    port = free_port()
    server_process([sys.executable, '-m', 'webkit', 'serve',
                    'examples.hello.app:application', '--port', str(port)], port)
    status, headers, body = fetch(port, '/greet/Ada')
    assert (status, body) == (200, 'Hello, Ada!')
    assert headers['Server'] == 'webkit'


def test_deploy_gunicorn_with_worker_processes(server_process, tmp_path):
    port = free_port()
    home = tmp_path / 'home'
    home.mkdir()
    process = server_process(GUNICORN + [
        '--workers', '3', '--bind', f'127.0.0.1:{port}',
        '--worker-tmp-dir', str(tmp_path), '--control-socket', str(tmp_path / 'ctl.sock'),
        'examples.hello.app:application'], port, extra_env={'HOME': str(home)})
    assert fetch(port, '/greet/Ada')[2] == 'Hello, Ada!'
    assert _wait_for_children(process.pid, 3) == 3
    assert list(home.iterdir()) == []   # no ~/.gunicorn control folder


def _wait_for_children(pid, count, timeout=15):
    """How many child processes ``pid`` has, once it has ``count`` (or time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        children = subprocess.run(['pgrep', '-P', str(pid)], capture_output=True,
                                  text=True).stdout.split()
        if len(children) >= count or time.monotonic() > deadline:
            return len(children)
        time.sleep(0.2)


def test_deploy_paste_ini_loads_the_entry_point():
    app = loadapp('config:deploy.ini', relative_to='examples/hello')
    assert TestApp(app).get('/greet/Ada').text == 'Bonjour, Ada!'


def test_deploy_gunicorn_serves_the_paste_ini(server_process, tmp_path):
    port = free_port()
    server_process(GUNICORN + [
        '--workers', '2', '--bind', f'127.0.0.1:{port}',
        '--worker-tmp-dir', str(tmp_path), '--control-socket', str(tmp_path / 'ctl.sock'),
        '--paste', 'examples/hello/deploy.ini'], port)
    assert fetch(port, '/greet/Ada')[2] == 'Bonjour, Ada!'


@pytest.mark.parametrize('example, settings, path, expected', [
    ('wiki', 'file_path = {tmp}/pages\nfront_page = Home', '/',
     'front page has not been written yet'),
    ('questioner', 'data_dir = {tmp}/answers', '/', 'What is your quest?'),
])
def test_deploy_gunicorn_serves_each_example_from_its_factory(
        server_process, tmp_path, example, settings, path, expected):
    ini = tmp_path / 'site.ini'
    ini.write_text(f'[app:main]\nuse = call:examples.{example}.app:make_app\n'
                   + settings.format(tmp=tmp_path) + '\n')
    port = free_port()
    server_process(GUNICORN + [
        '--workers', '2', '--bind', f'127.0.0.1:{port}',
        '--worker-tmp-dir', str(tmp_path), '--control-socket', str(tmp_path / 'ctl.sock'),
        '--paste', str(ini)], port)
    assert expected in fetch(port, path)[2]
    assert any(tmp_path.iterdir())


def _install_requires():
    """setup.py's install_requires, read without running setup.py."""
    import ast
    tree = ast.parse(open('setup.py', encoding='utf-8').read())
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == 'install_requires':
            return ast.literal_eval(node.value)
    raise AssertionError('setup.py has no install_requires')


@pytest.mark.parametrize('example', ['hello', 'questioner', 'wiki'])
def test_deploy_example_pins_everything_it_is_served_with(example):
    import importlib
    import re

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    lines = open(f'examples/{example}/requirements.txt', encoding='utf-8').read().splitlines()
    made_for = re.search(r'for Python (\d+\.\d+)', lines[0])[1]  # the pins hold for it
    pins = {}
    for line in lines:
        if line and not line.startswith('#'):
            name, _, version = line.partition('==')
            assert version, f'{line!r} is not pinned'
            pins[canonicalize_name(name)] = version
    needed = [Requirement(text) for text in _install_requires()]
    needed += [Requirement('gunicorn'), Requirement('pastedeploy')]  # deploy.ini, many workers
    for requirement in needed:
        if requirement.marker and not requirement.marker.evaluate({'python_version': made_for}):
            continue
        pinned = pins.get(canonicalize_name(requirement.name))
        assert pinned is not None, f'{requirement.name} is not pinned'
        assert requirement.specifier.contains(pinned), f'{requirement} but {pinned} pinned'
    assert callable(importlib.import_module(f'examples.{example}.app').application)


@pytest.mark.parametrize('example, status, text', [
    ('hello', 200, 'Bonjour!'),
    ('wiki', 200, 'front page has not been written yet'),
    ('questioner', 200, 'What is your quest?'),
])
def test_deploy_each_example_ini_serves_its_entry_point(tmp_path, example, status, text):
    # A copy in a temporary checkout: the data the ini points to lands there.
    folder = tmp_path / 'examples' / example
    folder.mkdir(parents=True)
    folder.joinpath('deploy.ini').write_text(
        open(f'examples/{example}/deploy.ini', encoding='utf-8').read())
    app = loadapp('config:deploy.ini', relative_to=str(folder))
    TestApp(app).get('/', status=status).mustcontain(text)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ['examples'] + ([f'{example}-data'] if example != 'hello' else []))


@pytest.mark.parametrize('example', ['hello', 'questioner', 'wiki'])
def test_deploy_each_example_ini_uses_webkits_server(example):
    from paste.deploy.loadwsgi import SERVER, loadcontext

    from webkit.server import server_runner
    context = loadcontext(SERVER, 'config:deploy.ini', relative_to=f'examples/{example}')
    assert context.object is server_runner  # found as egg:webkit-wsgi#main
    assert context.local_conf['access_log'] == 'true'


def exchange(port, data):
    with socket.create_connection(('127.0.0.1', port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b''.join(chunks)


@pytest.fixture
def paste_served(tmp_path):
    """examples/hello served as its deploy.ini says, on a free port, in a process."""
    processes = []

    def start():
        port = free_port()
        ini = tmp_path / 'deploy.ini'
        ini.write_text(open('examples/hello/deploy.ini', encoding='utf-8').read()
                       .replace('port = 8080', f'port = {port}'))
        code = ('from paste.deploy import loadapp, loadserver;'
                f'loadserver("config:{ini}")(loadapp("config:{ini}"))')
        process = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   env={**os.environ, 'PYTHONPATH': os.getcwd()})
        processes.append(process)
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            try:
                socket.create_connection(('127.0.0.1', port), timeout=1).close()
                return port, process
            except OSError:
                time.sleep(0.1)
        pytest.fail('the Paste Deploy server did not start: '
                    + (process.stdout.read().decode() if process.poll() is not None else ''))

    yield start
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        process.stdout.close()


@pytest.mark.parametrize('request_bytes', [
    # Content-Length and chunked: the smuggled request must not be answered.
    b'POST /greet/a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n'
    b'\r\n3\r\nabc\r\n0\r\n\r\nGET /greet/smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
    b'GET /greet/a HTTP/1.1\r\nConnection: close\r\n\r\n',  # no Host
    b'GET /greet/a HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n',
    b'GET /greet/a HTTP/1.1\nHost: x\n\n',  # bare LF, answered at once
])
def test_deploy_paste_server_is_webkits_hardened_server(paste_served, request_bytes):
    port, process = paste_served()
    answer = exchange(port, request_bytes)
    assert answer.startswith((b'HTTP/1.1 400 ', b'HTTP/1.0 400 '))
    assert answer.count(b'HTTP/1.') == 1 and b'smuggled' not in answer
    assert exchange(port, b'GET /greet/Ada HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
                    ).endswith(b'Bonjour, Ada!')
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0
    output = process.stdout.read().decode()
    assert '"GET /greet/Ada HTTP/1.1" 200 13 ' in output  # access_log = true


BODY_APP = """\
from webkit import wsgify
application = wsgify(lambda req: f'read {len(req.body)}')
"""


@pytest.mark.parametrize('chunks', [
    b'0x3\r\nabc\r\n0\r\n\r\n',  # gunicorn: InvalidChunkSize
    b'+3\r\nabc\r\n0\r\n\r\n',
    b'3\r\nabcX\r\n0\r\n\r\n',  # ChunkMissingTerminator
    b'3\r\nabc\r\n0\r\nBad Trailer\r\n\r\n',  # InvalidHeader, in the trailer
])
def test_deploy_gunicorn_framing_errors_are_400(server_process, tmp_path, chunks):
    (tmp_path / 'bodyapp.py').write_text(BODY_APP)
    port = free_port()
    server_process(GUNICORN + [
        '--workers', '1', '--bind', f'127.0.0.1:{port}', '--chdir', str(tmp_path),
        '--worker-tmp-dir', str(tmp_path), '--control-socket', str(tmp_path / 'ctl.sock'),
        'bodyapp:application'], port)
    ok = exchange(port, b'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n'
                  b'Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n')
    assert ok.startswith(b'HTTP/1.1 200 ') and ok.endswith(b'read 3')
    answer = exchange(port, b'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n'
                      b'Connection: close\r\n\r\n' + chunks)
    assert answer.startswith(b'HTTP/1.1 400 ')


def test_deploy_gunicorn_refuses_bare_lf_itself(server_process, tmp_path):
    port = free_port()
    server_process(GUNICORN + [
        '--workers', '1', '--bind', f'127.0.0.1:{port}',
        '--worker-tmp-dir', str(tmp_path), '--control-socket', str(tmp_path / 'ctl.sock'),
        'examples.hello.app:application'], port)
    assert exchange(port, b'GET / HTTP/1.1\nHost: x\n\n').startswith(b'HTTP/1.1 400 ')


def test_deploy_paste_server_takes_the_proxy_settings_docs_deploy_shows(tmp_path):
    """The ``[server:main]`` of docs/deploy.rst, serving examples/hello from a process."""
    import re
    docs = open('docs/deploy.rst', encoding='utf-8').read()
    server = re.search(r'\n    (\[server:main\]\n(?:    .+\n)+)', docs)[1].replace('    ', '')
    port = free_port()
    ini = tmp_path / 'deploy.ini'
    ini.write_text('[app:main]\nuse = call:examples.hello.app:make_app\n\n'
                   + server.replace('port = 8081', f'port = {port}'))
    code = ('from paste.deploy import loadapp, loadserver;'
            f'loadserver("config:{ini}")(loadapp("config:{ini}"))')
    process = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True,
                               env={**os.environ, 'PYTHONPATH': os.getcwd()})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(('127.0.0.1', port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert exchange(port, b'GET /greet/Ada HTTP/1.1\r\nHost: evil.example\r\n'
                        b'Connection: close\r\n\r\n').startswith(b'HTTP/1.1 400 ')
        assert exchange(port, b'GET /greet/Ada HTTP/1.1\r\nHost: shop.example\r\n'
                        b'X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n'
                        b'Connection: close\r\n\r\n').endswith(b'Hello, Ada!')
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    output = process.stdout.read().decode()
    process.stdout.close()
    assert '203.0.113.9 - - [' in output and '"GET /greet/Ada HTTP/1.1" 200' in output
