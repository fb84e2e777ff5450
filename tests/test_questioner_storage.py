"""The questioner's store and question definitions, on real directories."""
import json
import sqlite3
import threading

import pytest

from examples.questioner.questions import (DEFAULT_QUESTIONS, InvalidQuestion, Question,
                                           load_questions, registration_schema)
from examples.questioner.storage import (RegistrationStore, UsernameTaken, hash_password,
                                         verify_password)


@pytest.fixture
def store(tmp_path):
    return RegistrationStore(tmp_path / 'data')


def test_store_creates_its_directory_and_database(tmp_path):
    store = RegistrationStore(tmp_path / 'a' / 'b')
    assert (tmp_path / 'a' / 'b' / 'registrations.sqlite3').is_file()
    assert repr(store) == f"RegistrationStore({str(tmp_path / 'a' / 'b')!r})"


def test_store_keeps_registration_and_answers(store):
    store.add('ada', 'correct horse battery', {'quest': 'engines', 'color': 'blue'})
    found = store.get('ada')
    assert found['answers'] == {'color': 'blue', 'quest': 'engines'}
    assert found['created'].endswith('Z')
    assert store.count() == 1


def test_store_never_keeps_the_password_in_clear(store, tmp_path):
    store.add('ada', 'correct horse battery', {})
    raw = (tmp_path / 'data' / 'registrations.sqlite3').read_bytes()
    assert b'correct horse battery' not in raw
    assert store.get('ada')['password_hash'].startswith('scrypt$')
    assert store.check_password('ada', 'correct horse battery')
    assert not store.check_password('ada', 'correct horse batterY')
    assert not store.check_password('nobody', 'x')


def test_store_refuses_taken_username_case_insensitively(store):
    store.add('ada', 'password1', {})
    with pytest.raises(UsernameTaken) as info:
        store.add('Ada', 'password2', {'quest': 'x'})
    assert info.value.username == 'Ada'
    assert store.count() == 1
    assert store.is_taken('ADA') and not store.is_taken('grace')


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


def test_store_failed_insert_leaves_nothing_behind(store):
    with pytest.raises(sqlite3.Error):
        store.add('ada', 'password1', {'quest': object()})  # not storable
    assert store.count() == 0 and not store.is_taken('ada')


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
    RegistrationStore(tmp_path / 'data')
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
