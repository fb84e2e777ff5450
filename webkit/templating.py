"""Tempita templates from a directory, escaping everything they substitute.

Templates are :class:`tempita.HTMLTemplate`, which escapes every
``{{value}}`` (plain ``tempita.Template`` escapes nothing); mark trusted
HTML with :func:`tempita.html`. Each file is compiled once and kept::

    >>> folder = getfixture('tmp_path')
    >>> _ = (folder / 'hello.html').write_text('<p>Hello, {{name}}!</p>')
    >>> templates = TemplateLoader(folder)
    >>> print(templates.render('hello.html', name='<script>'))
    <p>Hello, &lt;script&gt;!</p>
    >>> templates.get('hello.html') is templates.get('hello.html')
    True

Errors name the template, the line and the column; they go to the log
through webkit's 500 handling, never into a response::

    >>> _ = (folder / 'broken.html').write_text('<p>\\n{{name.missing}}</p>')
    >>> templates.render('broken.html', name='x')
    Traceback (most recent call last):
    ...
    webkit.exc.TemplateError: broken.html, line 2, column 3: 'str' object has no attribute 'missing'

Tempita 0.6 has bugs worth knowing: a ``{{def}}`` drops its last argument
unless it has a default, keyword calls of a def fail, and def output is
escaped again in an ``HTMLTemplate``. Write helpers in Python and return
:func:`tempita.html` from them instead.
"""
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

import tempita

from .exc import TemplateError

__all__ = ['TemplateLoader']

_POSITION = re.compile(r' at line (\d+) column (\d+)(?: in file .*)?$', re.S)


class TemplateLoader:
    """Loads, compiles once and renders the templates in ``directory``.

    ``namespace`` holds names every template sees (helpers, settings).
    Template names are paths relative to the directory; names that
    would leave it are refused. Use :meth:`beside` for a folder next to
    a module, so an application folder works wherever it is copied.
    """

    def __init__(self, directory: str | os.PathLike[str],
                 namespace: Mapping[str, Any] | None = None) -> None:
        self.directory = Path(directory).resolve()
        self.namespace = dict(namespace or {})
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def beside(cls, module_file: str | os.PathLike[str], folder: str = 'templates',
               namespace: Mapping[str, Any] | None = None) -> Self:
        """The loader for ``folder`` next to ``module_file`` (pass ``__file__``)."""
        return cls(Path(module_file).resolve().parent / folder, namespace)

    def __repr__(self) -> str:
        return f'TemplateLoader({str(self.directory)!r})'

    def get(self, name: str, /) -> Any:
        """The compiled template called ``name``."""
        template = self._cache.get(name)
        if template is None:
            with self._lock:
                template = self._cache.get(name) or self._compile(name)
                self._cache[name] = template
        return template

    def _compile(self, name: str) -> Any:
        try:
            path = (self.directory / name).resolve()
            if Path(name).is_absolute() or not path.is_relative_to(self.directory):
                raise TemplateError(name, None, None, 'the name leaves the template folder')
            source = path.read_text(encoding='utf-8')
        except (OSError, UnicodeDecodeError) as error:
            raise TemplateError(name, None, None, f'cannot read it: {error}') from None
        try:
            return tempita.HTMLTemplate(source, name=name, namespace=self.namespace,
                                        get_template=self._inherited)
        except tempita.TemplateError as error:
            line, column = error.position or (None, None)
            raise TemplateError(name, line, column, error.args[0]) from None

    def _inherited(self, name: str, from_template: Any) -> Any:
        # Tempita's own loader reads bytes and fails: {{inherit}} comes here.
        return self.get(name)

    def render(self, name: str, /, **variables: Any) -> str:
        """Render template ``name`` with ``variables``; returns ``str``."""
        template = self.get(name)
        try:
            text: str = template.substitute(**variables)
            return text
        except Exception as error:
            message = str(error)
            found = _POSITION.search(message)
            if found is None:
                raise TemplateError(name, None, None, message) from error
            raise TemplateError(name, int(found[1]), int(found[2]),
                                message[:found.start()]) from error
