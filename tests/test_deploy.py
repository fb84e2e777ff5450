"""One application object, three ways to serve it: each started, asked, stopped."""
import subprocess
import sys
import time
import urllib.error
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
    ('wiki', 'file_path = {tmp}/pages\nfront_page = Home', '/', 'There is no page called'),
    ('questioner', 'data_dir = {tmp}/answers', '/', 'What is your quest?'),
])
def test_deploy_gunicorn_serves_each_example_from_its_entry_point(
        server_process, tmp_path, example, settings, path, expected):
    ini = tmp_path / 'site.ini'
    ini.write_text(f'[app:main]\nuse = egg:webkit-wsgi#{example}\n'
                   + settings.format(tmp=tmp_path) + '\n')
    port = free_port()
    server_process(GUNICORN + [
        '--workers', '2', '--bind', f'127.0.0.1:{port}',
        '--worker-tmp-dir', str(tmp_path), '--control-socket', str(tmp_path / 'ctl.sock'),
        '--paste', str(ini)], port)
    try:
        body = fetch(port, path)[2]
    except urllib.error.HTTPError as error:  # the wiki's missing front page is a 404
        assert error.code == 404
        body = error.read().decode()
    assert expected in body
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
    ('wiki', 404, 'There is no page called'),
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
