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
"""
import functools

from webob import Request as _WebObRequest

from . import _wsgi
from .request import Request

__all__ = ['wsgify']


def _call_repr(name, args, kwargs):
    """``name(arg, key=value)``: reprs that read like the code that built them."""
    parts = list(args) + [f'{key}={value!r}' for key, value in kwargs.items()]
    return f'{name}({", ".join(parts)})'


def _func_name(func):
    return getattr(func, '__qualname__', None) or repr(func)


class wsgify:
    """Decorate ``func(req, *args, **kwargs)`` into a WSGI application.

    What ``func`` may return (the same contract as WebOb's ``wsgify``):

    - a :class:`webob.Response` (or ``req.response``, changed in place);
    - any other WSGI application, such as a :mod:`webob.exc` exception
      (which may also be raised) or another decorated function;
    - a ``str`` or ``bytes``, used as the body of ``req.response``;
    - ``None``, meaning ``req.response`` as it stands.

    When it runs as a WSGI application, bodies over the request class's
    ``max_body_size`` get a 413 unread, undecodable input a 400, any
    other exception a generic 500 with the traceback logged, and a
    header holding CR/LF/NUL is refused with a 500.

    ``args`` and ``kwargs`` are bound arguments passed after ``req`` on
    *both* paths, WSGI or direct call; ``RequestClass`` is the class of
    the request built for WSGI calls (default :class:`webkit.Request`).
    """

    RequestClass = Request

    def __init__(self, func=None, RequestClass=None, args=(), kwargs=None):
        if func is not None and not callable(func):
            raise TypeError(f'wsgify decorates a function, not {type(func).__name__} '
                            f'({func!r:.60})')
        self.func = func
        if RequestClass is not None:
            self.RequestClass = RequestClass
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        if func is not None:
            # updated=(): copying func.__dict__ could overwrite our own settings
            functools.update_wrapper(self, func, updated=())

    def __repr__(self):
        func = () if self.func is None else (_func_name(self.func),)
        return _call_repr('wsgify', func, self._settings())

    def _settings(self):
        settings = {}
        if 'RequestClass' in self.__dict__:
            settings['RequestClass'] = self.RequestClass
        if self.args:
            settings['args'] = self.args
        if self.kwargs:
            settings['kwargs'] = self.kwargs
        return settings

    def clone(self, func=None, **settings):
        """A copy with ``func`` and any of the settings replaced."""
        merged = {**self._settings(), **settings}
        return type(self)(func if func is not None else self.func, **merged)

    def __get__(self, obj, objtype=None):
        # Decorated methods bind like functions: ``obj.view.wsgi_app`` works.
        if obj is None or not hasattr(self.func, '__get__'):
            return self
        return self.clone(self.func.__get__(obj, objtype))

    def __call__(self, req, *args, **kwargs):
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
            return self.wsgi_app(req, args[0])
        if not isinstance(req, _WebObRequest):
            raise TypeError(f'{self!r} must be called with a Request or with '
                            f'(environ, start_response), not {type(req).__name__}')
        return self.func(req, *self.args, *args, **{**self.kwargs, **kwargs})

    def wsgi_app(self, environ, start_response):
        """Run the function as a WSGI application."""
        return _wsgi.handle(environ, start_response, self.RequestClass, self._apply)

    def _apply(self, req):
        return self.func(req, *self.args, **self.kwargs)

    def get(self, url, **kw):
        """Answer a GET of ``url``, as a :class:`webob.Response` (for tests)."""
        return self.RequestClass.blank(url, **kw).get_response(self)

    def post(self, url, POST=None, **kw):
        """Answer a POST of ``POST`` to ``url``, as a :class:`webob.Response`."""
        return self.RequestClass.blank(url, POST=POST or {}, **kw).get_response(self)

    @classmethod
    def middleware(cls, middle_func=None, app=None, **config):
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
        """
        if middle_func is None:
            return functools.partial(cls.middleware, app=app, **config)
        if not callable(middle_func):
            raise TypeError(f'wsgify.middleware decorates a function of (req, app), '
                            f'not {type(middle_func).__name__} ({middle_func!r:.60})')
        factory = _MiddlewareFactory(cls, middle_func, config)
        return factory if app is None else factory(app)


class _MiddlewareFactory:
    """What ``@wsgify.middleware`` returns: call it with an app (and config)."""

    def __init__(self, wrapper_class, middle_func, config):
        self.wrapper_class = wrapper_class
        self.middle_func = middle_func
        self.config = config
        functools.update_wrapper(self, middle_func, updated=())

    def __repr__(self):
        return _call_repr('wsgify.middleware', (_func_name(self.middle_func),),
                          self.config)

    def __call__(self, app=None, **config):
        merged = {**self.config, **config}
        if app is None:
            return type(self)(self.wrapper_class, self.middle_func, merged)
        if not callable(app):
            raise TypeError(f'{self!r} wraps a WSGI application, '
                            f'not {type(app).__name__} ({app!r:.60})')
        return _Middleware(self, app, merged)


class _Middleware(wsgify):
    """One application wrapped by a middleware function."""

    def __init__(self, factory, app, config):
        # A subclass of wsgify that sets its own RequestClass keeps it here;
        # otherwise the wrapped application's limits are the middleware's too.
        request_class = factory.wrapper_class.RequestClass
        if request_class is Request:
            request_class = _wsgi.inner_request_class(app)
        super().__init__(factory.middle_func, RequestClass=request_class,
                         args=(app,), kwargs=config)
        self.app = app

    def __get__(self, obj, objtype=None):
        return self  # it wraps one application; it never binds as a method

    def __repr__(self):
        name = _func_name(self.func)
        return _call_repr(f'wsgify.middleware({name})', (repr(self.app),), self.kwargs)
