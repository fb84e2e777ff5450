"""Registrations in SQLite or PostgreSQL, passwords as salted scrypt hashes.

One interface, two backends: :func:`open_store` picks SQLite in the data
folder by default, PostgreSQL (through psycopg 3) for a
``postgresql://`` URL. Each store opens one short-lived connection per
operation, so it is safe from any number of threads or processes; a
unique index on the name decides which of two simultaneous
registrations of it wins::

    >>> store = open_store(None, getfixture('tmp_path') / 'data')
    >>> store
    SQLiteStore('...data')
    >>> store.add('ada', 'correct horse', {'color': 'blue'})
    1
    >>> store.add('ADA', 'another', {})
    Traceback (most recent call last):
    ...
    examples.questioner.storage.UsernameTaken: the username 'ADA' is already taken
    >>> store.check_password('ada', 'correct horse'), store.check_password('ada', 'x')
    (True, False)
"""
import base64
import hashlib
import hmac
import os
import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from webkit import ConfigurationError

__all__ = ['RegistrationStore', 'SQLiteStore', 'PostgreSQLStore', 'UsernameTaken',
           'open_store', 'hash_password', 'verify_password', 'SCRYPT']

#: OWASP's minimum for scrypt (Password Storage Cheat Sheet): about 0.4 s
#: and 128 MiB per hash here, so guessing a password costs as much.
SCRYPT = {'n': 2 ** 17, 'r': 8, 'p': 1}
# Stored parameters above these are refused, not computed: a tampered row
# must not make a login take gigabytes.
_MAX_N, _MAX_RP = 2 ** 20, 64


class UsernameTaken(ValueError):
    """``username`` is registered already (names compare case-insensitively)."""

    def __init__(self, username):
        super().__init__(username)
        self.username = username

    def __str__(self):
        return f'the username {self.username!r} is already taken'


def hash_password(password, *, salt=None, n=SCRYPT['n'], r=SCRYPT['r'], p=SCRYPT['p']):
    """A self-describing scrypt hash: ``scrypt$n$r$p$salt$digest``.

    The parameters travel with the hash, so raising them later leaves
    every stored hash verifiable.
    """
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(password.encode('utf-8'), salt=salt, n=n, r=r, p=p,
                            maxmem=_memory(n, r, p))
    encode = base64.b64encode
    return f'scrypt${n}${r}${p}${encode(salt).decode()}${encode(digest).decode()}'


def verify_password(stored, password):
    """Whether ``password`` matches ``stored``, compared in constant time."""
    scheme, n, r, p, salt, digest = stored.split('$')
    if scheme != 'scrypt':
        raise ValueError(f'unknown password hash scheme {scheme!r}')
    n, r, p = int(n), int(r), int(p)
    if n > _MAX_N or r * p > _MAX_RP:
        raise ValueError(f'scrypt parameters n={n}, r={r}, p={p} are beyond what '
                         f'this store computes (n <= {_MAX_N}, r*p <= {_MAX_RP})')
    expected = base64.b64decode(digest)
    actual = hashlib.scrypt(password.encode('utf-8'), salt=base64.b64decode(salt),
                            n=n, r=r, p=p, maxmem=_memory(n, r, p), dklen=len(expected))
    return hmac.compare_digest(actual, expected)


def _memory(n, r, p):
    # OpenSSL needs 128·r·(n + p + 2) bytes and refuses anything over
    # 32 MiB unless told: say what these parameters need, plus room.
    return 128 * r * (n + p + 2) + 2 ** 20


class RegistrationStore:
    """What every backend offers; a subclass talks to one database.

    Subclasses give ``_connection()`` (a context manager yielding a
    DB-API connection that commits nothing by itself), ``_transaction(db)``
    (a context manager around one write transaction), ``_taken`` (the
    exception class of a unique violation) and ``_same_name`` (the SQL
    condition matching a username case-insensitively). Statements use
    ``%s`` placeholders.
    """

    _taken = ()
    _same_name = 'username = %s'

    def add(self, username, password, answers):
        """Store a registration and return its id, or raise :class:`UsernameTaken`."""
        password_hash = hash_password(password)  # slow: done outside the transaction
        with self._connection() as db, self._transaction(db):
            try:
                (registration_id,) = self._run(
                    db, 'INSERT INTO registrations (username, password_hash) '
                        'VALUES (%s, %s) RETURNING id', (username, password_hash)).fetchone()
            except self._taken:
                raise UsernameTaken(username) from None
            for question, answer in sorted(answers.items()):
                self._run(db, 'INSERT INTO answers (registration_id, question, answer) '
                              'VALUES (%s, %s, %s)', (registration_id, question, answer))
        return registration_id

    def is_taken(self, username):
        """Whether ``username`` is registered (case-insensitively)."""
        with self._connection() as db:
            return self._run(db, f'SELECT 1 FROM registrations WHERE {self._same_name}',
                             (username,)).fetchone() is not None

    def get(self, username):
        """The registration as a dict (answers included), or None."""
        with self._connection() as db:
            row = self._run(db, 'SELECT id, username, password_hash, created '
                                f'FROM registrations WHERE {self._same_name}',
                            (username,)).fetchone()
            if row is None:
                return None
            answers = dict(self._run(db, 'SELECT question, answer FROM answers '
                                         'WHERE registration_id = %s ORDER BY question',
                                     (row[0],)).fetchall())
        return {'id': row[0], 'username': row[1], 'password_hash': row[2],
                'created': row[3], 'answers': answers}

    def count(self):
        """How many registrations there are."""
        with self._connection() as db:
            return self._run(db, 'SELECT COUNT(*) FROM registrations', ()).fetchone()[0]

    def check_password(self, username, password):
        """Whether ``username`` exists and ``password`` is theirs."""
        found = self.get(username)
        return found is not None and verify_password(found['password_hash'], password)

    def _run(self, db, sql, params):
        return db.execute(sql, params)


_SQLITE_SCHEMA = '''
CREATE TABLE IF NOT EXISTS registrations (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE TABLE IF NOT EXISTS answers (
    registration_id INTEGER NOT NULL REFERENCES registrations(id),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (registration_id, question)
);
'''


class SQLiteStore(RegistrationStore):
    """The registrations kept in ``directory/registrations.sqlite3``."""

    _taken = sqlite3.IntegrityError  # the only constraint an insert can break here

    def __init__(self, directory):
        self.directory = Path(directory)
        # Private when we make it: it holds password hashes and the secret.
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = self.directory / 'registrations.sqlite3'
        with self._connection() as db:
            db.execute('PRAGMA journal_mode=WAL')  # readers never block the writer
            db.executescript(_SQLITE_SCHEMA)

    def __repr__(self):
        return f'SQLiteStore({str(self.directory)!r})'

    @contextmanager
    def _connection(self):
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
            db.execute('PRAGMA foreign_keys=ON')
            yield db

    @contextmanager
    def _transaction(self, db):
        db.execute('BEGIN IMMEDIATE')  # the write lock now: no upgrade deadlock later
        try:
            yield
        except BaseException:
            db.execute('ROLLBACK')
            raise
        db.execute('COMMIT')

    def _run(self, db, sql, params):
        return db.execute(sql.replace('%s', '?'), params)


_POSTGRESQL_SCHEMA = '''
CREATE TABLE IF NOT EXISTS registrations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created TEXT NOT NULL
        DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
);
CREATE UNIQUE INDEX IF NOT EXISTS registrations_username
    ON registrations (lower(username));
CREATE TABLE IF NOT EXISTS answers (
    registration_id BIGINT NOT NULL REFERENCES registrations(id),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (registration_id, question)
);
'''
# Any constant of our own: processes starting at once create the tables
# one after the other (CREATE ... IF NOT EXISTS alone can still collide).
_SCHEMA_LOCK = 0x7175657374


class PostgreSQLStore(RegistrationStore):
    """The registrations kept in the PostgreSQL database at ``url``.

    ``url`` is a libpq URL (``postgresql://user:password@host:5432/db``,
    or ``postgresql:///db?host=/run/postgresql`` for a Unix socket). The
    tables are created on first use. Needs psycopg 3, imported only here.
    """

    # Names must be unique across machines too: the unique index is on
    # lower(username), and lookups use the same expression (so the index).
    _same_name = 'lower(username) = lower(%s)'

    def __init__(self, url):
        try:
            import psycopg
        except ImportError:
            raise ConfigurationError('database_url', "a PostgreSQL URL needs psycopg 3: "
                                     "pip install 'psycopg[binary]>=3.1'") from None
        self.url = url
        self._psycopg = psycopg
        self._taken = psycopg.errors.UniqueViolation
        try:
            with self._connection() as db, db.transaction():
                # Only when missing: CREATE INDEX, even IF NOT EXISTS, waits
                # for every open write on the table.
                if db.execute("SELECT to_regclass('answers')").fetchone()[0] is None:
                    db.execute('SELECT pg_advisory_xact_lock(%s)', (_SCHEMA_LOCK,))
                    db.execute(_POSTGRESQL_SCHEMA)
        except psycopg.OperationalError as error:
            raise ConfigurationError('database_url', f'cannot use {self}: '
                                     f'{str(error).strip()}') from None

    def __repr__(self):
        return f'PostgreSQLStore({str(self)!r})'

    def __str__(self):
        # The URL without its password: reprs and messages end up in logs.
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.rpartition('@')
        user = netloc[0].partition(':')[0]
        return urlunsplit(parts._replace(netloc=f'{user}:***@{netloc[2]}'))

    @contextmanager
    def _connection(self):
        with self._psycopg.connect(self.url, autocommit=True, connect_timeout=10) as db:
            yield db

    def _transaction(self, db):
        return db.transaction()


def open_store(database_url, data_dir):
    """The store for ``database_url``: SQLite in ``data_dir`` when it is empty.

    >>> open_store('mysql://db.example/users', 'data')
    Traceback (most recent call last):
    ...
    webkit.exc.ConfigurationError: database_url: expected postgresql://... (or nothing, for SQLite in the data folder), not 'mysql://db.example/users'
    """
    if not database_url:
        return SQLiteStore(data_dir)
    scheme = database_url.partition(':')[0].lower()
    if scheme not in ('postgresql', 'postgres'):
        shown = database_url if '@' not in database_url else f'{scheme}://...'
        raise ConfigurationError('database_url', 'expected postgresql://... (or nothing, '
                                 f'for SQLite in the data folder), not {shown!r}')
    return PostgreSQLStore(database_url)
