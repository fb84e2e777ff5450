"""Private helpers shared by the command line and the server."""
import importlib

__all__ = ['load_object']


class LoadError(ValueError):
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
            raise LoadError(spec, f'no module named {error.name!r}') from None
        raise
    for attr in attr_path.split('.'):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            raise LoadError(spec, f'{module_name} has no attribute {attr_path!r}') from None
    return obj
