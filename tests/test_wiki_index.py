"""The wiki's index: lists and search from SQLite, always what the page files say."""
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

# Hypothesis keeps its caches in ./.hypothesis unless told otherwise, and a
# folder there breaks collection (norecursedirs replaces pytest's own ignores).
os.environ.setdefault('HYPOTHESIS_STORAGE_DIRECTORY',
                      os.path.join(tempfile.gettempdir(), 'webkit-hypothesis'))

import pytest  # noqa: E402 (after the setting above)
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from examples.wiki.index import PageIndex, search_expression  # noqa: E402
from examples.wiki.storage import PageStore  # noqa: E402


@pytest.fixture
def store(tmp_path):
    return PageStore(tmp_path / 'wiki')


def truth(root):
    """What the page files say: {title: (newest rev, its text)}, read without the index."""
    pages = {}
    for folder in os.listdir(root / 'pages'):
        revisions = sorted(n for n in os.listdir(root / 'pages' / folder) if n.endswith('.json'))
        if revisions:
            record = json.loads((root / 'pages' / folder / revisions[-1]).read_text())
            pages[record['title']] = (int(revisions[-1][:6]), record['text'])
    return pages


def assert_matches_the_files(store):
    pages = truth(store.root)
    assert store.all_pages() == sorted(pages, key=str.casefold)
    assert store.page_count() == len(pages)
    for title, (rev, text) in pages.items():
        word = text.split()[-1] if text.split() else None
        if word:
            assert title in store.search(word, limit=1000), (title, word)
    newest = {}
    for revision in store.recent_changes(limit=10_000):
        newest.setdefault(revision.title, revision.rev)
    assert newest == {title: rev for title, (rev, _) in pages.items()}


def test_index_lists_pages_in_order_and_in_pages(store):
    for title in ['beta', 'Alpha', 'Gamma', 'delta', 'Épée']:
        store.save(title, f'text of {title}', 0)
    assert store.all_pages() == ['Alpha', 'beta', 'delta', 'Gamma', 'Épée']
    assert store.all_pages(offset=1, limit=2) == ['beta', 'delta']
    assert store.all_pages(offset=4) == ['Épée'] and store.all_pages(offset=9) == []
    assert store.page_count() == 5
    assert (store.root / 'index.sqlite3').is_file()


def test_index_recent_changes_come_in_pages_newest_first(store):
    for i in range(5):
        store.save('P', f'text {i}', i)
        store.save(f'Q{i}', 'x', 0)
    recent = store.recent_changes(limit=4)
    assert [(r.title, r.rev) for r in recent] == [('Q4', 1), ('P', 5), ('Q3', 1), ('P', 4)]
    assert recent[1].text == 'text 4' and recent[1].summary == ''
    assert [(r.title, r.rev) for r in store.recent_changes(limit=2, offset=8)] == [
        ('Q0', 1), ('P', 1)]
    assert store.recent_changes(limit=5, offset=10) == []


def test_index_search_words_case_accents_and_prefixes(store):
    store.save('Café Menu', 'Soup of the day, bread and olives', 0)
    store.save('Soup', 'see the menu', 0)
    store.save('Other', 'nothing here', 0)
    assert sorted(store.search('soup')) == ['Café Menu', 'Soup']
    assert store.search('soup')[0] == 'Soup'            # a title match ranks first
    assert store.search('cafe') == ['Café Menu'] == store.search('CAFÉ')
    assert store.search('oliv bread') == ['Café Menu']  # every word, prefixes of 3+
    assert store.search('ol') == [] and store.search('soup nothing') == []
    assert len(store.search('the', limit=1)) == 1 and len(store.search('the', offset=1)) == 1


def test_index_search_follows_edits(store):
    store.save('P', 'apples', 0)
    store.save('P', 'pears', 1)
    assert store.search('apples') == [] and store.search('pears') == ['P']


@pytest.mark.parametrize('query', ['"', '*', 'AND', 'a OR', 'NEAR(a b)', '(', '^x', 'x:y',
                                   '"unclosed', '-x', '+', '\x00', '\ud800', 'col:', '{a b}',
                                   'title:x', '🙂', '²', 'ǅ', '٣'])
def test_index_search_query_syntax_is_only_text(store, query):
    store.save('P', 'AND OR NEAR title x y', 0)
    assert isinstance(store.search(query), list)


@settings(max_examples=200, deadline=None, database=None)
@given(st.text())
def test_index_any_query_is_safe(tmp_path_factory, query):
    root = tmp_path_factory.getbasetemp() / 'any-query'
    store = PageStore(root)
    if not store.page_count():
        store.save('P', 'words AND OR NEAR and more', 0)
    assert isinstance(store.search(query), list)
    expression = search_expression(query)
    assert expression is None or re.fullmatch(r'"[^\W_]+"\*?( "[^\W_]+"\*?)*', expression)


def test_index_missing_is_rebuilt_at_start(store):
    for i in range(30):
        store.save(f'Page {i}', f'text number{i}', 0)
    store.save('Page 3', 'changed words', 1)
    for suffix in ('', '-wal', '-shm'):
        (store.root / f'index.sqlite3{suffix}').unlink(missing_ok=True)
    assert_matches_the_files(PageStore(store.root))


def test_index_damaged_is_rebuilt_at_start(store):
    store.save('P', 'text here', 0)
    store.index._connection().close()
    for suffix in ('-wal', '-shm'):
        (store.root / f'index.sqlite3{suffix}').unlink(missing_ok=True)
    (store.root / 'index.sqlite3').write_bytes(b'not a database ' * 1000)
    again = PageStore(store.root)
    assert again.all_pages() == ['P'] and again.search('here') == ['P']


def test_index_of_an_older_layout_is_rebuilt(store):
    store.save('P', 'text here', 0)
    store.index._connection().execute('PRAGMA user_version = 999')
    assert PageStore(store.root).all_pages() == ['P']


def test_index_folders_added_or_removed_by_hand_are_seen_at_start(store):
    store.save('Kept', 'kept', 0)
    store.save('Removed', 'removed', 0)
    folder = store.pages / 'Copied'
    folder.mkdir()
    (folder / '000001.json').write_text(json.dumps(
        {'title': 'Copied', 'text': 'copied in', 'time': time.time(), 'summary': ''}))
    for name in os.listdir(store.pages / 'Removed'):
        os.unlink(store.pages / 'Removed' / name)
    os.rmdir(store.pages / 'Removed')
    (store.pages / '%FF').mkdir()                       # not a page name: never listed
    again = PageStore(store.root)
    assert again.all_pages() == ['Copied', 'Kept'] and again.search('copied') == ['Copied']
    assert_matches_the_files(again)


def test_index_page_edited_by_hand_is_reindexed_on_request(store):
    store.save('P', 'old words', 0)
    (store.pages / 'P' / '000002.json').write_text(json.dumps(
        {'title': 'P', 'text': 'new words', 'time': time.time(), 'summary': ''}))
    assert store.search('new') == []                    # not noticed by itself
    store.reindex('P')
    assert store.search('new') == ['P'] and store.recent_changes()[0].rev == 2
    store.save('Q', 'q', 0)
    (store.pages / 'Q' / '000001.json').unlink()
    store.reindex()
    assert_matches_the_files(store)


def test_index_marker_of_a_dead_writer_is_repaired_by_the_next_read(store):
    """A writer killed after writing its revision, before indexing it."""
    store.save('P', 'old words', 0)
    (store.pending / 'P').touch()
    (store.pages / 'P' / '000002.json').write_text(json.dumps(
        {'title': 'P', 'text': 'new words', 'time': time.time(), 'summary': ''}))
    assert store.search('new') == ['P']                 # the same process, no restart
    assert os.listdir(store.pending) == []
    assert_matches_the_files(store)


def test_index_marker_of_a_live_writer_is_left_alone(store):
    store.save('P', 'old words', 0)
    holder = subprocess.Popen(
        [sys.executable, '-c', 'import fcntl, sys; f = open(sys.argv[1], "a"); '
         'fcntl.flock(f, fcntl.LOCK_EX); print("locked", flush=True); sys.stdin.read()',
         str(store.pages / 'P' / '.lock')], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == b'locked\n'
        (store.pending / 'P').touch()
        assert store.search('old') == ['P'] and os.listdir(store.pending) == ['P']
    finally:
        holder.stdin.close()
        holder.wait(10)
    assert store.search('old') == ['P'] and os.listdir(store.pending) == []


def test_index_next_save_after_a_dead_writer_indexes_the_whole_page(store):
    store.save('P', 'one', 0)
    (store.pending / 'P').touch()                       # the writer of revision 2 died...
    (store.pages / 'P' / '000002.json').write_text(json.dumps(
        {'title': 'P', 'text': 'two', 'time': time.time(), 'summary': ''}))
    store._repair_index = lambda: None                  # ...and no read came in between
    store.save('P', 'three', 2)
    assert [r.rev for r in store.recent_changes()] == [3, 2, 1]
    assert os.listdir(store.pending) == []


def test_index_failing_to_update_keeps_the_save_and_repairs_later(store, monkeypatch, caplog):
    store.save('P', 'one', 0)

    def broken(*args):
        raise sqlite3.OperationalError('database or disk is full')
    monkeypatch.setattr(PageIndex, 'add', broken)
    assert store.save('P', 'two', 1) == 2               # the page is saved all the same
    assert 'the index missed revision 2' in caplog.text
    assert os.listdir(store.pending) == ['P']
    monkeypatch.undo()
    assert store.search('two') == ['P'] and os.listdir(store.pending) == []


def test_index_is_shared_by_processes(store):
    code = ('import sys; from examples.wiki.storage import PageStore; '
            's = PageStore(sys.argv[1]); [s.save(f"W{sys.argv[2]} {i}", "shared words", 0) '
            'for i in range(20)]')
    workers = [subprocess.Popen([sys.executable, '-c', code, str(store.root), str(w)])
               for w in range(4)]
    assert [w.wait(60) for w in workers] == [0, 0, 0, 0]
    assert store.page_count() == 80 and len(store.search('shared', limit=100)) == 80
    assert_matches_the_files(store)


_SAVER = '''
import random, sys
from examples.wiki.storage import EditConflict, PageStore
store = PageStore(sys.argv[1])
rng = random.Random(int(sys.argv[2]))
print('ready', flush=True)
while True:
    title = f'Page {rng.randrange(40)}'
    try:
        store.save(title, f'{title} text word{rng.randrange(10**6)}', store.current_rev(title))
    except EditConflict:
        pass
'''


def test_index_stays_right_when_writers_are_killed_mid_save(tmp_path):
    """SIGKILL two writing processes at random moments; restarted, the index is the files."""
    root = tmp_path / 'wiki'
    PageStore(root)
    marked = 0
    for round in range(6):
        writers = [subprocess.Popen([sys.executable, '-c', _SAVER, str(root), f'{round}{w}'],
                                    stdout=subprocess.PIPE) for w in range(2)]
        for writer in writers:
            assert writer.stdout.readline() == b'ready\n'
        time.sleep(random.uniform(0.2, 0.6))
        for writer in writers:
            writer.send_signal(signal.SIGKILL)
        for writer in writers:
            writer.wait(10)
            writer.stdout.close()
        marked += bool(os.listdir(root / 'index-pending'))
        assert_matches_the_files(PageStore(root))       # a restart, on the same folder
        assert os.listdir(root / 'index-pending') == []
    assert truth(root) and marked >= 1                  # some kills did land mid-save
