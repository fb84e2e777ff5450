"""The documentation builds with Sphinx, nitpicky, warnings treated as errors."""
import importlib
import pkgutil
import zlib

import pytest
from sphinx.cmd import build as sphinx_build

import webkit


@pytest.fixture(scope='module')
def html(tmp_path_factory):
    out = tmp_path_factory.mktemp('docs')
    status = sphinx_build.build_main(
        ['-n', '-W', '-q', '-b', 'html', '-d', str(out / 'doctrees'), 'docs', str(out / 'html')])
    assert status == 0
    return out / 'html'


def documented(html):
    """The Python names the built docs describe, from Sphinx's ``objects.inv``."""
    header_and_body = (html / 'objects.inv').read_bytes().split(b'\n', 4)
    lines = zlib.decompress(header_and_body[4]).decode('utf-8').splitlines()
    return {line.split(' ', 1)[0] for line in lines if ' py:' in line}


def public_names():
    """Each public name at the one path to import it from.

    ``webkit.X`` for what the package exports, ``webkit.module.X`` for
    the rest of each public module's ``__all__``.
    """
    names = {f'webkit.{name}' for name in webkit.__all__}
    modules = [info.name for info in pkgutil.iter_modules(webkit.__path__)
               if not info.name.startswith('_')] + ['__main__']
    for module_name in modules:
        module = importlib.import_module(f'webkit.{module_name}')
        for name in module.__all__:
            if getattr(webkit, name, None) is not getattr(module, name):
                names.add(f'webkit.{module_name}.{name}')
    return names


def test_docs_build_with_sphinx_without_warnings(html):
    assert (html / 'tutorial.html').exists()
    assert (html / 'api.html').exists()


def test_docs_describe_every_public_name_at_its_import_path(html):
    assert public_names() - documented(html) == set()
