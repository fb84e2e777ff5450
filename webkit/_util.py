"""Private helpers shared by webkit's modules, the command line and the server."""
import importlib
from urllib.parse import urlsplit

from .exc import WebkitError

__all__ = ['load_object', 'keyword_parameters', 'AcceptedKeywords', 'as_browsers_read',
           'origin', 'layers']


def layers(app):
    """``app`` and the applications behind it, each with its route table.

    Yields ``(layer, layer.routes or None)`` down a middleware chain that
    keeps the wrapped application as ``.app`` (webkit's own does).

    >>> class Middleware:
    ...     def __init__(self, app): self.app = app
    >>> inner = object()
    >>> [layer is inner for layer, routes in layers(Middleware(inner))]
    [False, True]
    """
    for _ in range(10):  # middleware chains are short; a cycle must not hang us
        yield app, getattr(app, 'routes', None)
        app = getattr(app, 'app', None)
        if app is None:
            return


# Browsers drop tabs and newlines from URLs and read "\" as "/".
_URL_NOISE = str.maketrans({'\t': None, '\n': None, '\r': None, '\\': '/'})


def as_browsers_read(url):
    r"""``url`` as a browser follows it, for deciding where it leads.

    >>> as_browsers_read(' /\\\tevil.example/x\n')
    '//evil.example/x'
    """
    return url.strip().translate(_URL_NOISE)


def origin(url):
    """The origin (``scheme://host[:port]``, lower case) of an absolute ``url``.

    >>> origin('HTTPS://Example.org/wiki/')
    'https://example.org'
    """
    parts = urlsplit(url)
    return f'{parts.scheme}://{parts.netloc}'.lower()


class LoadError(WebkitError, ValueError):
    """``spec`` (``'package.module:name'``) could not be loaded; ``reason`` says why."""

    def __init__(self, spec, reason):
        super().__init__(spec, reason)
        self.spec = spec
        self.reason = reason

    def __str__(self):
        return f'cannot load {self.spec!r}: {self.reason}'


def load_object(spec):
    """Import ``'package.module:attribute.path'`` and return the object.

    >>> load_object('webkit.dispatch:Dispatcher')
    <class 'webkit.dispatch.Dispatcher'>
    >>> load_object('webkit')
    Traceback (most recent call last):
    ...
    webkit._util.LoadError: cannot load 'webkit': expected 'package.module:name'
    """
    module_name, colon, attr_path = spec.partition(':')
    if not colon or not module_name or not attr_path:
        raise LoadError(spec, "expected 'package.module:name'")
    try:
        obj = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and (module_name == error.name
                           or module_name.startswith(error.name + '.')):
            raise LoadError(spec, f'no module named {error.name!r} (run from the folder '
                                  'that holds it, or add that folder to PYTHONPATH)') from None
        raise
    for attr in attr_path.split('.'):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            raise LoadError(spec, f'{module_name} has no attribute {attr_path!r}') from None
    return obj


_VAR_POSITIONAL, _VAR_KEYWORD = 0x04, 0x08  # code object flags


def keyword_parameters(func, skip=0):
    """What ``func`` accepts by keyword once ``skip`` positional arguments are given.

    Returns ``(accepted names, required names, takes **kwargs)``. Plain
    functions are read from their code object, which spares every
    application the import of :mod:`inspect` (about a megabyte);
    other callables go through :func:`inspect.signature`.

    >>> def view(req, item, page=1, *, format='html', **extra): pass
    >>> names, required, takes_any = keyword_parameters(view, skip=1)
    >>> sorted(names), sorted(required), takes_any
    (['format', 'item', 'page'], ['item'], True)
    """
    target = func
    while hasattr(target, '__wrapped__'):   # wsgify and other wrappers
        target = target.__wrapped__
    if hasattr(target, '__func__'):           # a bound method: self is given
        target, skip = target.__func__, skip + 1
    code = getattr(target, '__code__', None)
    if code is None:
        return _parameters_by_inspect(func, skip)
    positional = code.co_varnames[code.co_posonlyargcount:code.co_argcount]
    keyword_only = code.co_varnames[code.co_argcount:code.co_argcount
                                    + code.co_kwonlyargcount]
    skip_named = max(0, skip - code.co_posonlyargcount)
    defaults = target.__defaults__ or ()
    first_default = code.co_argcount - len(defaults)
    names = set(positional[skip_named:]) | set(keyword_only)
    required = {name for index, name in enumerate(positional, code.co_posonlyargcount)
                if index >= skip and index < first_default}
    required |= {name for name in keyword_only if name not in (target.__kwdefaults__ or {})}
    return names, required, bool(code.co_flags & _VAR_KEYWORD)


class AcceptedKeywords:
    """Whether a handler takes a set of URL variables, worked out once.

    One answer for route targets (checked at set-up) and controller
    actions (checked on every request). ``skip`` counts the positional
    arguments the caller passes first (``self``, ``req``, bound args).

    >>> def view(req, item, page=1, **extra): pass
    >>> accepted = AcceptedKeywords(view, skip=1)
    >>> accepted
    <AcceptedKeywords ['item', 'page'], **kwargs>
    >>> accepted.fits(frozenset({'item', 'format'})), accepted.fits(frozenset({'req'}))
    (True, False)
    >>> accepted.misfit(frozenset({'req'}))
    (frozenset({'req'}), frozenset({'item'}))
    """

    __slots__ = ('accepts', 'required', 'takes_any', 'taken')

    def __init__(self, func, skip=0):
        accepts, required, self.takes_any = keyword_parameters(func, skip)
        self.accepts = frozenset(accepts)
        self.required = frozenset(required)
        # Even with **kwargs, a variable named like a skipped argument
        # (``self``, ``req``) would collide with it.
        self.taken = frozenset(keyword_parameters(func)[0]) - self.accepts

    def fits(self, names):
        """Whether a call with the frozenset ``names`` as keywords works."""
        if self.takes_any:
            return self.required <= names and self.taken.isdisjoint(names)
        return self.required <= names <= self.accepts

    def misfit(self, names):
        """``(unknown, missing)``: the names it would refuse, the required ones not given."""
        unknown = names & self.taken if self.takes_any else names - self.accepts
        return unknown, self.required - names

    def __repr__(self):
        extra = ', **kwargs' if self.takes_any else ''
        return f'<AcceptedKeywords {sorted(self.accepts)}{extra}>'


def _parameters_by_inspect(func, skip):
    import inspect
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):   # no signature to read: accept anything
        return set(), set(), True
    params = params[skip:]
    named = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    required = {p.name for p in params if p.name in named and p.default is p.empty}
    return named, required, any(p.kind is p.VAR_KEYWORD for p in params)
