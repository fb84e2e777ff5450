"""Registrations in SQLite, passwords as salted scrypt hashes.

The store takes the directory it works in (created if missing) and
opens one short-lived connection per operation, so it is safe from any
number of threads or processes; the ``UNIQUE`` constraint decides which
of two simultaneous registrations of a name wins::

    >>> store = RegistrationStore(getfixture('tmp_path') / 'data')
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
from contextlib import closing
from pathlib import Path

__all__ = ['RegistrationStore', 'UsernameTaken', 'hash_password', 'verify_password']

# scrypt cost: about 50 ms and 16 MiB per hash, well inside a request's budget.
_SCRYPT = {'n': 2 ** 14, 'r': 8, 'p': 1}

_SCHEMA = '''
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


class UsernameTaken(ValueError):
    """``username`` is registered already (names compare case-insensitively)."""

    def __init__(self, username):
        super().__init__(username)
        self.username = username

    def __str__(self):
        return f'the username {self.username!r} is already taken'


def hash_password(password, *, salt=None):
    """A self-describing scrypt hash: ``scrypt$n$r$p$salt$digest``."""
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(password.encode('utf-8'), salt=salt, **_SCRYPT,
                            maxmem=_memory(**_SCRYPT))
    encode = base64.b64encode
    return (f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}$"
            f"{encode(salt).decode()}${encode(digest).decode()}")


def verify_password(stored, password):
    """Whether ``password`` matches ``stored``, compared in constant time."""
    scheme, n, r, p, salt, digest = stored.split('$')
    if scheme != 'scrypt':
        raise ValueError(f'unknown password hash scheme {scheme!r}')
    expected = base64.b64decode(digest)
    n, r, p = int(n), int(r), int(p)
    actual = hashlib.scrypt(password.encode('utf-8'), salt=base64.b64decode(salt),
                            n=n, r=r, p=p, maxmem=_memory(n, r, p), dklen=len(expected))
    return hmac.compare_digest(actual, expected)


def _memory(n, r, p):
    # What scrypt needs (128·r·(n + p) bytes) plus room: hashlib refuses
    # anything over 32 MiB unless told, so a raised cost would fail.
    return 128 * r * (n + p) + 2 ** 20


class RegistrationStore:
    """The registrations kept in ``directory/registrations.sqlite3``."""

    def __init__(self, directory):
        self.directory = Path(directory)
        # Private when we make it: it holds password hashes and the secret.
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = self.directory / 'registrations.sqlite3'
        with closing(self._connect()) as db:
            db.execute('PRAGMA journal_mode=WAL')  # readers never block the writer
            db.executescript(_SCHEMA)

    def __repr__(self):
        return f'RegistrationStore({str(self.directory)!r})'

    def _connect(self):
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute('PRAGMA foreign_keys=ON')
        return db

    def add(self, username, password, answers):
        """Store a registration and return its id, or raise :class:`UsernameTaken`."""
        password_hash = hash_password(password)  # slow: done outside the transaction
        with closing(self._connect()) as db:
            try:
                db.execute('BEGIN IMMEDIATE')
                cursor = db.execute(
                    'INSERT INTO registrations (username, password_hash) VALUES (?, ?)',
                    (username, password_hash))
                registration_id = cursor.lastrowid
                db.executemany(
                    'INSERT INTO answers (registration_id, question, answer) '
                    'VALUES (?, ?, ?)',
                    [(registration_id, q, a) for q, a in sorted(answers.items())])
                db.execute('COMMIT')
            except sqlite3.IntegrityError:
                db.execute('ROLLBACK')
                raise UsernameTaken(username) from None
            except BaseException:
                if db.in_transaction:
                    db.execute('ROLLBACK')
                raise
        return registration_id

    def is_taken(self, username):
        """Whether ``username`` is registered (case-insensitively)."""
        with closing(self._connect()) as db:
            row = db.execute('SELECT 1 FROM registrations WHERE username = ?',
                             (username,)).fetchone()
        return row is not None

    def get(self, username):
        """The registration as a dict (answers included), or None."""
        with closing(self._connect()) as db:
            row = db.execute('SELECT id, username, password_hash, created '
                             'FROM registrations WHERE username = ?',
                             (username,)).fetchone()
            if row is None:
                return None
            answers = dict(db.execute('SELECT question, answer FROM answers '
                                      'WHERE registration_id = ? ORDER BY question',
                                      (row[0],)).fetchall())
        return {'id': row[0], 'username': row[1], 'password_hash': row[2],
                'created': row[3], 'answers': answers}

    def count(self):
        """How many registrations there are."""
        with closing(self._connect()) as db:
            return db.execute('SELECT COUNT(*) FROM registrations').fetchone()[0]

    def check_password(self, username, password):
        """Whether ``username`` exists and ``password`` is theirs."""
        found = self.get(username)
        return found is not None and verify_password(found['password_hash'], password)
