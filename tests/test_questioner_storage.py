"""The questioner's SQLite store, password hashing and question definitions.

What every store does is tested on both backends in test_questioner_postgres.py.
"""
import json
import sqlite3
import threading

import pytest

from examples.questioner.questions import (DEFAULT_QUESTIONS, InvalidQuestion, Question,
                                           load_questions, registration_schema)
from examples.questioner.storage import (SCRYPT, SQLiteStore, UsernameTaken, hash_password,
                                         verify_password)


@pytest.fixture
def store(tmp_path):
    return SQLiteStore(tmp_path / 'data')


def test_store_creates_its_directory_and_database(tmp_path):
    store = SQLiteStore(tmp_path / 'a' / 'b')
    assert (tmp_path / 'a' / 'b' / 'registrations.sqlite3').is_file()
    assert repr(store) == f"SQLiteStore({str(tmp_path / 'a' / 'b')!r})"


def test_store_never_keeps_the_password_in_clear(store, tmp_path):
    store.add('ada', 'correct horse battery', {})
    raw = (tmp_path / 'data' / 'registrations.sqlite3').read_bytes()
    assert b'correct horse battery' not in raw
    assert store.get('ada')['password_hash'].startswith('scrypt$')
    assert store.check_password('ada', 'correct horse battery')
    assert not store.check_password('ada', 'correct horse batterY')
    assert not store.check_password('nobody', 'x')


def test_store_race_of_same_username_has_one_winner(store):
    barrier = threading.Barrier(8)
    outcomes = []

    def register(i):
        barrier.wait(timeout=10)
        try:
            store.add('racer', f'password{i}', {'n': str(i)})
            outcomes.append('won')
        except UsernameTaken:
            outcomes.append('taken')

    threads = [threading.Thread(target=register, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ['taken'] * 7 + ['won']
    assert store.count() == 1


def test_password_hashes_are_salted_and_verified():
    first, second = hash_password('secret'), hash_password('secret')
    assert first != second
    assert verify_password(first, 'secret') and not verify_password(first, 'Secret')
    assert hash_password('x', salt=b'0' * 16) == hash_password('x', salt=b'0' * 16)


def test_verify_password_refuses_unknown_scheme():
    with pytest.raises(ValueError):
        verify_password('md5$1$1$1$AA==$AA==', 'x')


@pytest.mark.parametrize('kwargs, problem_part', [
    ({'name': 'Bad Name', 'label': 'x'}, 'lowercase letters'),
    ({'name': '"><script>', 'label': 'x'}, 'lowercase letters'),
    ({'name': 'username', 'label': 'x'}, 'reserved'),
    ({'name': 'csrf_token', 'label': 'x'}, 'reserved'),
    ({'name': 'q', 'label': 'x', 'kind': 'essay'}, 'kind must be one of'),
    ({'name': 'q', 'label': 'x', 'kind': 'choice'}, 'needs choices'),
    ({'name': 'q', 'label': 'x', 'choices': ['a']}, 'needs choices'),
    ({'name': 'form', 'label': 'x'}, 'reserved'),  # the key of form-wide errors
    ({'name': 'q', 'label': 'x', 'kind': 'choice', 'choices': 'abc'}, 'list of texts'),
    ({'name': 'q', 'label': 'x', 'kind': 'choice', 'choices': ['a', 1]}, 'list of texts'),
    ({'name': 'q', 'label': 'x', 'kind': 'choice', 'choices': ['a', '']}, 'list of texts'),
    ({'name': 'q', 'label': 'x', 'required': 'no'}, 'true or false'),
    ({'name': 'q', 'label': 'x', 'max_length': '40'}, 'max_length'),
    ({'name': 'q', 'label': 'x', 'max_length': 0}, 'max_length'),
    ({'name': 'q', 'label': ''}, 'label'),
    ({'name': 'q', 'label': ['x']}, 'label'),
])
def test_question_refuses_bad_definitions(kwargs, problem_part):
    with pytest.raises(InvalidQuestion) as info:
        Question(**kwargs)
    assert problem_part in info.value.problem


def test_load_questions_reads_json(tmp_path):
    path = tmp_path / 'q.json'
    path.write_text(json.dumps([{'name': 'pet', 'label': 'Your pet?'},
                                {'name': 'size', 'label': 'Size', 'kind': 'choice',
                                 'choices': ['S', 'M']}]))
    questions = load_questions(path)
    assert [repr(q) for q in questions] == [
        "Question('pet', 'Your pet?', kind='text')",
        "Question('size', 'Size', kind='choice')"]


@pytest.mark.parametrize('content, name', [
    ({'name': 'x'}, None),
    ([{'name': 'x', 'label': 'a'}, {'name': 'x', 'label': 'b'}], 'x'),
    ([{'name': 'x', 'label': 'a', 'colour': 'red'}], 'x'),
])
def test_load_questions_refuses_bad_files(tmp_path, content, name):
    path = tmp_path / 'q.json'
    path.write_text(json.dumps(content))
    with pytest.raises(InvalidQuestion) as info:
        load_questions(path)
    assert info.value.name in (name, str(path))


def test_schema_filters_extra_fields_and_checks_everything():
    schema = registration_schema(DEFAULT_QUESTIONS)
    values = schema.to_python({'username': 'ada', 'password': 'password1',
                               'password_confirm': 'password1', 'name': 'Ada',
                               'quest': 'engines', 'color': 'red', 'is_admin': '1'})
    assert 'is_admin' not in values
    assert values['color'] == 'red'


@pytest.mark.parametrize('content', ['[{"name": "x", "label": "a"},]', '', '\xff'])
def test_load_questions_names_the_file_it_cannot_read(tmp_path, content):
    path = tmp_path / 'q.json'
    path.write_bytes(content.encode('latin-1'))
    with pytest.raises(InvalidQuestion) as info:
        load_questions(path)
    assert info.value.name == str(path)
    assert info.value.problem.startswith('not valid JSON: ')


def test_load_questions_missing_file_is_an_invalid_question(tmp_path):
    with pytest.raises(InvalidQuestion) as info:
        load_questions(tmp_path / 'nothere.json')
    assert info.value.problem.startswith('cannot read it: ')


def test_store_keeps_its_new_directory_private(tmp_path):
    SQLiteStore(tmp_path / 'data')
    assert (tmp_path / 'data').stat().st_mode & 0o777 == 0o700


def test_verify_password_accepts_a_costlier_hash_than_the_default():
    # Raising the cost past hashlib's 32 MiB default memory cap must not
    # turn every login into an error.
    import base64
    import hashlib
    salt = b's' * 16
    digest = hashlib.scrypt(b'secret', salt=salt, n=2 ** 15, r=8, p=1, maxmem=64 * 2 ** 20)
    stored = (f'scrypt${2 ** 15}$8$1${base64.b64encode(salt).decode()}$'
              f'{base64.b64encode(digest).decode()}')
    assert verify_password(stored, 'secret') and not verify_password(stored, 'Secret')


def test_password_hash_uses_owasp_scrypt_parameters():
    # OWASP Password Storage Cheat Sheet: n=2**17, r=8, p=1 at least.
    assert SCRYPT == {'n': 2 ** 17, 'r': 8, 'p': 1}
    scheme, n, r, p, salt, digest = hash_password('secret').split('$')
    assert (scheme, int(n), int(r), int(p)) == ('scrypt', 2 ** 17, 8, 1)
    import base64
    assert len(base64.b64decode(salt)) == 16 and len(base64.b64decode(digest)) == 64


def test_verify_password_accepts_hashes_made_with_the_old_parameters():
    # Stored before the cost was raised: the parameters travel with each hash.
    old = hash_password('secret', n=2 ** 14)
    assert old.startswith('scrypt$16384$8$1$')
    assert verify_password(old, 'secret') and not verify_password(old, 'Secret')


def test_store_keeps_verifying_a_hash_stored_with_the_old_parameters(store, tmp_path):
    store.add('ada', 'password1', {})
    with sqlite3.connect(tmp_path / 'data' / 'registrations.sqlite3') as db:
        db.execute('UPDATE registrations SET password_hash = ?',
                   (hash_password('old-secret', n=2 ** 14),))
    assert store.check_password('ada', 'old-secret')
    assert not store.check_password('ada', 'password1')


@pytest.mark.parametrize('n, r, p', [(2 ** 21, 8, 1), (2 ** 14, 8, 16), (2 ** 14, 128, 1)])
def test_verify_password_refuses_parameters_beyond_its_bounds(n, r, p):
    # A tampered row must not make one login cost gigabytes of memory.
    with pytest.raises(ValueError) as info:
        verify_password(f'scrypt${n}${r}${p}$AAAA$AAAA', 'x')
    assert 'beyond' in str(info.value)
