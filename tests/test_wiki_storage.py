"""The wiki's page store and markup, on real temporary directories."""
import errno
import json
import multiprocessing
import os
import pickle
import resource
import signal
import threading
import time
from contextlib import contextmanager

import pytest

from examples.wiki.storage import (DiffTooLarge, EditConflict, InvalidPageName, PageStore,
                                   PageTooLarge, Revision, StoreError)


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


def _crafted(seed, size=250_000):
    """Lines each repeated just under difflib's "popular" threshold (1% + 1 of them)."""
    count = size // len('line 000000\n')
    distinct = count // (count // 100)
    return '\n'.join(f'line {(i * seed) % distinct:06d}' for i in range(count))


def test_store_diff_of_crafted_revisions_is_refused_quickly(store):
    old, new = _crafted(7), _crafted(13)
    assert 240_000 < len(old) <= store.max_page_bytes
    store.save('P', old, 0)
    store.save('P', new, 1)
    start = time.process_time()
    with pytest.raises(DiffTooLarge) as info:
        store.diff('P', 1, 2)
    assert time.process_time() - start < 0.5
    assert (info.value.title, info.value.rev_from, info.value.rev_to) == ('P', 1, 2)
    assert isinstance(info.value, StoreError) and 'revision 1 to 2' in str(info.value)
    assert repr(pickle.loads(pickle.dumps(info.value))) == "DiffTooLarge('P', 1, 2)"


def test_store_diff_of_two_large_revisions_that_differ_a_little(store):
    lines = [f'line {i}: ' + 'text ' * (i % 13) for i in range(8000)]
    old = '\n'.join(lines)[:store.max_page_bytes]
    lines[10], lines[5000:5002] = 'changed', ['inserted', 'too', 'here']
    store.save('P', old, 0)
    store.save('P', '\n'.join(lines)[:store.max_page_bytes], 1)
    start = time.process_time()
    diff = store.diff('P', 1, 2)
    assert time.process_time() - start < 0.5
    assert diff[:2] == ['--- revision 1', '+++ revision 2']
    assert '+changed' in diff and '+inserted' in diff
    assert '-line 5001: ' + 'text ' * (5001 % 13) in diff
    assert len(diff) < 40


@pytest.mark.parametrize('limit, value', [('diff_max_lines', 10), ('diff_max_chars', 200),
                                          ('diff_max_work', 50)])
def test_store_diff_budgets(store, limit, value):
    store.save('P', '\n'.join(map(str, range(100))), 0)
    store.save('P', '\n'.join(map(str, range(50, 150))), 1)
    assert len(store.diff('P', 1, 2)) > 100
    setattr(store, limit, value)
    with pytest.raises(DiffTooLarge):
        store.diff('P', 1, 2)


def test_store_diff_is_difflibs_unified_diff(store):
    import difflib
    import random
    rng = random.Random(5)
    for rev in range(1, 41):
        store.save('P', '\n'.join(rng.choice('abcde') for _ in range(rng.randrange(30))),
                   rev - 1)
    for rev in range(1, 40):
        a, b = store.get('P', rev).text, store.get('P', rev + 1).text
        assert store.diff('P', rev, rev + 1) == list(difflib.unified_diff(
            a.splitlines(), b.splitlines(), f'revision {rev}', f'revision {rev + 1}',
            lineterm=''))


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
    assert PageStore(store.root).search('bro', limit=1) == ['Alpha']   # a word's start
    assert store.search('o') == [] and store.search('ro') == []      # not its middle
    assert [r.title for r in store.recent_changes()] == ['Beta', 'Alpha']
    assert store.exists('Alpha') and not store.exists('Gamma') and not store.exists('../x')


def _read_calls():
    """How many read() system calls this process has made (Linux counts them)."""
    with open('/proc/self/io') as io:
        return next(int(line.split()[1]) for line in io if line.startswith('syscr:'))


@pytest.mark.skipif(not os.path.exists('/proc/self/io'), reason='Linux counts reads')
def test_store_recent_changes_reads_only_the_revisions_shown(store):
    for page in range(100):
        folder = store.pages / f'P{page}'
        folder.mkdir()
        for rev in range(1, 51):     # revision files as save() writes them, minus the fsyncs
            (folder / f'{rev:06d}.json').write_text(json.dumps(
                {'title': f'P{page}', 'text': '', 'time': rev * 1000 + page, 'summary': ''}))
    store = PageStore(store.root)    # a start indexes the folders it finds
    before = _read_calls()
    recent = store.recent_changes(50)
    reads = _read_calls() - before
    assert [(r.title, r.rev) for r in recent] == [(f'P{p}', 50) for p in range(99, 49, -1)]
    assert reads < 200               # the 50 files shown, not 100 pages x 50 revisions


def test_store_leftover_temp_files_are_removed_at_start_and_never_listed(store, tmp_path):
    store.save('P', 'text', 0)
    page_dir = tmp_path / 'wiki' / 'pages' / 'P'
    (page_dir / '.tmp-999999999-1').write_text('{"half": ')
    # Restarted in a container, the server often gets the pid it had before
    # the crash: a leftover naming this very process is a leftover all the same.
    (page_dir / f'.tmp-{os.getpid()}-2').write_text('{"half": ')
    assert store.get('P').text == 'text' and store.all_pages() == ['P']
    assert store.cleanup() == 2
    assert sorted(os.listdir(page_dir)) == ['.lock', '000001.json']
    (page_dir / f'.tmp-{os.getpid()}-3').write_text('{"half": ')
    PageStore(store.root)                           # a start cleans up
    assert sorted(os.listdir(page_dir)) == ['.lock', '000001.json']


def test_store_cleanup_keeps_the_file_a_live_writer_is_writing(store, tmp_path):
    store.save('P', 'text', 0)
    page_dir = tmp_path / 'wiki' / 'pages' / 'P'
    context = multiprocessing.get_context('spawn')
    locked, release = context.Event(), context.Event()
    writer = context.Process(target=_hold_lock, args=(page_dir / '.lock', locked, release))
    writer.start()
    try:
        assert locked.wait(30)
        (page_dir / f'.tmp-{writer.pid}-1').write_text('a sibling is writing this')
        PageStore(store.root)                       # a sibling worker starting
        assert store.cleanup() == 0
        assert f'.tmp-{writer.pid}-1' in os.listdir(page_dir)
    finally:
        release.set()
        writer.join(30)
    assert store.cleanup() == 1   # its writer is gone: a leftover now


def _hold_lock(path, locked, release):
    """A sibling worker in the middle of a save: it holds the page's lock."""
    import fcntl
    with open(path, 'a') as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        locked.set()
        release.wait(30)


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


@pytest.mark.parametrize('rev', [0, -1, 1_000_000, 10 ** 300],
                         ids=['0', '-1', '1000000', '10**300'])
def test_store_revision_numbers_out_of_range_are_missing(store, rev):
    store.save('P', 'text', 0)
    assert store.get('P', rev) is None and store.diff('P', 1, rev) is None


def test_store_base_revision_a_new_page_never_had_writes_nothing(store, tmp_path):
    with pytest.raises(EditConflict) as info:
        store.save('New', 'x', base_rev=3)
    assert (info.value.base_rev, info.value.current_rev) == (3, 0)
    assert os.listdir(tmp_path / 'wiki' / 'pages') == []


@pytest.mark.parametrize('folder', ['%FF', 'a%2Fb', '%2E%2E', 'caf%c3%a9', 'x%00y',
                                    'two%20%20spaces'])
def test_store_folders_that_are_not_page_names_are_ignored(store, tmp_path, folder):
    """A folder copied in by hand, or by another tool, breaks no listing."""
    store.save('Real', 'text', 0)
    planted = tmp_path / 'wiki' / 'pages' / folder
    planted.mkdir()
    (planted / '000001.json').write_text('{"title": "x", "text": "text", "time": 0, '
                                         '"summary": ""}')
    assert store.all_pages() == ['Real']
    assert [r.title for r in store.recent_changes()] == ['Real']
    assert store.search('text') == ['Real']


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


def test_store_save_fsyncs_the_file_before_moving_it_into_place_then_the_folder(
        store, tmp_path, monkeypatch):
    # A power cut cannot be staged in a test: watch the real calls instead
    # (they still run; the files are real). The revision is written under a
    # temporary name, fsync-ed, renamed into place, then the folder fsync-ed.
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(('fsync', os.path.basename(os.readlink(f'/proc/self/fd/{fd}'))))
        return real_fsync(fd)

    def replace(source, target):
        events.append(('replace', os.path.basename(source), os.path.basename(target)))
        return real_replace(source, target)

    monkeypatch.setattr(os, 'fsync', fsync)
    monkeypatch.setattr(os, 'replace', replace)
    store.save('P', 'text', 0)
    # First the index's marker for the page (see test_wiki_index.py) is made durable.
    assert len(events) == 4 and events.pop(0) == ('fsync', 'index-pending'), events
    (_, temporary), moved, folder = events
    assert temporary.startswith('.tmp-') and temporary != '000001.json'
    assert moved == ('replace', temporary, '000001.json')
    assert folder == ('fsync', 'P')
    assert store.get('P').text == 'text'


def _crash_while_saving(root):
    """Save a page too large for the file size limit, with SIGXFSZ fatal.

    The kernel kills the process in the middle of writing, as a crash
    would (Python ignores SIGXFSZ unless told otherwise).
    """
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    store = PageStore(root)
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    store.save('P', 'new ' * 10_000, 1)


def test_store_crash_in_the_middle_of_a_write_leaves_the_old_page_whole(store, tmp_path):
    store.save('P', 'old', 0)
    writer = multiprocessing.get_context('spawn').Process(target=_crash_while_saving,
                                                          args=(store.root,))
    writer.start()
    writer.join(60)
    assert writer.exitcode == -signal.SIGXFSZ          # it died mid-write
    assert store.get('P').text == 'old' and store.current_rev('P') == 1
    assert [r.text for r in store.history('P')] == ['old']
    PageStore(store.root)                               # the restart cleans up
    assert sorted(os.listdir(tmp_path / 'wiki' / 'pages' / 'P')) == ['.lock', '000001.json']


def test_store_planted_revision_symlink_neither_hides_the_page_nor_is_written_through(
        store, tmp_path):
    outside = tmp_path / 'outside.json'
    outside.write_text('{"title": "P", "text": "secret", "time": 0, "summary": ""}')
    store.save('P', 'mine', 0)
    page_dir = tmp_path / 'wiki' / 'pages' / 'P'
    (page_dir / '000002.json').symlink_to(outside)
    # The link is no revision: the page is still at 1 and can be edited.
    assert store.current_rev('P') == 1 and store.get('P').text == 'mine'
    assert store.save('P', 'next', 1) == 2
    assert store.get('P').text == 'next'
    assert not (page_dir / '000002.json').is_symlink()
    assert 'secret' in outside.read_text()


def test_store_planted_lock_symlink_creates_nothing_outside(store, tmp_path):
    store.save('P', 'mine', 0)
    page_dir = tmp_path / 'wiki' / 'pages' / 'P'
    target = tmp_path / 'made-outside'
    (page_dir / '.lock').unlink()
    (page_dir / '.lock').symlink_to(target)
    try:
        store.save('P', 'next', 1)
    except OSError:
        pass  # refusing to save is fine; writing outside the wiki is not
    (page_dir / '.tmp-1-1').write_text('{"half": ')
    assert store.cleanup() == 0          # that page is left alone; the wiki still starts
    assert PageStore(tmp_path / 'wiki').get('P').text == 'mine'
    assert not target.exists()
