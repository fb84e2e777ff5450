"""The sdist and the wheel as built, and the README's two commands as run."""
import email
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import free_port
from webkit import __version__

ROOT = Path(__file__).resolve().parent.parent
#: What the sdist ships so that the test suite runs from it.
SUITE = ['tests', 'docs', 'examples', 'benchmarks', 'webkit', '.ci']
SKIP = shutil.ignore_patterns('.venv*', '.git', '*.egg-info', '__pycache__', '*.py[cod]',
                              '.coverage*', '.hypothesis', 'test-artifacts', '_build',
                              'build', 'dist', 'wiki-data', 'questioner-data', '.pytest_cache')


def _clean_env():
    """The environment, less what would measure the sdist's copy of webkit as webkit."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(('COV', 'PYTHONPATH'))}


def _build(kind, source, out):
    """Build with setuptools' PEP 517 backend from this virtualenv (no network)."""
    code = (f'from setuptools import build_meta; print(build_meta.build_{kind}({str(out)!r}))')
    result = subprocess.run([sys.executable, '-c', code], cwd=source, capture_output=True,
                            text=True, timeout=120, env=_clean_env())
    assert result.returncode == 0, result.stderr
    return out / result.stdout.splitlines()[-1]


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    """The sdist built from a copy of this tree, and the wheel built from that sdist."""
    work = tmp_path_factory.mktemp('packaging')
    source = work / 'source'
    shutil.copytree(ROOT, source, ignore=SKIP, symlinks=True)
    sdist = _build('sdist', source, work)
    with tarfile.open(sdist) as archive:
        archive.extractall(work / 'unpacked', filter='data')
    unpacked = work / 'unpacked' / sdist.name.removesuffix('.tar.gz')
    wheel = _build('wheel', unpacked, work)
    return source, unpacked, wheel


def _files(folder):
    return {p.relative_to(folder).as_posix() for p in folder.rglob('*') if p.is_file()}


def test_sdist_ships_the_suite_and_its_data(built):
    source, unpacked, _ = built
    shipped = _files(unpacked)
    expected = {name for name in _files(source) if name.split('/')[0] in SUITE}
    expected |= {'LICENSE', 'README.md', 'pyproject.toml', 'conftest.py', 'run', 'setup.py',
                 'MANIFEST.in'}
    assert expected - shipped == set()
    assert {'tests/conftest.py', 'tests/data/cliapp.py', 'examples/wiki/templates/layout.html',
            'examples/questioner/questions.json', 'docs/conf.py'} <= shipped
    assert not [name for name in shipped if '__pycache__' in name or name.endswith('.pyc')]
    assert os.access(unpacked / 'run', os.X_OK)


def test_the_suite_runs_from_the_sdist(built):
    _, unpacked, _ = built
    env = _clean_env()
    collected = subprocess.run([sys.executable, '-m', 'pytest', '--collect-only', '-q',
                                '-p', 'no:cacheprovider'], cwd=unpacked, env=env,
                               capture_output=True, text=True, timeout=300)
    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr[-3000:]
    assert ' error' not in collected.stdout.splitlines()[-1]
    ran = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
                          'docs/deploy.rst', 'tests/test_cli.py::test_cli_routes_prints_the_table',
                          'tests/test_deploy.py::test_deploy_paste_ini_loads_the_entry_point',
                          '-o', 'addopts=--doctest-glob=*.rst'],
                         cwd=unpacked, env=env, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert ' passed' in ran.stdout.splitlines()[-1]


def _wheel_metadata(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = f'webkit_wsgi-{__version__}.dist-info'
        metadata = email.message_from_bytes(archive.read(f'{info}/METADATA'))
        entry_points = archive.read(f'{info}/entry_points.txt').decode()
    return names, info, metadata, entry_points


def test_wheel_holds_the_package_and_its_license_only(built):
    names, info, _, _ = _wheel_metadata(built[2])
    assert built[2].name == f'webkit_wsgi-{__version__}-py3-none-any.whl'
    assert {name.split('/')[0] for name in names} == {'webkit', info}
    assert 'webkit/py.typed' in names and 'webkit/__main__.py' in names
    assert f'{info}/licenses/LICENSE' in names


def test_wheel_advertises_only_entry_points_it_contains(built):
    import configparser
    names, _, _, text = _wheel_metadata(built[2])
    entry_points = configparser.ConfigParser(delimiters=('=',))
    entry_points.read_string(text)
    found = {(group, name): target for group in entry_points.sections()
             for name, target in entry_points[group].items()}
    assert found == {('console_scripts', 'webkit'): 'webkit.__main__:main',
                     ('paste.server_runner', 'main'): 'webkit.server:server_runner'}
    for target in found.values():
        assert target.partition(':')[0].replace('.', '/') + '.py' in names


def test_wheel_metadata_has_one_version_the_license_and_classifiers(built):
    _, _, metadata, _ = _wheel_metadata(built[2])
    assert metadata['Name'] == 'webkit-wsgi' and metadata['Version'] == __version__
    assert metadata['Requires-Python'] == '>=3.11'
    assert metadata['License-File'] == 'LICENSE'
    classifiers = metadata.get_all('Classifier')
    for classifier in ['Programming Language :: Python :: 3.11',
                       'Programming Language :: Python :: 3.12',
                       'Programming Language :: Python :: 3.13',
                       'Topic :: Internet :: WWW/HTTP :: WSGI',
                       'License :: OSI Approved :: MIT License',
                       'Operating System :: POSIX']:
        assert classifier in classifiers
    # The version lives in webkit/__init__.py only.
    assert __version__ not in (ROOT / 'setup.py').read_text()
    assert 'the webkit authors' in (ROOT / 'LICENSE').read_text()


# -- ./run serve: what it says, and pip only when setup.py or pyproject.toml changed

@pytest.fixture
def fake_venv(tmp_path):
    """A virtualenv whose python is this one, except that `-m pip` only records its call."""
    venv = tmp_path / 'venv'
    (venv / 'bin').mkdir(parents=True)
    calls = tmp_path / 'pip-calls'
    python = venv / 'bin' / 'python'
    python.write_text('#!/bin/sh\n'
                      f'if [ "$1 $2" = "-m pip" ]; then echo "$*" >>{calls}; exit 0; fi\n'
                      f'exec {sys.executable} "$@"\n')
    python.chmod(0o755)
    return venv, calls


def _run_serve(server_process, venv, tmp_path):
    port = free_port()
    start = time.monotonic()
    process = server_process([str(ROOT / 'run'), 'serve', '--port', str(port),
                              '--file-path', str(tmp_path / 'wiki')], port,
                             extra_env={'VENV': str(venv)})
    elapsed = time.monotonic() - start
    os.killpg(process.pid, signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    return process.stdout.read().decode(), elapsed


def test_run_serve_installs_once_then_starts_at_once(server_process, fake_venv, tmp_path):
    venv, calls = fake_venv
    first, _ = _run_serve(server_process, venv, tmp_path)
    assert f'run: installing webkit and what serving needs into {venv} (pip install -e .)' \
        in first
    assert calls.read_text() == '-m pip install -q --disable-pip-version-check -e .\n'
    second, elapsed = _run_serve(server_process, venv, tmp_path)
    lines = second.splitlines()
    assert lines[0] == f'run: {venv} is up to date'
    assert lines[1].startswith('run: serving the example wiki: python -m examples.wiki --port ')
    assert len(calls.read_text().splitlines()) == 1  # not again
    assert elapsed < 10


# -- the browser fixture without a browser

BROWSER_TEST = '''
from tests.conftest import chromium  # noqa: F401

def test_needs_a_browser(chromium):
    pass
'''


@pytest.mark.parametrize('ci, outcome', [('', '1 skipped'), ('true', '1 error')])
def test_missing_chromium_skips_outside_ci_and_fails_in_ci(tmp_path, ci, outcome):
    (tmp_path / 'test_browser.py').write_text(BROWSER_TEST)
    env = {**os.environ, 'PATH': os.path.dirname(sys.executable), 'PYTHONPATH': str(ROOT),
           'CI': ci}
    result = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-rs', '-p',
                             'no:cacheprovider', str(tmp_path / 'test_browser.py')],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert outcome in result.stdout.splitlines()[-1], result.stdout
    assert "Debian's `chromium` and `fonts-liberation`" in result.stdout
