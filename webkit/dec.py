"""``wsgify``: a function of a request that is also a WSGI application.

The decorated function stays a plain function. Called with a request
(and any other arguments) it returns what the function returns, so one
handler can call another with extra arguments::

    >>> from webkit import Request, wsgify
    >>> @wsgify
    ... def hello(req, name=None):
    ...     '''Greet someone.'''
    ...     return f'Hello, {name or req.params.get("name", "world")}!'
    >>> hello(Request.blank('/'), 'Ada')
    'Hello, Ada!'
    >>> hello.__name__, hello.__doc__
    ('hello', 'Greet someone.')

Called with ``(environ, start_response)`` it is a WSGI application, and
``.wsgi_app`` is that entry point by name::

    >>> print(Request.blank('/?name=Grace').get_response(hello.wsgi_app))
    200 OK
    Content-Type: text/html; charset=UTF-8
    Content-Length: 13
    <BLANKLINE>
    Hello, Grace!

It keeps WebOb's ``wsgify`` contract (``call_func``, ``clone``,
``undecorated``, ``middleware``); ``docs/differences.rst`` lists the few
places where it differs on purpose.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from webob.request import BaseRequest

from . import _wsgi
from .request import Request

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker: importing typing costs a process half a MiB
    from typing import Any
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ['wsgify']


def _call_repr(name: str, args: Iterable[str], kwargs: dict[str, Any]) -> str:
    """``name(arg, key=value)``: reprs that read like the code that built them."""
    parts = list(args) + [f'{key}={value!r}' for key, value in kwargs.items()]
    return f'{name}({", ".join(parts)})'


def _func_name(func: object) -> str:
    return getattr(func, '__qualname__', None) or repr(func)


class wsgify(_wsgi.Layer):
    """Decorate ``func(req, *args, **kwargs)`` into a WSGI application.

    What ``func`` may return (the same contract as WebOb's ``wsgify``):

    - a :class:`webob.Response` (or ``req.response``, changed in place);
    - any other WSGI application, such as a :mod:`webob.exc` exception
      (which may also be raised) or another decorated function;
    - a ``str`` or ``bytes``, written to the body of ``req.response``;
    - ``None``, meaning ``req.response`` as it stands.

    Cookies set on ``req.response`` reach the client whatever is
    returned. When it runs as a WSGI application, bodies over the request
    class's ``max_body_size`` get a 413 unread, undecodable input a 400,
    any other exception a generic 500 with the traceback logged, and a
    header holding CR/LF/NUL is refused with a 500.

    ``args`` and ``kwargs`` are bound arguments passed after ``req`` on
    *both* paths, WSGI or direct call, before those of the call itself;
    ``RequestClass`` is the class of the request built for WSGI calls
    (default :class:`webkit.Request`). Override :meth:`call_func` to
    change how the function is called.
    """

    def __init__(self, func: Callable[..., Any] | None = None,
                 RequestClass: type[BaseRequest] | None = None,
                 args: Iterable[Any] = (), kwargs: dict[str, Any] | None = None) -> None:
        if func is not None and not callable(func):
            raise TypeError(f'wsgify decorates a function, not {type(func).__name__} '
                            f'({func!r:.60})')
        self.func: Any = func
        if RequestClass is not None:
            self.RequestClass = RequestClass
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        if func is not None:
            # updated=(): copying func.__dict__ could overwrite our own settings
            functools.update_wrapper(self, func, updated=())

    def __repr__(self) -> str:
        func = () if self.func is None else (_func_name(self.func),)
        return _call_repr(type(self).__name__, func, self._settings())

    def _settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = {}
        if 'RequestClass' in self.__dict__:
            settings['RequestClass'] = self.RequestClass
        if self.args:
            settings['args'] = self.args
        if self.kwargs:
            settings['kwargs'] = self.kwargs
        return settings

    @property
    def undecorated(self) -> Callable[..., Any] | None:
        """The decorated function itself."""
        return self.func

    def clone(self, func: Callable[..., Any] | None = None, **settings: Any) -> 'wsgify':
        """A copy with ``func`` and any of the settings replaced."""
        merged = {**self._settings(), **settings}
        return type(self)(func if func is not None else self.func, **merged)

    def __get__(self, obj: object, objtype: type | None = None) -> 'wsgify':
        # Decorated methods bind like functions: ``obj.view.wsgi_app`` works.
        if obj is None or not hasattr(self.func, '__get__'):
            return self
        return self.clone(self.func.__get__(obj, objtype))

    # Called with a request, or as a WSGI application: wider than Layer's.
    def __call__(self, req: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if self.func is None:
            # ``@wsgify(RequestClass=...)``: the function comes now.
            if args or kwargs or not callable(req):
                raise TypeError(f'{self!r} expects the function to decorate, '
                                f'not {type(req).__name__} ({req!r:.60})')
            return self.clone(req)
        if isinstance(req, dict):
            if len(args) != 1 or kwargs:
                raise TypeError(f'{self!r} called with an environ expects '
                                f'(environ, start_response); got '
                                f'{len(args) + 1} positional and {sorted(kwargs)} '
                                'keyword arguments')
            return _wsgi.enter(self, req, args[0])
        if not isinstance(req, BaseRequest):
            raise TypeError(f'{self!r} must be called with a Request or with '
                            f'(environ, start_response), not {type(req).__name__}')
        return self.call_func(req, *self.args, *args, **{**self.kwargs, **kwargs})

    def wsgi_app(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        """Run the function as a WSGI application."""
        return _wsgi.enter(self, environ, start_response)

    def call_func(self, req: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the decorated function; override to change how it is called."""
        return self.func(req, *args, **kwargs)

    def respond(self, req: Any) -> Any:
        probe = req.environ.get(_wsgi.PROBE)
        if probe is not None:  # asked what the application is made of: nothing runs
            probe.max_body_size = getattr(self.RequestClass, 'max_body_size', None)
            return ''
        if isinstance(req, Request):
            req.check_body_size()
        refusal = _wsgi.run_checks(req)  # the function is code webkit does not own
        if refusal is not None:
            return refusal
        return self.call_func(req, *self.args, **self.kwargs)

    def get(self, url: str, **kw: Any) -> Any:
        """Answer a GET of ``url``, as a :class:`webob.Response` (for tests)."""
        return self.request(url, method='GET', **kw)

    def post(self, url: str, POST: Any = None, **kw: Any) -> Any:
        """Answer a POST of ``POST`` to ``url``, as a :class:`webob.Response`."""
        return self.request(url, method='POST', POST=POST or {}, **kw)

    def request(self, url: str, **kw: Any) -> Any:
        """Answer a request for ``url`` (``method=``, ``body=``...), as a :class:`webob.Response`."""
        return self.RequestClass.blank(url, **kw).get_response(self)

    @classmethod
    def middleware(cls, middle_func: Callable[..., Any] | None = None,
                   app: WSGIApplication | None = None, **config: Any) -> Any:
        """Turn ``middle_func(req, app, **config)`` into middleware.

        ``middle_func`` calls ``req.get_response(app)`` (or returns
        ``app``) to pass the request on. The decorated object wraps an
        application at once, binds configuration first, or both::

            >>> @wsgify.middleware
            ... def shout(req, app, suffix=''):
            ...     resp = req.get_response(app)
            ...     resp.text = resp.text.upper() + suffix
            ...     return resp
            >>> @wsgify
            ... def hi(req):
            ...     return 'hi'
            >>> shout(hi)
            wsgify.middleware(shout)(wsgify(hi))
            >>> shout(hi, suffix='!').get('/').text
            'HI!'
            >>> shout(suffix='?')
            wsgify.middleware(shout, suffix='?')
            >>> shout(suffix='?')(hi).get('/').text
            'HI?'

        ``RequestClass=`` is a setting of the middleware, as for
        ``wsgify``, not configuration passed to the function.
        """
        request_class = config.pop('RequestClass', None)
        if middle_func is None:
            return functools.partial(cls._middleware, app=app, request_class=request_class,
                                     config=config)
        return cls._middleware(middle_func, app, request_class, config)

    @classmethod
    def _middleware(cls, middle_func: Callable[..., Any], app: WSGIApplication | None = None,
                    request_class: type[BaseRequest] | None = None,
                    config: dict[str, Any] | None = None) -> Any:
        if not callable(middle_func):
            raise TypeError(f'wsgify.middleware decorates a function of (req, app), '
                            f'not {type(middle_func).__name__} ({middle_func!r:.60})')
        factory = _MiddlewareFactory(cls, middle_func, config or {}, request_class)
        return factory if app is None else factory(app)


class _MiddlewareFactory:
    """What ``@wsgify.middleware`` returns: call it with an app (and config)."""

    def __init__(self, wrapper_class: type[wsgify], middle_func: Callable[..., Any],
                 config: dict[str, Any], request_class: type[BaseRequest] | None = None) -> None:
        self.wrapper_class = wrapper_class
        self.middle_func = middle_func
        self.config = config
        self.request_class = request_class
        functools.update_wrapper(self, middle_func, updated=())

    def __repr__(self) -> str:
        return _call_repr('wsgify.middleware', (_func_name(self.middle_func),),
                          self.config)

    def __call__(self, app: WSGIApplication | None = None, **config: Any) -> Any:
        merged = {**self.config, **config}
        if app is None:
            return type(self)(self.wrapper_class, self.middle_func, merged,
                              self.request_class)
        if not callable(app):
            raise TypeError(f'{self!r} wraps a WSGI application, '
                            f'not {type(app).__name__} ({app!r:.60})')
        return _middleware_class(self.wrapper_class)(self, app, merged)


class _Middleware(wsgify):
    """One application wrapped by a middleware function."""

    def __init__(self, factory: _MiddlewareFactory, app: WSGIApplication,
                 config: dict[str, Any]) -> None:
        super().__init__(factory.middle_func, RequestClass=factory.request_class,
                         args=(app,), kwargs=config)
        if factory.request_class is None and factory.wrapper_class.RequestClass is not Request:
            self.RequestClass = factory.wrapper_class.RequestClass
        self.app = app
        self._factory = factory

    def clone(self, func: Callable[..., Any] | None = None, **settings: Any) -> wsgify:
        return type(self)(self._factory, self.app, self.kwargs)

    def __get__(self, obj: object, objtype: type | None = None) -> wsgify:
        return self  # it wraps one application; it never binds as a method

    def respond(self, req: Any) -> Any:
        # The body is the application's to take or refuse, under its limit.
        refusal = _wsgi.run_checks(req)  # the function is code webkit does not own
        if refusal is not None:
            return refusal
        return self.call_func(req, *self.args, **self.kwargs)

    def __repr__(self) -> str:
        name = _func_name(self.func)
        return _call_repr(f'wsgify.middleware({name})', (repr(self.app),), self.kwargs)


_MIDDLEWARE_CLASSES: dict[type[wsgify], type[_Middleware]] = {wsgify: _Middleware}


def _middleware_class(wrapper_class: type[wsgify]) -> type[_Middleware]:
    """The middleware class of a ``wsgify`` subclass: it is one of those too,
    so the subclass's way of calling functions (``call_func``) holds, as in WebOb."""
    found = _MIDDLEWARE_CLASSES.get(wrapper_class)
    if found is None:
        found = _MIDDLEWARE_CLASSES[wrapper_class] = type(
            f'{wrapper_class.__name__}Middleware', (_Middleware, wrapper_class), {})
    return found
