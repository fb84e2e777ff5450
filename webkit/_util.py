"""Loading an application named as ``'package.module:name'`` (the command line's)."""
import importlib
from typing import Any

from .exc import LoadError

__all__ = ['load_object']


def load_object(spec: str) -> Any:
    """Import ``'package.module:attribute.path'`` and return the object.

    >>> load_object('webkit.dispatch:Dispatcher')
    <class 'webkit.dispatch.Dispatcher'>
    >>> load_object('webkit')
    Traceback (most recent call last):
    ...
    webkit.exc.LoadError: cannot load 'webkit': expected 'package.module:name'
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
