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
    webkit.templating.TemplateError: broken.html, line 2, column 3: 'str' object has no attribute 'missing'

Tempita 0.6 has bugs worth knowing: a ``{{def}}`` drops its last argument
unless it has a default, keyword calls of a def fail, and def output is
escaped again in an ``HTMLTemplate``. Write helpers in Python and return
:func:`tempita.html` from them instead.
"""
import re
import threading
from pathlib import Path

import tempita

from .exc import WebkitError

__all__ = ['TemplateLoader', 'TemplateError']

_POSITION = re.compile(r' at line (\d+) column (\d+)(?: in file .*)?$', re.S)


class TemplateError(WebkitError):
    """A template could not be read, compiled or rendered.

    Attributes: ``name`` (the template), ``line`` and ``column`` (where,
    when known) and ``message`` (what went wrong).
    """

    def __init__(self, name, line, column, message):
        super().__init__(name, line, column, message)
        self.name = name
        self.line = line
        self.column = column
        self.message = message

    def __str__(self):
        where = f', line {self.line}, column {self.column}' if self.line else ''
        return f'{self.name}{where}: {self.message}'


class TemplateLoader:
    """Loads, compiles once and renders the templates in ``directory``.

    ``namespace`` holds names every template sees (helpers, settings).
    Template names are paths relative to the directory; names that
    would leave it are refused. Use :meth:`beside` for a folder next to
    a module, so an application folder works wherever it is copied.
    """

    def __init__(self, directory, namespace=None):
        self.directory = Path(directory).resolve()
        self.namespace = dict(namespace or {})
        self._cache = {}
        self._lock = threading.Lock()

    @classmethod
    def beside(cls, module_file, folder='templates', namespace=None):
        """The loader for ``folder`` next to ``module_file`` (pass ``__file__``)."""
        return cls(Path(module_file).resolve().parent / folder, namespace)

    def __repr__(self):
        return f'TemplateLoader({str(self.directory)!r})'

    def _path(self, name):
        path = (self.directory / name).resolve()
        if Path(name).is_absolute() or not path.is_relative_to(self.directory):
            raise TemplateError(name, None, None, 'the name leaves the template folder')
        return path

    def get(self, name, /):
        """The compiled template called ``name``."""
        template = self._cache.get(name)
        if template is None:
            with self._lock:
                template = self._cache.get(name) or self._compile(name)
                self._cache[name] = template
        return template

    def _compile(self, name):
        try:
            source = self._path(name).read_text(encoding='utf-8')
        except (OSError, UnicodeDecodeError) as error:
            raise TemplateError(name, None, None, f'cannot read it: {error}') from None
        try:
            return tempita.HTMLTemplate(source, name=name, namespace=self.namespace,
                                        get_template=self._inherited)
        except tempita.TemplateError as error:
            line, column = error.position or (None, None)
            raise TemplateError(name, line, column, error.args[0]) from None

    def _inherited(self, name, from_template):
        # Tempita's own loader reads bytes and fails: {{inherit}} comes here.
        return self.get(name)

    def render(self, name, /, **variables):
        """Render template ``name`` with ``variables``; returns ``str``."""
        template = self.get(name)
        try:
            return template.substitute(**variables)
        except Exception as error:
            message = str(error)
            found = _POSITION.search(message)
            if found is None:
                raise TemplateError(name, None, None, message) from error
            raise TemplateError(name, int(found[1]), int(found[2]),
                                message[:found.start()]) from error
