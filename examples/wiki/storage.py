"""Wiki pages as files: every revision kept, every write atomic and durable.

``PageStore(root)`` keeps one folder per page under ``root/pages``; each
revision is one JSON file (``000001.json``, ...) holding the text, the
time and the edit summary. A revision file is written to a temporary
file in the same folder, flushed, ``fsync``-ed, moved into place with
``os.replace`` and the folder ``fsync``-ed: a crash leaves the complete
old page or the complete new one, never half of either::

    >>> store = PageStore(getfixture('tmp_path') / 'wiki')
    >>> store.save('Café Menu', 'Soup of the day', base_rev=0, summary='first')
    1
    >>> store.get('Café Menu').text
    'Soup of the day'
    >>> store.save('Café Menu', 'Bread', base_rev=0)
    Traceback (most recent call last):
    ...
    examples.wiki.storage.EditConflict: 'Café Menu' is at revision 1, the edit started from 0

The page list, recent changes and search come from an index beside the
pages (``index.sqlite3``, see :mod:`examples.wiki.index`), which a save
updates and a start rebuilds when it is missing or behind::

    >>> store.search('soup'), store.all_pages(), store.page_count()
    (['Café Menu'], ['Café Menu'], 1)

Page names are human titles; they map to folder names reversibly, and
no name can reach outside ``root``::

    >>> store.filename_for('Café Menu')
    'Caf%C3%A9%20Menu'
    >>> store.get('../secret')
    Traceback (most recent call last):
    ...
    examples.wiki.storage.InvalidPageName: invalid page name '../secret': it may not contain "/" or "\\"
"""
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import sqlite3
import stat
import time
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, unquote

from .diff import OverBudget, unified_diff
from .index import PageIndex

__all__ = ['PageStore', 'Revision', 'StoreError', 'InvalidPageName', 'EditConflict',
           'PageTooLarge', 'DiffTooLarge']

log = logging.getLogger(__name__)

_REVISION = re.compile(r'(\d{6})\.json\Z')
_TEMP_PREFIX = '.tmp-'
_MAX_REV = 999_999              # revision files are named with six digits
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')
MAX_NAME_BYTES = 200


class StoreError(Exception):
    """Base of the errors :class:`PageStore` raises about pages."""


class InvalidPageName(StoreError, ValueError):
    """``name`` cannot be a page title; ``reason`` says why."""

    def __init__(self, name, reason):
        super().__init__(name, reason)
        self.name = name
        self.reason = reason

    def __str__(self):
        return f'invalid page name {self.name!r}: {self.reason}'


class EditConflict(StoreError):
    """``title`` moved on to ``current_rev`` after an edit began at ``base_rev``."""

    def __init__(self, title, base_rev, current_rev):
        super().__init__(title, base_rev, current_rev)
        self.title = title
        self.base_rev = base_rev
        self.current_rev = current_rev

    def __str__(self):
        return (f'{self.title!r} is at revision {self.current_rev}, '
                f'the edit started from {self.base_rev}')


class PageTooLarge(StoreError, ValueError):
    """A text of ``size`` bytes is over the store's ``limit``."""

    def __init__(self, size, limit):
        super().__init__(size, limit)
        self.size = size
        self.limit = limit

    def __str__(self):
        return f'the page is {self.size} bytes; at most {self.limit} are kept'


class DiffTooLarge(StoreError, ValueError):
    """The changes to ``title`` from ``rev_from`` to ``rev_to`` are too many to show."""

    def __init__(self, title, rev_from, rev_to):
        super().__init__(title, rev_from, rev_to)
        self.title = title
        self.rev_from = rev_from
        self.rev_to = rev_to

    def __str__(self):
        return (f'the changes to {self.title!r} from revision {self.rev_from} to '
                f'{self.rev_to} are too many to show; compare the two revisions instead')


class Revision:
    """One revision of a page: ``title``, ``rev``, ``text``, ``timestamp``, ``summary``."""

    __slots__ = ('title', 'rev', 'text', 'timestamp', 'summary')

    def __init__(self, title, rev, text, timestamp, summary):
        self.title = title
        self.rev = rev
        self.text = text
        self.timestamp = timestamp      # seconds since the epoch, UTC
        self.summary = summary

    def __repr__(self):
        return f'<Revision {self.title!r} {self.rev}>'

    @property
    def etag(self):
        """An entity tag that changes whenever the page does."""
        return hashlib.sha256(f'{self.title}\0{self.rev}'.encode()).hexdigest()[:32]


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class PageStore:
    """The pages kept under ``root`` (created if missing)."""

    diff_max_work = 1_000_000       # about 0.1 s of difflib matching here
    diff_max_lines = 20_000
    diff_max_chars = 1_000_000

    def __init__(self, root, max_page_bytes=256 * 1024):
        self.root = Path(root)
        self.pages = self.root / 'pages'
        self.pages.mkdir(parents=True, exist_ok=True)
        self.pending = self.root / 'index-pending'     # see examples.wiki.index
        self.pending.mkdir(exist_ok=True)
        self.max_page_bytes = max_page_bytes
        self.cleanup()
        self.index = PageIndex(self.root / 'index.sqlite3')
        self._repair_index()
        self.reindex(only_missing=True)

    def __repr__(self):
        return f'PageStore({str(self.root)!r})'

    # -- names ------------------------------------------------------------

    @staticmethod
    def normalize_title(name):
        """The canonical form of a title, or :class:`InvalidPageName`."""
        if not isinstance(name, str):
            raise InvalidPageName(name, 'a title is text')
        title = ' '.join(unicodedata.normalize('NFC', name).split())
        if not title:
            raise InvalidPageName(name, 'it is empty')
        if '/' in title or '\\' in title:
            raise InvalidPageName(name, 'it may not contain "/" or "\\"')
        if _CONTROL.search(name):
            raise InvalidPageName(name, 'it may not contain control characters')
        if title.startswith('.'):
            raise InvalidPageName(name, 'it may not start with "."')
        if len(quote(title, safe='')) > MAX_NAME_BYTES:
            raise InvalidPageName(name, 'it is too long')
        return title

    def filename_for(self, title):
        """The folder name of ``title``: its UTF-8 bytes percent-encoded.

        Only letters, digits, ``-`` and ``_`` stay as they are, so a folder
        name never starts with a dot and never holds a separator.
        """
        return quote(self.normalize_title(title), safe='')

    @staticmethod
    def title_from_filename(filename):
        """The title a folder name stands for (the inverse of :meth:`filename_for`)."""
        return unquote(filename, errors='strict')

    def check_title(self, title):
        """The canonical form of ``title``, checked against its folder too.

        Raises :class:`InvalidPageName` for a bad name, or for a page whose
        folder is not a plain folder of the wiki (a planted symlink).
        """
        title = self.normalize_title(title)
        self._page_dir(title)
        return title

    def _page_dir(self, title):
        path = self.pages / self.filename_for(title)
        # The name is one path component, never "." or "..": only a folder
        # planted as a symlink could lead elsewhere. (One lstat, where
        # resolve() costs one per path component: a page may link to
        # thousands of others, each looked up on every view.)
        if path.is_symlink():
            raise InvalidPageName(title, 'its folder is not a plain folder of the wiki')
        return path

    def _title_of(self, filename):
        """The title of a page folder; None for a name the wiki would not make."""
        try:
            title = self.title_from_filename(filename)
            return title if self.filename_for(title) == filename else None
        except (UnicodeDecodeError, InvalidPageName):
            return None   # a folder copied in by hand: listed nowhere, never a 500

    # -- reading ------------------------------------------------------------

    def _revisions(self, page_dir):
        try:
            entries = list(os.scandir(page_dir))
        except FileNotFoundError:
            return []
        # Only regular files count: never a planted symlink or a folder.
        return sorted(int(found[1]) for entry in entries
                      if (found := _REVISION.match(entry.name))
                      and entry.is_file(follow_symlinks=False))

    def _read(self, page_dir, rev):
        if not 0 < rev <= _MAX_REV:  # 10**300 would make a name too long: OSError
            return None
        try:
            fd = os.open(page_dir / f'{rev:06d}.json', os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as error:
            if error.errno in (errno.ENOENT, errno.ELOOP):
                return None  # missing, or a planted symlink: never followed
            raise
        try:  # os.read, not a file object: three system calls for a page, not eight
            data = json.loads(b''.join(iter(lambda: os.read(fd, 1 << 20), b'')))
        finally:
            os.close(fd)
        return Revision(data['title'], rev, data['text'], data['time'], data['summary'])

    def current_rev(self, title):
        """The newest revision number of ``title``, 0 when it has none."""
        revisions = self._revisions(self._page_dir(title))
        return revisions[-1] if revisions else 0

    def get(self, title, rev=None):
        """Revision ``rev`` (default: the newest) of ``title``, or None."""
        page_dir = self._page_dir(title)
        if rev is None:
            revisions = self._revisions(page_dir)
            if not revisions:
                return None
            rev = revisions[-1]
        return self._read(page_dir, rev)

    def exists(self, title):
        """Whether ``title`` has at least one revision (invalid names do not)."""
        return self.created(title) is not None

    def created(self, title):
        """When ``title`` got its first revision (a timestamp), or None if it has none.

        One ``lstat`` of revision 1, which every page keeps for good: cheap
        enough for each of the thousands of pages one page may link to.
        """
        try:
            info = os.stat(self._page_dir(title) / '000001.json', follow_symlinks=False)
        except (FileNotFoundError, InvalidPageName):
            return None
        return info.st_mtime if stat.S_ISREG(info.st_mode) else None

    def history(self, title, before=None, limit=None):
        """The revisions of ``title`` older than ``before`` (default: all), newest first.

        At most ``limit`` of them, and only those are read: a page may have
        thousands.
        """
        page_dir = self._page_dir(title)
        numbers = [rev for rev in reversed(self._revisions(page_dir))
                   if before is None or rev < before]
        found = (self._read(page_dir, rev) for rev in numbers[:limit])
        return [revision for revision in found if revision is not None]

    def all_pages(self, offset=0, limit=None):
        """The titles of the pages, sorted (case ignored): ``limit`` from ``offset``."""
        self._repair_index()
        return self.index.titles(offset, limit)

    def page_count(self):
        """How many pages the wiki has."""
        self._repair_index()
        return self.index.count()

    def recent_changes(self, limit=50, offset=0):
        """The newest revisions across the wiki, newest first: ``limit`` from ``offset``."""
        self._repair_index()
        found = (self._read(self.pages / folder, rev)
                 for folder, rev in self.index.recent(limit, offset))
        return [revision for revision in found if revision is not None]

    def search(self, query, limit=50, offset=0):
        """Titles of pages whose title or text holds every word of ``query``, best first.

        Words match whole words, or word beginnings when three letters or
        longer, in any case and with or without accents. Any string is a
        valid query: one with no words finds nothing.
        """
        self._repair_index()
        return self.index.search(query, limit, offset)

    def diff(self, title, rev_from, rev_to):
        """The unified diff from revision ``rev_from`` to ``rev_to``, as lines.

        None when either revision is missing; :class:`DiffTooLarge` when the
        comparison would cost more than :attr:`diff_max_work` steps, or the
        diff would hold more than :attr:`diff_max_lines` lines or
        :attr:`diff_max_chars` characters. (Two texts of lines each repeated
        just under difflib's "popular" threshold cost it seconds to minutes.)
        """
        page_dir = self._page_dir(title)
        old, new = self._read(page_dir, rev_from), self._read(page_dir, rev_to)
        if old is None or new is None:
            return None
        try:
            return unified_diff(old.text.splitlines(), new.text.splitlines(),
                                f'revision {rev_from}', f'revision {rev_to}',
                                max_work=self.diff_max_work, max_lines=self.diff_max_lines,
                                max_chars=self.diff_max_chars)
        except OverBudget:
            raise DiffTooLarge(title, rev_from, rev_to) from None

    # -- writing ------------------------------------------------------------

    @contextmanager
    def _locked(self, page_dir, wait=True):
        # flock on a file of the page: exclusive across processes and across
        # threads alike, since each holder opens the file anew. Without
        # ``wait``, a lock held elsewhere raises BlockingIOError.
        fd = os.open(page_dir / '.lock', os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            yield
        finally:
            os.close(fd)

    def save(self, title, text, base_rev, summary=''):
        """Store ``text`` as the next revision of ``title``; returns its number.

        ``base_rev`` is the revision the edit started from (0 for a new
        page); if the page has moved on, :class:`EditConflict` is raised
        and nothing is written.
        """
        title = self.normalize_title(title)
        text = text.replace('\r\n', '\n').replace('\r', '\n')
        size = len(text.encode('utf-8'))
        if size > self.max_page_bytes:
            raise PageTooLarge(size, self.max_page_bytes)
        page_dir = self._page_dir(title)
        if base_rev != 0 and not page_dir.is_dir():
            raise EditConflict(title, base_rev, 0)  # and no folder made for nothing
        page_dir.mkdir(exist_ok=True)
        with self._locked(page_dir):
            revisions = self._revisions(page_dir)
            current = revisions[-1] if revisions else 0
            if current != base_rev:
                raise EditConflict(title, base_rev, current)
            record = {'title': title, 'text': text, 'time': time.time(),
                      'summary': ' '.join(str(summary).split())[:200]}
            marker = self.pending / page_dir.name
            interrupted = _mark(marker)     # an earlier writer of this page died
            self._write_atomically(page_dir, f'{current + 1:06d}.json',
                                   json.dumps(record, ensure_ascii=False).encode('utf-8'))
            self._index_saved(page_dir.name, title, current + 1, record, interrupted)
        return current + 1

    def _index_saved(self, folder, title, rev, record, interrupted):
        try:
            with self.index.writing() as db:
                if not interrupted and (rev == 1 or PageIndex.has(db, folder)):
                    PageIndex.add(db, folder, title, rev, record['time'], record['text'])
                else:
                    self._reindex_page(db, folder)
        except sqlite3.Error:  # the page is saved all the same; the marker stays
            log.exception('the index missed revision %s of %r; the next read adds it',
                          rev, title)
            return
        os.unlink(self.pending / folder)

    def _write_atomically(self, folder, name, data):
        temp = folder / f'{_TEMP_PREFIX}{os.getpid()}-{time.monotonic_ns()}'
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        try:
            with os.fdopen(fd, 'wb') as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, folder / name)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        _fsync_dir(folder)

    # -- the index (see examples.wiki.index) -----------------------------------------

    def reindex(self, title=None, only_missing=False):
        """Index ``title`` again from its files; without a title, every page.

        For pages edited by hand. ``only_missing`` indexes only the folders
        the index lacks (and forgets pages whose folder is gone): what every
        start does. Goes in batches, so an interrupted rebuild keeps its work.
        """
        if title is not None:
            with self.index.writing() as db:
                self._reindex_page(db, self.filename_for(title))
            return
        on_disk = {entry.name for entry in os.scandir(self.pages)
                   if entry.is_dir(follow_symlinks=False)}
        indexed = self.index.folders()
        gone = indexed - on_disk
        todo = sorted(on_disk - indexed if only_missing else on_disk)
        if gone:
            with self.index.writing() as db:
                for folder in gone:
                    if not (self.pages / folder).is_dir():  # still gone, now we hold the lock
                        PageIndex.drop(db, folder)
        for start in range(0, len(todo), 500):
            with self.index.writing() as db:
                for folder in todo[start:start + 500]:
                    if not (only_missing and PageIndex.has(db, folder)):
                        self._reindex_page(db, folder)

    def _reindex_page(self, db, folder):
        """Index the page in ``folder`` as its files have it (inside a write transaction)."""
        title = self._title_of(folder)
        page_dir = self.pages / folder
        revisions = []
        if title is not None and not page_dir.is_symlink():
            for rev in self._revisions(page_dir):
                try:
                    revision = self._read(page_dir, rev)
                except (ValueError, KeyError, TypeError):  # damaged by hand: not listed
                    continue
                if revision is not None:
                    revisions.append(revision)
        PageIndex.drop(db, folder)
        if revisions:
            PageIndex.put(db, folder, title, [(r.rev, r.timestamp) for r in revisions],
                          revisions[-1].text)

    def _repair_index(self):
        """Reindex the pages whose writer left a marker and is gone (its lock is free)."""
        try:
            markers = os.listdir(self.pending)
        except FileNotFoundError:
            return
        for folder in markers:
            try:
                with self._locked(self.pages / folder, wait=False):
                    if os.path.exists(self.pending / folder):
                        with self.index.writing() as db:
                            self._reindex_page(db, folder)
                        (self.pending / folder).unlink(missing_ok=True)
            except FileNotFoundError:         # its folder is gone
                with self.index.writing() as db:
                    PageIndex.drop(db, folder)
                (self.pending / folder).unlink(missing_ok=True)
            except OSError:                   # a live writer holds the lock
                continue

    def cleanup(self):
        """Remove temporary files a crash left behind; returns how many.

        A writer holds its page's lock from creating its temporary file to
        moving it into place, so a temporary file found under the lock is a
        leftover, whatever process named it. (Process ids are no guide: a
        restarted container often gets the very pid that crashed.) A page
        whose lock is held, by a sibling worker in the middle of a save, is
        left for the next start.
        """
        removed = 0
        for page in os.scandir(self.pages):
            if not (page.is_dir(follow_symlinks=False) and _temp_files(page.path)):
                continue
            try:
                with self._locked(Path(page.path), wait=False):
                    for path in _temp_files(page.path):
                        os.unlink(path)
                        removed += 1
            except OSError:  # held by a live writer, or a planted .lock: leave it
                continue
        return removed


def _mark(marker):
    """Create the empty file ``marker`` for good; whether it was there already."""
    try:
        os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644))
    except FileExistsError:
        return True
    _fsync_dir(marker.parent)
    return False


def _temp_files(folder):
    return [entry.path for entry in os.scandir(folder)
            if entry.name.startswith(_TEMP_PREFIX) and entry.is_file(follow_symlinks=False)]

