"""The wiki's page store and markup, on real temporary directories."""
import errno
import multiprocessing
import os
import resource
import threading
from contextlib import contextmanager

import pytest

from examples.wiki.markup import SYNTAX, links_in, render
from examples.wiki.storage import (EditConflict, InvalidPageName, PageStore, PageTooLarge,
                                   Revision)


@pytest.fixture
def store(tmp_path):
    (tmp_path / 'canary.txt').write_text('canary')
    return PageStore(tmp_path / 'wiki')


@pytest.mark.parametrize('title', ['Front Page', 'Café Menu', '日本語のページ', 'a%2e%2e',
                                   '100% sure?', 'C++ & C#', 'x' * 60, '-'])
def test_store_names_round_trip(store, title):
    filename = store.filename_for(title)
    assert store.title_from_filename(filename) == title
    assert not filename.startswith('.') and '/' not in filename
    store.save(title, 'text', 0)
    assert store.all_pages() == [title]


@pytest.mark.parametrize('title', ['', '   ', '.', '..', '../x', 'a/b', 'a\\b', 'x\x00y',
                                   'tab\there', '.hidden', 'é' * 40, '/etc/passwd', 42])
def test_store_refuses_bad_names(store, title, tmp_path):
    with pytest.raises(InvalidPageName) as info:
        store.save(title, 'x', 0)
    assert info.value.name == title
    assert (tmp_path / 'canary.txt').read_text() == 'canary'
    assert os.listdir(tmp_path / 'wiki' / 'pages') == []


def test_store_normalizes_spacing_and_unicode(store):
    assert store.normalize_title('  Front   Page ') == 'Front Page'
    assert store.normalize_title('Cafe\u0301') == 'Café'


def test_store_revisions_history_and_diff(store):
    assert store.save('P', 'one\n', 0, summary='  first   edit ') == 1
    assert store.save('P', 'one\ntwo\r\n', 1, summary='second') == 2
    page = store.get('P')
    assert (page.rev, page.text, page.summary) == (2, 'one\ntwo\n', 'second')
    assert repr(page) == "<Revision 'P' 2>"
    assert [r.summary for r in store.history('P')] == ['second', 'first edit']
    assert store.get('P', 1).text == 'one\n'
    assert store.get('P', 3) is None and store.get('Q') is None
    assert store.diff('P', 1, 2)[-1] == '+two'
    assert store.diff('P', 1, 5) is None
    assert store.get('P').etag != store.get('P', 1).etag


def test_store_conflict_writes_nothing(store):
    store.save('P', 'first', 0)
    with pytest.raises(EditConflict) as info:
        store.save('P', 'second', 0)
    assert (info.value.title, info.value.base_rev, info.value.current_rev) == ('P', 0, 1)
    assert store.get('P').text == 'first' and store.current_rev('P') == 1


def test_store_limits_page_size(store):
    small = PageStore(store.root, max_page_bytes=10)
    with pytest.raises(PageTooLarge) as info:
        small.save('P', 'é' * 6, 0)
    assert (info.value.size, info.value.limit) == (12, 10)


def test_store_search_recent_and_exists(store):
    store.save('Alpha', 'The quick brown fox', 0)
    store.save('Beta', 'lazy dog', 0)
    assert store.search('QUICK fox') == ['Alpha']
    assert store.search('beta') == ['Beta']
    assert store.search('  ') == []
    assert PageStore(store.root).search('o', limit=1) == ['Alpha']
    assert [r.title for r in store.recent_changes()] == ['Beta', 'Alpha']
    assert store.exists('Alpha') and not store.exists('Gamma') and not store.exists('../x')


def test_store_leftover_temp_files_are_removed_and_never_listed(store, tmp_path):
    store.save('P', 'text', 0)
    page_dir = tmp_path / 'wiki' / 'pages' / 'P'
    (page_dir / '.tmp-999999999-1').write_text('{"half": ')
    old = page_dir / f'.tmp-{os.getpid()}-2'
    old.write_text('mine, from an hour ago')
    os.utime(old, (0, 0))
    live = multiprocessing.get_context('spawn').Process(target=_sleep)
    live.start()
    try:
        (page_dir / f'.tmp-{live.pid}-3').write_text('a sibling is writing this')
        assert store.get('P').text == 'text' and store.all_pages() == ['P']
        assert PageStore(store.root).cleanup() == 0  # already cleaned at start
        names = sorted(os.listdir(page_dir))
        assert names == ['.lock', f'.tmp-{live.pid}-3', '000001.json']
    finally:
        live.terminate()
        live.join()


def _sleep():
    import time
    time.sleep(30)


def test_store_planted_symlinks_are_never_followed(store, tmp_path):
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / '000001.json').write_text('{"title": "x", "text": "secret", "time": 0, '
                                         '"summary": ""}')
    (tmp_path / 'wiki' / 'pages' / 'Evil').symlink_to(outside)
    with pytest.raises(InvalidPageName):
        store.get('Evil')
    with pytest.raises(InvalidPageName):
        store.save('Evil', 'x', 0)
    assert sorted(os.listdir(outside)) == ['000001.json']
    store.save('P', 'mine', 0)
    page_dir = tmp_path / 'wiki' / 'pages' / 'P'
    (page_dir / '000002.json').symlink_to(outside / '000001.json')
    assert store.get('P', 2) is None
    assert 'secret' not in [r.text for r in store.history('P')]
    assert store.all_pages() == ['P']


@contextmanager
def disk_full_after(size):
    """Files may not grow past ``size`` bytes: the kernel refuses with EFBIG."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def test_store_failed_write_keeps_the_old_page(store, tmp_path):
    store.save('P', 'old', 0)
    with disk_full_after(4096), pytest.raises(OSError) as info:
        store.save('P', 'new ' * 10_000, 1)
    assert info.value.errno == errno.EFBIG
    assert store.get('P').text == 'old' and store.current_rev('P') == 1
    assert [n for n in os.listdir(tmp_path / 'wiki' / 'pages' / 'P')
            if n.startswith('.tmp')] == []


def test_store_revision_names_that_are_folders_do_not_count(store, tmp_path):
    store.save('P', 'old', 0)
    (tmp_path / 'wiki' / 'pages' / 'P' / '000002.json').mkdir()
    assert store.current_rev('P') == 1 and store.get('P').text == 'old'


def _save_with_retry(root, worker, count, results):
    store = PageStore(root)
    accepted = 0
    for i in range(count):
        while True:
            base = store.current_rev('Busy')
            try:
                store.save('Busy', f'worker {worker} save {i}', base)
                accepted += 1
                break
            except EditConflict:
                continue
    results.put(accepted) if hasattr(results, 'put') else results.append(accepted)


def test_store_threads_never_lose_or_duplicate_a_save(store):
    results = []
    threads = [threading.Thread(target=_save_with_retry, args=(store.root, w, 10, results))
               for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(results) == 80 == len(store.history('Busy'))
    assert store.get('Busy').text.startswith('worker ')


def test_store_processes_never_lose_or_duplicate_a_save(store):
    # spawn, not fork: forking a process that runs threads can copy held locks.
    context = multiprocessing.get_context('spawn')
    results = context.Queue()
    workers = [context.Process(target=_save_with_retry, args=(store.root, w, 10, results))
               for w in range(4)]
    for worker in workers:
        worker.start()
    accepted = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    assert sum(accepted) == 40 == len(store.history('Busy'))
    assert [r.rev for r in store.history('Busy')] == list(range(40, 0, -1))


def test_store_repr(store, tmp_path):
    assert repr(store) == f"PageStore({str(tmp_path / 'wiki')!r})"
    assert isinstance(store.get('nothing') or Revision('t', 1, '', 0, ''), Revision)


# -- markup ------------------------------------------------------------------------

def link(title):
    if '/' in title or title.startswith('.'):
        raise InvalidPageName(title, 'test')
    return '/' + title.replace(' ', '%20')


def exists(title):
    return title == 'Known'


@pytest.mark.parametrize('text, html', [
    ('plain', '<p>plain</p>'),
    ('one\ntwo\n\nthree', '<p>one two</p>\n<p>three</p>'),
    ('= Top =\n== Sub ==\n==== Deep ====', '<h2>Top</h2>\n<h3>Sub</h3>\n<h5>Deep</h5>'),
    ("''it'' '''bold''' `co<de>`", '<p><em>it</em> <strong>bold</strong> <code>co&lt;de&gt;</code></p>'),
    ('* a\n* b\n# c', '<ul><li>a</li><li>b</li></ul>\n<ol><li>c</li></ol>'),
    ('intro\n* a\ntail', '<p>intro</p>\n<ul><li>a</li></ul>\n<p>tail</p>'),
    ('[[Known]] [[New Page|new]]',
     '<p><a href="/Known">Known</a> <a href="/New%20Page" class="missing">new</a></p>'),
    ('[[../etc]] [[.x|y]]', '<p>[[../etc]] [[.x|y]]</p>'),
    ('see https://example.org/a?b=1&c=2.',
     '<p>see <a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener">'
     'https://example.org/a?b=1&amp;c=2</a>.</p>'),
    ('[https://example.org the site]',
     '<p><a href="https://example.org" rel="nofollow noopener">the site</a></p>'),
    ('{{{\n<b>raw</b>\n  kept\n}}}\nafter', '<pre>&lt;b&gt;raw&lt;/b&gt;\n  kept</pre>\n<p>after</p>'),
    ('{{{\nunclosed', '<pre>unclosed</pre>'),
])
def test_markup_renders(text, html):
    assert render(text, link, exists) == html


@pytest.mark.parametrize('text', [
    '<script>alert(1)</script>',
    '" onmouseover="alert(1)',
    'javascript:alert(1)',
    '[javascript:alert(1) x]',
    '[data:text/html,<script>alert(1)</script> x]',
    '[[x|<img src=x onerror=alert(1)>]]',
    '[https://x.org/"onmouseover=alert(1) y]',
    "''<script>''",
    '{{py:import os}}',
])
def test_markup_makes_hostile_text_inert(text):
    html = render(text, link, exists)
    assert '<script' not in html and '<img' not in html
    assert 'href="javascript' not in html and 'href="data' not in html
    assert '"onmouseover' not in html and '" onmouseover' not in html


def test_markup_links_in_and_syntax():
    assert links_in('[[A]] [[B|b]] [[A]]') == ['A', 'B']
    assert '[[Other Page]]' in SYNTAX
