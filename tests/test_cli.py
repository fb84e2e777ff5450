"""``python -m webkit``: serve and print routes, with clear errors."""
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.conftest import free_port
from webkit.__main__ import main

DATA = os.path.join(os.path.dirname(__file__), 'data')
ENV = {**os.environ, 'PYTHONPATH': os.pathsep.join([DATA, os.getcwd()])}


def webkit(*args, timeout=30):
    return subprocess.run([sys.executable, '-m', 'webkit', *args], capture_output=True,
                          text=True, env=ENV, timeout=timeout)


def test_cli_routes_prints_the_table():
    result = webkit('routes', 'cliapp:application')
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        'name   methods   path          target',
        'index  GET,HEAD  /             Site.index',
        'page   GET,HEAD  /page/{name}  Site.page',
    ]


@pytest.mark.parametrize('spec, message', [
    ('nocolon', "expected 'package.module:name'"),
    ('no_such_module:app', "no module named 'no_such_module' (run from the folder"),
    ('cliapp:nothere', "cliapp has no attribute 'nothere'"),
    ('cliapp:Site', 'is the class Site: give an instance (application = Site(...))'),
    ('cliapp:not_an_app', 'which is not callable, not a WSGI application'),
    ('cliapp:uncallable', 'which is not callable; its class needs `__call__ = routes`'),
])
def test_cli_bad_application_spec_exits_2_with_a_clear_error(spec, message):
    result = webkit('serve', spec)
    assert result.returncode == 2
    assert result.stderr.startswith('error: ') and message in result.stderr


def test_cli_routes_of_an_app_without_a_table_exits_2():
    result = webkit('routes', 'cliapp:plain')
    assert result.returncode == 2 and 'has no route table' in result.stderr


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
def test_cli_serve_answers_and_stops_cleanly_on_a_signal(server_process, signum):
    port = free_port()
    process = server_process([sys.executable, '-m', 'webkit', 'serve', 'cliapp:application',
                              '--port', str(port)], port, extra_env={'PYTHONPATH': ENV['PYTHONPATH']})
    with urllib.request.urlopen(f'http://127.0.0.1:{port}/page/x', timeout=10) as res:
        assert res.read() == b'page x'
    process.send_signal(signum)
    assert process.wait(timeout=10) == 0  # SIGTERM's default would give -15
    output = process.stdout.read().decode()
    assert f'Serving on http://127.0.0.1:{port}' in output and 'Traceback' not in output


def test_cli_serve_port_in_use_exits_1():
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = webkit('serve', 'cliapp:application', '--port', str(port))
    assert result.returncode == 1
    assert f'cannot listen on 127.0.0.1:{port}: the address is already in use' in result.stderr


def test_cli_serve_with_reload(server_process):
    port = free_port()
    server_process([sys.executable, '-m', 'webkit', 'serve', 'cliapp:plain', '--reload',
                    '--port', str(port)], port, extra_env={'PYTHONPATH': ENV['PYTHONPATH']})
    with urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=10) as res:
        assert res.read() == b'plain app'


def test_cli_main_in_process(capsys, monkeypatch):
    monkeypatch.syspath_prepend(DATA)
    assert main(['routes', 'cliapp:application']) == 0
    assert 'Site.page' in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(['serve', 'cliapp:nothere'])
    assert info.value.code == 2


def test_load_object_reraises_errors_inside_the_module(tmp_path, monkeypatch):
    from webkit.__main__ import load_object
    (tmp_path / 'brokenmod.py').write_text('import no_such_dependency\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError):
        load_object('brokenmod:x')


def test_cli_routes_looks_through_middleware(capsys, monkeypatch, tmp_path):
    (tmp_path / 'wrapped.py').write_text(
        'from webkit import wsgify\n'
        'import cliapp\n'
        '@wsgify.middleware\n'
        'def passthrough(req, app):\n'
        '    return app\n'
        'application = passthrough(cliapp.application)\n')
    monkeypatch.syspath_prepend(DATA)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(['routes', 'wrapped:application']) == 0
    assert 'Site.page' in capsys.readouterr().out
    assert main(['routes', 'cliapp:application.routes']) == 0
    assert 'Site.page' in capsys.readouterr().out


def test_cli_module_failing_on_import_exits_2_naming_it(capsys, monkeypatch, tmp_path):
    (tmp_path / 'failing.py').write_text("raise RuntimeError('boom at import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(SystemExit) as info:
        main(['serve', 'failing:application'])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "error: cannot load 'failing:application': importing it raised " \
           "RuntimeError: boom at import" in err
    assert 'Traceback' in err  # the cause, for the developer


def test_cli_serve_bad_port_exits_1(capsys, monkeypatch):
    monkeypatch.syspath_prepend(DATA)
    with pytest.raises(SystemExit) as info:
        main(['serve', 'cliapp:application', '--port', '99999'])
    assert info.value.code == 1
    assert 'the port must be a number from 0 to 65535' in capsys.readouterr().err


def test_cli_bad_route_at_import_names_the_route_not_set_name(capsys, monkeypatch, tmp_path):
    (tmp_path / 'typo.py').write_text(
        'from webkit import Dispatcher\n'
        'class Site:\n'
        '    routes = Dispatcher()\n'
        "    routes.connect('index', '/', 'indx')\n"
        '    def index(self, req):\n'
        "        return 'hi'\n"
        '    __call__ = routes\n'
        'application = Site()\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(SystemExit) as info:
        main(['routes', 'typo:application'])
    assert info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: cannot load 'typo:application': importing it raised ConfigurationError: "
        "route 'index': Site has no method 'indx'")


def test_cli_script_finds_modules_in_the_current_folder(tmp_path):
    """The `webkit` console script, unlike `python -m`, puts no folder on sys.path."""
    import shutil
    shutil.copy(os.path.join(DATA, 'cliapp.py'), tmp_path / 'cliapp.py')
    script = os.path.join(os.path.dirname(sys.executable), 'webkit')
    result = subprocess.run([script, 'routes', 'cliapp:application'], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60,
                            env={k: v for k, v in os.environ.items() if k != 'PYTHONPATH'})
    assert result.returncode == 0, result.stderr
    assert 'Site.page' in result.stdout


def test_cli_version_is_the_package_version():
    from webkit import __version__
    result = webkit('--version')
    assert result.returncode == 0 and result.stdout == f'webkit {__version__}\n'


@pytest.mark.parametrize('size', ['ten', '-5', '5T'])
def test_cli_serve_bad_max_body_size_exits_2(size):
    result = webkit('serve', 'cliapp:application', '--max-body-size', size)
    assert result.returncode == 2
    assert '--max-body-size: expected a size in bytes' in result.stderr and size in result.stderr


def test_cli_serve_max_body_size_is_the_servers_limit(server_process):
    port = free_port()
    server_process([sys.executable, '-m', 'webkit', 'serve', 'cliapp:application',
                    '--port', str(port), '--max-body-size', '1K'], port,
                   extra_env={'PYTHONPATH': ENV['PYTHONPATH']})
    statuses = []
    for size in (1024, 1025):
        request = urllib.request.Request(f'http://127.0.0.1:{port}/page/x', data=b'a' * size,
                                         method='POST')
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
    assert statuses == [405, 413]  # the route takes no POST; the larger body is never read


def test_cli_serve_stops_on_sigint_when_started_in_the_background(tmp_path):
    """`python -m webkit serve ... &` from a script: SIGINT arrives ignored."""
    port = free_port()
    log = tmp_path / 'out.log'
    script = (f'{sys.executable} -m webkit serve cliapp:application --port {port} '
              f'>{log} 2>&1 & echo $!; wait')
    shell = subprocess.Popen(['sh', '-c', script], stdout=subprocess.PIPE, env=ENV,
                             start_new_session=True, text=True)
    try:
        pid = int(shell.stdout.readline())
        _wait_until_answering(port)
        os.kill(pid, signal.SIGINT)
        assert shell.wait(timeout=10) == 0
    finally:
        if shell.poll() is None:
            os.killpg(shell.pid, signal.SIGKILL)
            shell.wait(timeout=10)
        shell.stdout.close()
    output = log.read_text()
    assert f'Serving on http://127.0.0.1:{port}' in output and 'Traceback' not in output


def _wait_until_answering(port, timeout=30):
    import time
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_cli_serve_with_reload_restarts_when_a_template_changes(server_process, tmp_path):
    import time
    package = tmp_path / 'greeter'
    (package / 'templates').mkdir(parents=True)
    (package / '__init__.py').write_text('')
    (package / 'templates' / 'greeting.html').write_text('hello')
    # The template is read once, at import: only a restart shows an edit.
    (package / 'app.py').write_text(
        'import pathlib\n'
        'from webkit import wsgify\n'
        "GREETING = (pathlib.Path(__file__).parent / 'templates' / 'greeting.html').read_text()\n"
        'application = wsgify(lambda req: GREETING)\n')
    port = free_port()
    server_process([sys.executable, '-m', 'webkit', 'serve', 'greeter.app:application',
                    '--reload', '--port', str(port)], port, cwd=tmp_path,
                   extra_env={'PYTHONPATH': os.getcwd()})

    def body():
        try:
            with urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=5) as res:
                return res.read()
        except OSError:  # restarting
            return None

    assert body() == b'hello'
    time.sleep(1.1)  # a modification time the poller tells apart
    (package / 'templates' / 'greeting.html').write_text('bonjour')
    deadline = time.monotonic() + 20
    while body() != b'bonjour' and time.monotonic() < deadline:
        time.sleep(0.2)
    assert body() == b'bonjour'


def test_cli_reload_watches_the_package_folder_or_the_modules_own(monkeypatch):
    import importlib

    from webkit.__main__ import DATA_SUFFIXES, _data_files
    monkeypatch.syspath_prepend(DATA)
    importlib.import_module('cliapp')  # a module outside any package
    patterns = _data_files('cliapp:application')
    assert patterns[0] == os.path.join(DATA, '*.html')
    assert len(patterns) == len(DATA_SUFFIXES)
    importlib.import_module('examples.hello.app')
    folder = os.path.abspath(os.path.join('examples', 'hello'))
    assert _data_files('examples.hello.app:application')[0] == os.path.join(folder, '**',
                                                                            '*.html')
