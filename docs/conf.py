"""Sphinx configuration; the examples are also run by pytest as doctests."""
import os
import sys

sys.path.insert(0, os.path.abspath('..'))

project = 'webkit'
author = 'the webkit developers'
extensions = ['sphinx.ext.autodoc', 'sphinx.ext.doctest']
exclude_patterns = ['_build']
html_theme = 'alabaster'
doctest_global_setup = '''
import formencode.api
formencode.api.set_stdtranslation(languages=['en'])
'''
trim_doctest_flags = True
import doctest  # noqa: E402
doctest_default_flags = (doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
                         | doctest.IGNORE_EXCEPTION_DETAIL)

# -n (nitpicky) in tests/test_docs.py: every cross-reference must resolve.
# Offline builds have no intersphinx, so names from the standard library
# and from the untyped libraries webkit hands out as they are (WebOb,
# Routes, FormEncode, Tempita, waitress) are left unlinked on purpose; a
# reference to anything else that dangles fails the build.
nitpick_ignore_regex = [
    ('py:.*', r'(webob|routes|formencode|tempita|waitress)(\..*)?'),
    ('py:.*', r'(collections\.abc|wsgiref\.types|os|pathlib|types|argparse|re|logging)\..*'),
    # Annotations naming what webkit imports for the type checker only
    # (typing, which wsgiref.types loads, costs every process memory).
    ('py:class', r'WSGIApplication|WSGIEnvironment|StartResponse|BaseRequest'),
]
autodoc_member_order = 'bysource'


def _public_name(app, env, node, contnode):
    """A signature names a class where it is defined (``webkit.request.Request``);
    the reference documents it where it is imported from (``webkit.Request``)."""
    target = node.get('reftarget', '')
    if node.get('refdomain') != 'py' or not target.startswith('webkit.'):
        return None
    public = 'webkit.' + target.rsplit('.', 1)[-1]
    domain = env.get_domain('py')
    if public == target or public not in domain.objects:
        return None
    return domain.resolve_xref(env, node['refdoc'], app.builder, node['reftype'],
                               public, node, contnode)


def setup(app):
    app.connect('missing-reference', _public_name)
