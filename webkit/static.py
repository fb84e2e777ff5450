"""Static files: a folder served as a route target, answered as WebOb's ``FileApp`` answers.

    >>> from webkit import Dispatcher, Static
    >>> folder = getfixture('tmp_path')
    >>> _ = (folder / 'site.css').write_text('body { margin: 0 }\\n')
    >>> routes = Dispatcher()
    >>> _ = routes.connect('static', '/static/{path:.*}', view=Static(folder))
    >>> routes.url('static', path='site.css')
    '/static/site.css?v=...'

``req.link('static', path=...)`` puts a hash of the file's content in
the query; a request carrying the current hash is answered as
cacheable for a year, any other one with ``no-cache`` (``docs/static.rst``).
"""
import hashlib
import mimetypes
import os
import stat as modes
from pathlib import Path
from typing import Any

import webob
from webob.static import BLOCK_SIZE, FileIter

from .dispatch import _NOT_FOUND  # the same 404 page as a path no route takes
from .exc import ConfigurationError, HTTPMethodNotAllowed, URLGenerationError
from .request import Request

__all__ = ['Static']

#: The ``Cache-Control`` of a request whose ``v`` is the file's current hash.
FOREVER = 'public, max-age=31536000, immutable'
#: The ``Cache-Control`` of any other request: revalidate (a 304 with the ETag).
REVALIDATE = 'no-cache'

_HASH_CHUNK = 1 << 16


class Static:
    """Serve the files in ``folder`` to a route with a ``{path}`` variable.

    - ``routes.connect('static', '/static/{path:.*}', view=Static(folder))``;
    - a file is sent as :class:`webob.static.FileApp` sends it (content
      type from the name, ``Last-Modified``, ``Range``, 304, HEAD) with a
      strong ``ETag``, the hash of the content that ``link`` puts in
      ``?v=``; as a response, not an application, so that its
      preconditions are answered as any handler's are (``If-Match`` and
      ``If-Unmodified-Since`` 412, ``If-None-Match: *`` 304, HEAD in full
      whatever its ``Range``), which ``FileApp`` leaves out; a compressed
      file (``.gz``, ``.br``) is sent as stored, as
      ``application/octet-stream``, where ``FileApp`` would name its
      content and a ``Content-Encoding`` the browser undoes;
    - a path is refused (404, the same page as any missing file) when a
      segment is empty, ``.`` or ``..``, or starts with ``.`` (no
      ``.git``, no ``.env``), when it holds a NUL or a backslash, or when
      the file it resolves to, symlinks followed, is not a regular file
      inside ``folder``. WebOb's ``DirectoryApp`` compares strings and
      follows symlinks out of the folder: it is not used.

    Hashes are cached per file and computed again when its size, mtime
    or inode changes: an edited file gets a new URL without a restart,
    for the price of one ``stat`` per link.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        root = Path(folder)
        if not root.is_dir():
            raise ConfigurationError(f'Static({str(folder)!r})', 'not a folder')
        self.folder = root.resolve()
        self._hashes: dict[str, tuple[tuple[int, int, int], str]] = {}

    def __repr__(self) -> str:
        return f'Static({str(self.folder)!r})'

    def sample(self) -> str | None:
        """A file this target serves (the first by name), for tools such as the lint."""
        names = sorted(entry.name for entry in self.folder.iterdir()
                       if entry.is_file() and not entry.name.startswith('.'))
        return names[0] if names else None

    def __call__(self, req: Request, path: str) -> Any:
        """Answer ``req`` with the file at ``path`` (404 if refused or missing)."""
        if req.method not in ('GET', 'HEAD'):  # a route open to any method
            return HTTPMethodNotAllowed(req.path_info, req.method, ('GET', 'HEAD'))
        found = self.file(path)
        if found is None:
            return _NOT_FOUND
        digest = self._hash(*found)
        if digest is None:  # pragma: no cover (unreadable: see _hash)
            return _NOT_FOUND
        filename = found[0]
        try:
            file = open(filename, 'rb')
        except OSError:  # pragma: no cover (unreadable: see _hash)
            return _NOT_FOUND
        # What FileApp answers, as a response rather than an application;
        # but a compressed file (x.tar.gz) is sent as it is stored, not as
        # its content in a Content-Encoding the browser would undo. A type
        # that is compressed by name (x.svgz) keeps FileApp's encoding.
        content_type, encoding = mimetypes.guess_type(filename)
        if encoding and os.path.splitext(filename)[1] in mimetypes.encodings_map:
            content_type, encoding = None, None
        stat = os.fstat(file.fileno())
        wrapper = req.environ.get('wsgi.file_wrapper')
        return webob.Response(
            app_iter=wrapper(file, BLOCK_SIZE) if wrapper else _FileBody(file),
            content_type=content_type or 'application/octet-stream', content_encoding=encoding,
            content_length=stat.st_size, last_modified=stat.st_mtime,
            etag=digest, cache_control=FOREVER if req.GET.get('v') == digest else REVALIDATE,
            accept_ranges='bytes',
            conditional_response=True)

    def file(self, path: str) -> tuple[str, os.stat_result] | None:
        """``(filename, stat)`` of the regular file ``path`` names in the folder, or None."""
        if not path or '\0' in path or '\\' in path:
            return None
        parts = path.split('/')
        if any(not part or part.startswith('.') for part in parts):
            return None  # also "", ".", "..", and absolute paths ("/etc" has "")
        try:
            resolved = self.folder.joinpath(*parts).resolve(strict=True)
            stat = resolved.stat()
        except (OSError, RuntimeError):  # missing, unreadable, or a symlink loop
            return None
        if not resolved.is_relative_to(self.folder) or not modes.S_ISREG(stat.st_mode):
            return None
        if any(part.startswith('.') for part in resolved.relative_to(self.folder).parts):
            return None  # a hidden file or folder reached through a symlink
        return str(resolved), stat

    def version(self, path: str) -> str | None:
        """The hash ``link`` puts in ``?v=`` for ``path``, or None for no such file."""
        found = self.file(path)
        return None if found is None else self._hash(*found)

    def link_params(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` with ``v`` set to the file's hash, for :meth:`webkit.route.Route.generate`."""
        path = params.get('path')
        digest = self.version(path) if isinstance(path, str) else None
        if digest is None:
            raise URLGenerationError(name, params, f'no file {path!r} in {str(self.folder)!r}')
        return {**params, 'v': digest}

    def _hash(self, filename: str, stat: os.stat_result) -> str | None:
        key = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
        cached = self._hashes.get(filename)
        if cached is not None and cached[0] == key:
            return cached[1]
        digest = hashlib.sha256()
        try:
            with open(filename, 'rb') as file:
                for chunk in iter(lambda: file.read(_HASH_CHUNK), b''):
                    digest.update(chunk)
        except OSError:  # pragma: no cover (unreadable: the tests run as root, who reads all)
            return None
        value = digest.hexdigest()[:12]
        self._hashes[filename] = (key, value)
        return value


class _FileBody(FileIter):
    """WebOb's file body, closing its file when the server closes it unread
    (HEAD, 304, 412), not only when it is read to the end."""

    def close(self) -> None:
        self.file.close()
