"""The wiki's index: the page list, recent changes and search, fast at 50,000 pages.

The page files stay the truth; ``index.sqlite3`` beside them is a copy
that can always be rebuilt from them (delete it and the next start does).
It is SQLite in WAL mode, so the processes of one server share it: readers
never wait, and writers take turns (a busy timeout, never an error).

Keeping it right, with writers that may be killed at any moment:

- A save holds its page's lock and leaves a marker in ``index-pending/``
  before it writes the revision file; it updates the index, then removes
  the marker. A marker whose page lock is free belongs to a writer that
  died (or whose index update failed): the next reader reindexes that page
  from its files. Any crash leaves the index right, or marked to be.
- At start, folders of ``pages/`` that the index lacks are indexed (in
  batches, so an interrupted rebuild goes on where it stopped) and pages
  whose folder is gone are dropped. Pages edited by hand in place are not
  noticed: call ``PageStore.reindex(title)``, or delete the index.
- Whatever reads page files to write what it read takes the database's
  write lock first, so a save cannot slip in between and be overwritten
  with older data.
"""
import os
import re
import sqlite3
import threading
from contextlib import contextmanager

__all__ = ['PageIndex', 'search_expression']

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    folder TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    rev INTEGER NOT NULL);
CREATE INDEX pages_sorted ON pages (sort_key, title);
CREATE TABLE revisions (
    id INTEGER PRIMARY KEY,
    folder TEXT NOT NULL,
    title TEXT NOT NULL,
    rev INTEGER NOT NULL,
    timestamp REAL NOT NULL,
    UNIQUE (folder, rev));
CREATE INDEX revisions_recent ON revisions (timestamp, id);
CREATE VIRTUAL TABLE texts USING fts5 (title, text, tokenize='unicode61 remove_diacritics 2');
"""
_TABLES = ('pages', 'revisions', 'texts')

# Letters and digits only: the quoted phrases built from them can never hold
# FTS5 syntax, whatever the user typed.
_WORD = re.compile(r'[^\W_]+')
MAX_WORDS = 16


def search_expression(query):
    """The FTS5 query for the words of ``query``: every word, as a prefix
    when it has three letters or more; None when there is no word.

    >>> search_expression('Café  "menu" OR x-y*')
    '"Café"* "menu"* "OR" "x" "y"'
    """
    words = _WORD.findall(query)[:MAX_WORDS]
    return ' '.join(f'"{w}"*' if len(w) >= 3 else f'"{w}"' for w in words) or None


class PageIndex:
    """The SQLite index at ``path`` (created if missing, recreated if unreadable)."""

    busy_timeout = 120      # seconds a writer waits its turn (a rebuild may take a while)
    # One search at a time in a process; the others wait without holding the
    # GIL. Sixteen searches at once otherwise hand the GIL round so often that
    # a page view waits 100-300 ms for it; queued, it waits about 40. (More
    # worker processes search in parallel.)
    searches_at_once = 1

    def __init__(self, path):
        self.path = os.fspath(path)
        self._local = threading.local()
        self._searching = threading.BoundedSemaphore(self.searches_at_once)
        try:
            self._create()
        except sqlite3.DatabaseError:   # not a database, or damaged: it is only a copy
            self._local.__dict__.clear()
            for suffix in ('', '-wal', '-shm'):
                try:
                    os.unlink(self.path + suffix)
                except FileNotFoundError:
                    pass
            self._create()

    def __repr__(self):
        return f'PageIndex({self.path!r})'

    def _connection(self):
        # One connection per thread, and a new one in a forked child.
        local = self._local
        if getattr(local, 'pid', None) != os.getpid():
            connection = sqlite3.connect(self.path, timeout=self.busy_timeout,
                                         isolation_level=None)
            connection.execute('PRAGMA journal_mode = WAL')
            connection.execute('PRAGMA synchronous = FULL')  # commits survive power loss
            local.connection, local.pid = connection, os.getpid()
        return local.connection

    @contextmanager
    def writing(self):
        """A write transaction: yields the connection, commits at the end."""
        connection = self._connection()
        connection.execute('BEGIN IMMEDIATE')
        try:
            yield connection
        except BaseException:
            connection.execute('ROLLBACK')
            raise
        connection.execute('COMMIT')

    def _create(self):
        with self.writing() as db:
            version = db.execute('PRAGMA user_version').fetchone()[0]
            if version == SCHEMA_VERSION:
                return
            for table in _TABLES:       # an older layout: rebuilt from the files
                db.execute(f'DROP TABLE IF EXISTS {table}')
            for statement in _SCHEMA.split(';'):
                if statement.strip():
                    db.execute(statement)
            db.execute(f'PRAGMA user_version = {SCHEMA_VERSION}')

    # -- reading ----------------------------------------------------------------

    def titles(self, offset=0, limit=None):
        """Page titles in order (case ignored), ``limit`` of them from ``offset``."""
        rows = self._connection().execute(
            'SELECT title FROM pages ORDER BY sort_key, title LIMIT ? OFFSET ?',
            (-1 if limit is None else limit, offset))
        return [title for title, in rows]

    def count(self):
        """How many pages there are."""
        return self._connection().execute('SELECT count(*) FROM pages').fetchone()[0]

    def recent(self, limit, offset=0):
        """``(folder, rev)`` of the newest revisions, newest first."""
        return self._connection().execute(
            'SELECT folder, rev FROM revisions ORDER BY timestamp DESC, id DESC '
            'LIMIT ? OFFSET ?', (limit, offset)).fetchall()

    def search(self, query, limit, offset=0):
        """Titles of the pages holding every word of ``query``, best match first."""
        expression = search_expression(query)
        if expression is None:
            return []
        try:
            with self._searching:
                rows = self._connection().execute(
                    'SELECT pages.title FROM texts JOIN pages ON pages.id = texts.rowid '
                    'WHERE texts MATCH ? ORDER BY bm25(texts, 10.0, 1.0) LIMIT ? OFFSET ?',
                    (expression, limit, offset)).fetchall()
        except sqlite3.OperationalError as error:
            if 'fts5' in str(error):    # a query FTS5 refuses matches nothing
                return []
            raise
        return [title for title, in rows]

    def folders(self):
        """The folder of every indexed page."""
        return {folder for folder, in self._connection().execute('SELECT folder FROM pages')}

    # -- writing (inside ``writing()``) -------------------------------------------

    @staticmethod
    def has(db, folder):
        return db.execute('SELECT 1 FROM pages WHERE folder = ?', (folder,)).fetchone() is not None

    @staticmethod
    def drop(db, folder):
        """Forget the page kept in ``folder``."""
        for (page_id,) in db.execute('SELECT id FROM pages WHERE folder = ?', (folder,)):
            db.execute('DELETE FROM texts WHERE rowid = ?', (page_id,))
        db.execute('DELETE FROM pages WHERE folder = ?', (folder,))
        db.execute('DELETE FROM revisions WHERE folder = ?', (folder,))

    @classmethod
    def put(cls, db, folder, title, revisions, text):
        """Index a whole page: ``revisions`` as ``(rev, timestamp)``, the newest ``text``."""
        cls.drop(db, folder)
        if not revisions:
            return
        db.executemany('INSERT INTO revisions (folder, title, rev, timestamp) VALUES (?, ?, ?, ?)',
                       [(folder, title, rev, when) for rev, when in revisions])
        cls._set_current(db, folder, title, revisions[-1][0], text)

    @classmethod
    def add(cls, db, folder, title, rev, timestamp, text):
        """Index revision ``rev`` of a page already indexed, as its newest."""
        db.execute('INSERT OR REPLACE INTO revisions (folder, title, rev, timestamp) '
                   'VALUES (?, ?, ?, ?)', (folder, title, rev, timestamp))
        cls._set_current(db, folder, title, rev, text)

    @staticmethod
    def _set_current(db, folder, title, rev, text):
        page_id = db.execute(
            'INSERT INTO pages (folder, title, sort_key, rev) VALUES (?, ?, ?, ?) '
            'ON CONFLICT (folder) DO UPDATE SET rev = excluded.rev RETURNING id',
            (folder, title, title.casefold(), rev)).fetchone()[0]
        db.execute('DELETE FROM texts WHERE rowid = ?', (page_id,))
        db.execute('INSERT INTO texts (rowid, title, text) VALUES (?, ?, ?)',
                   (page_id, title, text))
