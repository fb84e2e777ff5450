"""What :meth:`Dispatcher.connect <webkit.Dispatcher.connect>` checks.

A route that cannot work is refused when it is connected (or when its
class is defined), never on a request: each check raises
:class:`~webkit.exc.ConfigurationError` naming the route (``where``),
what it was given and what it expected.
"""
import re

from ._util import AcceptedKeywords
from .controller import Controller
from .exc import ConfigurationError

__all__ = ['check_arguments', 'check_path', 'one_target', 'kind_of', 'http_methods',
           'check_variables', 'check_target']

# {name}, {name:regex} or {.name} in a route path; Routes has no nested braces.
_PATH_VARIABLE = re.compile(r'\{([^{}]*)\}')


def check_arguments(where, defaults, requirements):
    """Refuse the Routes arguments webkit does not use, or that break it."""
    if 'method' in defaults:
        raise ConfigurationError(
            where, "'method' is reserved by Routes; pass the "
            "method name as the target: connect(name, path, 'view')")
    if 'conditions' in defaults:
        raise ConfigurationError(where, "Routes' conditions are not used here; "
                                 "use methods=('POST',)")
    reserved = sorted(key for key in defaults if key.startswith('_'))
    if reserved:
        raise ConfigurationError(where, f'{reserved} are reserved by Routes')
    if requirements is not None and not isinstance(requirements, dict):
        raise ConfigurationError(where, 'requirements must be a dict '
                                 f'(you gave {requirements!r})')


def check_path(where, path):
    """Refuse a path template Routes would misread."""
    if not isinstance(path, str) or not path.startswith('/'):
        raise ConfigurationError(where, f'the path must start with "/" (you gave {path!r})')
    if '?' in path or '#' in path:
        raise ConfigurationError(where, f'a route path has no query or fragment '
                                 f'(you gave {path!r}); extra link() arguments '
                                 'become the query')
    for inner in _PATH_VARIABLE.findall(path):
        variable = inner.partition(':')[0]
        if not variable.removeprefix('.').isidentifier():
            raise ConfigurationError(where, f'{{{inner}}} is not a valid variable '
                                     f'in {path!r}')
    rest = _PATH_VARIABLE.sub('', path)
    if '{' in rest or '}' in rest:
        raise ConfigurationError(where, f'unbalanced or nested braces in {path!r}')


def one_target(where, *candidates):
    """The one target given (as ``target``, ``controller=`` or ``view=``)."""
    given = [c for c in candidates if c is not None]
    if len(given) != 1:
        raise ConfigurationError(where, 'give exactly one target '
                                 '(a method name, a view function or controller=)')
    return given[0]


def kind_of(where, target):
    """``'method'``, ``'controller'`` or ``'view'``: how the target is called."""
    if isinstance(target, str):
        if not target.isidentifier() or target.startswith('_'):
            raise ConfigurationError(where, f'{target!r} is not a public method name')
        return 'method'
    if isinstance(target, type) and issubclass(target, Controller):
        return 'controller'
    if callable(target):
        return 'view'
    raise ConfigurationError(where, f'the target must be a method '
                             f'name, a function or a Controller, not {target!r}')


def http_methods(where, methods):
    """``methods`` as an upper-case frozenset, with HEAD wherever GET is."""
    if isinstance(methods, str):
        methods = (methods,)
    if not isinstance(methods, (list, tuple, set, frozenset)) or not methods or not all(
            isinstance(m, str) and m.isalpha() for m in methods):
        raise ConfigurationError(where, f'invalid HTTP methods {methods!r}; '
                                 "give names such as ('GET', 'POST')")
    methods = {m.upper() for m in methods}
    if 'GET' in methods:
        methods.add('HEAD')
    return frozenset(methods)


def check_variables(route, requirements):
    """Refuse a repeated variable, or requirements for variables not in the path."""
    if len(set(route.variables)) != len(route.variables):
        raise ConfigurationError(f'route {route.name!r}',
                                 f'a variable repeats in {route.path!r}')
    unknown = set(requirements) - set(route.variables)
    if unknown:
        raise ConfigurationError(f'route {route.name!r}', f'requirements for '
                                 f'variables not in the path: {sorted(unknown)}')


def check_target(route):
    """Refuse a target that cannot take what the route passes it.

    A method target is looked up on ``route.owner``, so it is checked
    once the application class exists.
    """
    if route.kind == 'method':
        if route.owner is None:
            raise ConfigurationError(
                f'route {route.name!r}', f'the target {route.target!r} names a '
                'method, but this Dispatcher is not a class attribute')
        func = _class_attribute(route.owner, route.target)
        if isinstance(func, (staticmethod, classmethod)):
            raise ConfigurationError(f'route {route.name!r}', f'{route.target_name} is '
                                     f'a {type(func).__name__}; a target is a plain '
                                     'method of (self, req, ...)')
        if func is None or not callable(func):
            raise ConfigurationError(f'route {route.name!r}',
                                     f'{route.owner.__qualname__} has no method '
                                     f'{route.target!r}')
        _check_signature(route, func, skip=2)
    elif route.kind == 'view':
        _check_signature(route, route.target, skip=1)
    else:
        action = route.mapped.defaults.get('action')
        if action is not None or 'action' not in route.variables:
            route.target.check_action(route.name, action or 'index',
                                      set(route.variables) | set(route.mapped.defaults))


def _check_signature(route, func, skip):
    """Make sure ``func`` accepts exactly what the route will pass."""
    bound_args = ()
    if hasattr(func, 'wsgi_app') and hasattr(func, 'args'):
        bound_args = func.args  # a wsgify: its bound args follow ``req``
    passed = frozenset(route.variables) | set(route.mapped.defaults)
    unknown, missing = AcceptedKeywords(func, skip + len(bound_args)).misfit(passed)
    if unknown or missing:
        raise ConfigurationError(
            f'route {route.name!r}',
            f'{route.target_name} does not fit the route variables {sorted(passed)}'
            + (f'; it does not accept {sorted(unknown)}' if unknown else '')
            + (f'; it needs {sorted(missing)}' if missing else ''))


def _class_attribute(owner, name):
    """``name`` as defined on ``owner`` or a base class, without binding it."""
    for klass in owner.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return None
