"""The questioner's two stores, SQLite and a real PostgreSQL server started here.

The server is Debian's (``apt-get install postgresql``): initdb into a
temporary folder as an unprivileged user (PostgreSQL refuses root),
listening only on a Unix socket in that folder, stopped at the end.
Without it the PostgreSQL cases skip, saying what to install; in CI
(``CI=true``) they fail.
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest
from webtest import TestApp

from examples.questioner.app import make_app
from examples.questioner.storage import (PostgreSQLStore, SQLiteStore, UsernameTaken,
                                         open_store)
from tests.conftest import free_port

START_TIMEOUT = 30
REPO = Path(__file__).resolve().parent.parent
GOOD = {'username': 'grace', 'password': 'cobol1959', 'password_confirm': 'cobol1959',
        'name': 'Grace', 'quest': 'Compilers', 'color': 'red'}


def _missing(what):
    message = f'{what}: the PostgreSQL tests need Debian\'s postgresql package ' \
              "(apt-get install postgresql) and psycopg (pip install 'psycopg[binary]>=3.1')"
    if os.environ.get('CI') == 'true':
        pytest.fail(message)
    pytest.skip(message)


def _as_user(user):
    """The command prefix that runs a command as ``user`` (nothing if we are not root)."""
    return ['runuser', '-u', user, '--'] if os.geteuid() == 0 else []


def _server_user():
    # PostgreSQL will not run as root. Debian's package makes 'postgres';
    # 'nobody' exists everywhere else.
    import pwd
    for name in ('postgres', 'nobody'):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    pytest.fail('no unprivileged user (postgres or nobody) to run PostgreSQL as')


@pytest.fixture(scope='session')
def postgres():
    """A PostgreSQL server of our own; yields a function making a fresh database URL."""
    try:
        import psycopg
    except ImportError:
        _missing('psycopg is not installed')
    found = sorted(glob.glob('/usr/lib/postgresql/*/bin/initdb'),
                   key=lambda p: int(Path(p).parts[-3].split('.')[0]))
    if not found:
        _missing('no /usr/lib/postgresql/*/bin/initdb')
    bindir = Path(found[-1]).parent
    # Not under pytest's base folder: that one is private to us (0700).
    root = Path(tempfile.mkdtemp(prefix='webkit-pg-'))
    data, log = root / 'data', root / 'server.log'
    prefix = []
    if os.geteuid() == 0:
        user = _server_user()
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = _as_user(user.pw_name)
    env = {**os.environ, 'LC_ALL': 'C', 'LANG': 'C'}

    def run(*argv, timeout=START_TIMEOUT + 10):
        return subprocess.run([*prefix, *map(str, argv)], cwd=root, env=env, timeout=timeout,
                              capture_output=True, text=True)

    try:
        done = run(bindir / 'initdb', '-D', data, '-U', 'webkit', '--auth=trust',
                   '--no-locale', '-E', 'UTF8', '--no-sync')
        assert done.returncode == 0, f'initdb failed:\n{done.stdout}{done.stderr}'
        # Only a Unix socket in our folder: no port to collide with; no fsync (tests).
        options = f"-k {root} -c listen_addresses='' -c fsync=off -c max_connections=50"
        done = run(bindir / 'pg_ctl', '-D', data, '-l', log, '-w', '-t', START_TIMEOUT,
                   '-o', options, 'start')
        if done.returncode != 0:
            pytest.fail(f'PostgreSQL did not start within {START_TIMEOUT} s:\n'
                        f'{done.stdout}{done.stderr}\n{log.read_text() if log.exists() else ""}')
        admin = f'postgresql://webkit@/postgres?host={root}'
        counter = iter(range(1, 10_000))

        def new_database():
            name = f'questioner_{next(counter)}'
            with psycopg.connect(admin, autocommit=True, connect_timeout=10) as db:
                db.execute(f'CREATE DATABASE {name}')
            return f'postgresql://webkit@/{name}?host={root}'

        yield new_database
    finally:
        _stop(run, bindir, data)
        shutil.rmtree(root, ignore_errors=True)


def _stop(run, bindir, data):
    pid_file = data / 'postmaster.pid'
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().split()[0])
    try:
        run(bindir / 'pg_ctl', '-D', data, '-m', 'fast', '-w', '-t', '20', 'stop', timeout=30)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.kill(pid, signal.SIGKILL)  # still there after a fast stop: end it
    except ProcessLookupError:
        pass


@pytest.fixture(params=['sqlite', 'postgresql'])
def database_url(request, tmp_path):
    """Where registrations go: '' (SQLite in the data folder) or a fresh PostgreSQL database."""
    if request.param == 'sqlite':
        return ''
    return request.getfixturevalue('postgres')()


@pytest.fixture
def store(database_url, tmp_path):
    return open_store(database_url, tmp_path / 'data')


# -- one interface, two backends -----------------------------------------------

def test_store_backend_is_chosen_by_the_url(store, database_url):
    assert isinstance(store, PostgreSQLStore if database_url else SQLiteStore)


def test_store_keeps_registration_and_answers(store):
    assert store.count() == 0 and store.get('ada') is None
    first = store.add('ada', 'correct horse battery', {'quest': 'engines', 'color': 'blue'})
    second = store.add('grace', 'cobol1959', {})
    assert first != second
    found = store.get('ADA')
    assert found['id'] == first and found['username'] == 'ada'
    assert found['answers'] == {'color': 'blue', 'quest': 'engines'}
    assert found['created'].endswith('Z') and len(found['created']) == 20
    assert store.count() == 2
    assert store.check_password('Ada', 'correct horse battery')
    assert not store.check_password('ada', 'correct horse batterY')
    assert not store.check_password('nobody', 'x')


def test_store_refuses_a_taken_username_case_insensitively(store):
    store.add('ada', 'password1', {})
    with pytest.raises(UsernameTaken) as info:
        store.add('Ada', 'password2', {'quest': 'x'})
    assert info.value.username == 'Ada'
    assert store.count() == 1
    assert store.is_taken('ADA') and not store.is_taken('grace')
    assert store.get('ada')['answers'] == {}


def test_store_failed_insert_leaves_nothing_behind(store):
    with pytest.raises(Exception) as info:
        store.add('ada', 'password1', {'quest': object()})  # not storable
    assert not isinstance(info.value, UsernameTaken)
    assert store.count() == 0 and not store.is_taken('ada')


def test_store_opened_twice_shares_the_data(database_url, tmp_path):
    open_store(database_url, tmp_path / 'data').add('ada', 'password1', {})
    assert open_store(database_url, tmp_path / 'data').is_taken('ada')


# -- races between processes ------------------------------------------------------

_ADD = '''
import sys
from examples.questioner.storage import UsernameTaken, open_store
store = open_store(sys.argv[1], sys.argv[2])
print('ready', flush=True)
try:
    store.add('racer', 'password1', {'n': '1'})
    print('won')
except UsernameTaken:
    print('taken')
'''


def _lock_the_name(database_url, tmp_path):
    """A connection inside a transaction that has inserted 'racer', uncommitted."""
    if database_url:
        import psycopg
        db = psycopg.connect(database_url)
        db.execute("INSERT INTO registrations (username, password_hash) VALUES ('RACER', 'x')")
    else:
        import sqlite3
        db = sqlite3.connect(tmp_path / 'data' / 'registrations.sqlite3', isolation_level=None)
        db.execute('BEGIN IMMEDIATE')
        db.execute("INSERT INTO registrations (username, password_hash) VALUES ('RACER', 'x')")
    return db


@pytest.mark.parametrize('outcome', ['commit', 'rollback'])
def test_store_race_with_another_process_has_one_winner(database_url, tmp_path, outcome):
    """Another process holds the name, uncommitted; ours waits, then loses or wins."""
    open_store(database_url, tmp_path / 'data')  # tables made
    holder = _lock_the_name(database_url, tmp_path)
    with closing(holder):
        racer = subprocess.Popen([sys.executable, '-c', _ADD, database_url,
                                  str(tmp_path / 'data')], cwd=REPO, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            ready = []
            reader = threading.Thread(target=lambda: ready.append(racer.stdout.readline()))
            reader.start()
            reader.join(timeout=30)
            assert ready == ['ready\n'], 'the racing process did not open its store'
            time.sleep(1.0)  # its hash (about 0.4 s) is done: it waits on our lock now
            assert racer.poll() is None, racer.stderr.read()
            getattr(holder, outcome)()
            out, err = racer.communicate(timeout=30)
        finally:
            if racer.poll() is None:
                racer.kill()
                racer.communicate()
    assert out == ('taken\n' if outcome == 'commit' else 'won\n'), err
    store = open_store(database_url, tmp_path / 'data')
    assert store.count() == 1
    assert store.get('racer')['username'] == ('RACER' if outcome == 'commit' else 'racer')


def test_questioner_race_between_two_server_processes(database_url, tmp_path, server_process):
    """Two servers on one database, four clients registering one name at once."""
    ports = [free_port(), free_port()]
    for port in ports:
        server_process([sys.executable, '-m', 'examples.questioner', '--port', str(port),
                        '--data', str(tmp_path / 'data'),
                        *(['--database-url', database_url] if database_url else [])],
                       port, cwd=REPO)
    barrier = threading.Barrier(4)
    answers = []

    def register(i):
        request = urllib.request.Request(
            f'http://127.0.0.1:{ports[i % 2]}/', json.dumps({**GOOD, 'username': 'racer'}).encode(),
            {'Content-Type': 'application/json', 'Accept': 'application/json'})
        barrier.wait(timeout=10)
        try:
            with urllib.request.urlopen(request, timeout=30) as res:
                answers.append((res.status, json.load(res)))
        except urllib.error.HTTPError as error:
            answers.append((error.code, json.load(error)))

    threads = [threading.Thread(target=register, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(status for status, _ in answers) == [201, 400, 400, 400]
    for status, body in answers:
        if status == 400:
            assert body['errors'] == [{'location': 'body', 'name': 'username',
                                       'description': 'That username is already taken'}]
    assert open_store(database_url, tmp_path / 'data').count() == 1


# -- the application on PostgreSQL --------------------------------------------------

@pytest.fixture
def pg_app(postgres, tmp_path):
    url = postgres()
    return TestApp(make_app(data_dir=str(tmp_path / 'data'), database_url=url)), url


def test_questioner_on_postgresql_registers_refuses_duplicates_and_answers_json(pg_app):
    app, url = pg_app
    form = app.get('/').form
    for name, value in GOOD.items():
        form[name] = value
    assert form.submit(status=303).location == 'http://localhost/thanks'
    form = app.get('/').form
    for name, value in {**GOOD, 'username': 'GRACE'}.items():
        form[name] = value
    res = form.submit()
    assert 'That username is already taken' in res.text
    assert res.form['username'].value == 'GRACE'
    app.post_json('/', {**GOOD, 'username': 'ada'}, status=201)
    res = app.post_json('/', {**GOOD, 'username': 'Ada'}, status=400)
    assert res.json['errors'][0]['description'] == 'That username is already taken'
    store = PostgreSQLStore(url)
    assert store.count() == 2
    assert store.check_password('grace', GOOD['password'])
    assert store.get('ada')['answers'] == {'color': 'red', 'name': 'Grace',
                                           'quest': 'Compilers'}


def test_questioner_database_url_from_the_environment(postgres, tmp_path, monkeypatch):
    import examples.questioner.app as module
    url = postgres()
    monkeypatch.setenv('QUESTIONER_DATA', str(tmp_path / 'data'))
    monkeypatch.setenv('QUESTIONER_DATABASE_URL', url)
    monkeypatch.setattr(module, '_application', None)
    TestApp(module.application).post_json('/', GOOD, status=201)
    assert PostgreSQLStore(url).is_taken('grace')
    assert not (tmp_path / 'data' / 'registrations.sqlite3').exists()


def test_postgresql_store_hides_the_password_of_its_url(postgres):
    url = postgres()
    store = PostgreSQLStore(url)
    assert repr(store) == f'PostgreSQLStore({url!r})'
    store.url = url.replace('webkit@', 'webkit:s3cret@')
    assert 's3cret' not in repr(store) and 'webkit:***@' in repr(store)


def test_postgresql_store_that_cannot_connect_says_so_at_start(tmp_path):
    from webkit import ConfigurationError
    pytest.importorskip('psycopg')
    with pytest.raises(ConfigurationError) as info:
        PostgreSQLStore(f'postgresql://nobody:s3cret-pw@/none?host={tmp_path}')
    assert info.value.what == 'database_url' and 's3cret' not in str(info.value)
