"""The wiki's markup: CommonMark, with ``[[Page Name]]`` links, safe and linear.

`markdown-it-py <https://markdown-it-py.readthedocs.io>`_ parses CommonMark
(plus tables and ``~~strikethrough~~``) in time linear in the text, which a
page of hostile text cannot change. On top of it:

- raw HTML is off: ``<b>`` is shown as text;
- links lead only to ``http``, ``https`` and ``mailto`` URLs or to relative
  ones; any other scheme (``javascript:``, ``data:``, ``vbscript:``) is text;
- images are off: ``![alt](url)`` is a link to the image, so a page never
  makes its readers' browsers fetch from a third party;
- ``[[Page Name]]`` and ``[[Page Name|shown text]]`` link to wiki pages,
  with ``class="missing"`` on those that do not exist yet;
- headings start at ``<h2>``: the page title is the ``<h1>``.

The result is trusted HTML; a template shows it with ``tempita.html``::

    >>> print(render('*Hi* <b>x</b> [[Front Page]] [x](javascript:y)',
    ...              lambda t: '/' + t, lambda t: True))
    <p><em>Hi</em> &lt;b&gt;x&lt;/b&gt; <a href="/Front Page">Front Page</a> [x](javascript:y)</p>

Parsing is the expensive part; which linked pages exist and where they live
change between views (a page gets created, the wiki moves under another
``SCRIPT_NAME``). So the parse of a text is cached with holes where the wiki
links go, and every :func:`render` only fills the holes: a view of an
unchanged page never parses again.
"""
import functools
import hashlib
import re
import threading
from collections import OrderedDict
from html import escape

from markdown_it import MarkdownIt

__all__ = ['render', 'links_in', 'SYNTAX']

#: The whole markup, as the edit form shows it.
SYNTAX = """\
# Heading (## a smaller one, down to ######)
*italic*, **bold**, `code`, ~~struck out~~
[[Other Page]], [[Other Page|shown text]]
[shown text](https://example.org), <https://example.org>

* a list item
1. a numbered item

> a quotation

```
preformatted text, shown as it is
```

| a | table |
|---|-------|
| 1 | 2     |"""

_HOLE = '\x00'      # the parser turns every NUL of the text into U+FFFD: never ambiguous
_SCHEME = re.compile(r'([a-zA-Z][a-zA-Z0-9+.-]*):')
_ALLOWED_SCHEMES = {'http', 'https', 'mailto'}
# A title is at most 200 bytes percent-encoded (storage.MAX_NAME_BYTES), so at
# most 200 characters; a label gets as many. Each "[[" looks this far ahead and
# no further: a page of unclosed "[[" costs linear time, not quadratic.
_WIKILINK = re.compile(r'\[\[([^\[\]|\n]{1,200})(?:\|([^\[\]\n]{1,200}))?\]\]')


def _allowed(url):
    """Whether a link may point at ``url`` (as the parser normalized it)."""
    found = _SCHEME.match(url)
    return found is None or found[1].lower() in _ALLOWED_SCHEMES


def _wikilink(state, silent):
    if not state.src.startswith('[[', state.pos):
        return False
    found = _WIKILINK.match(state.src, state.pos, min(state.posMax, state.pos + 405))
    if found is None or not found[1].strip():
        return False
    if not silent:
        token = state.push('wikilink', '', 0)
        token.meta = {'title': found[1].strip(), 'label': found[2]}
    state.pos = found.end()
    return True


def _parser():
    md = MarkdownIt('commonmark', {'html': False}).enable(['table', 'strikethrough'])
    md.disable('image')
    md.validateLink = _allowed
    md.inline.ruler.before('link', 'wikilink', _wikilink)
    rules = md.renderer.rules
    rules['wikilink'] = _hole
    rules['heading_open'] = rules['heading_close'] = _shifted_heading
    rules['link_open'] = _link_open
    return md


def _hole(tokens, idx, options, env):
    env['links'].append((tokens[idx].meta['title'], tokens[idx].meta['label']))
    return _HOLE


def _shifted_heading(tokens, idx, options, env):
    token = tokens[idx]
    level = min(int(token.tag[1]) + 1, 6)
    return f'<h{level}>' if token.nesting == 1 else f'</h{level}>\n'


def _link_open(tokens, idx, options, env):
    token = tokens[idx]
    href = token.attrGet('href') or ''
    if _SCHEME.match(href) or href.startswith('//'):   # leaves the wiki
        token.attrSet('rel', 'nofollow noopener')
    return _md.renderer.renderToken(tokens, idx, options, env)


_md = _parser()


class _Parsed:
    """A text's HTML cut at its wiki links: ``parts`` around ``links``."""

    __slots__ = ('parts', 'links', 'size')

    def __init__(self, text):
        env = {'links': []}
        html = _md.render(text, env).rstrip('\n')
        self.parts = html.split(_HOLE)
        self.links = env['links']       # (title, label or None), one per hole
        self.size = len(html) + 64 * len(self.links)


class _Cache:
    """The parses of recent texts, at most ``max_bytes`` of HTML, least recent out."""

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.used = 0
        self.entries = OrderedDict()
        self.lock = threading.Lock()

    def get(self, text):
        key = hashlib.blake2b(text.encode('utf-8', 'surrogatepass'), digest_size=20).digest()
        with self.lock:
            parsed = self.entries.get(key)
            if parsed is not None:
                self.entries.move_to_end(key)
                return parsed
        parsed = _Parsed(text)          # outside the lock: other views go on meanwhile
        with self.lock:
            if key not in self.entries and parsed.size <= self.max_bytes:
                self.entries[key] = parsed
                self.used += parsed.size
                while self.used > self.max_bytes:
                    self.used -= self.entries.popitem(last=False)[1].size
        return parsed


_cache = _Cache(64 * 1024 * 1024)


def links_in(text):
    """The page titles ``[[linked]]`` from ``text``, in order, without repeats.

    Only real links count: ``[[x]]`` inside ```code``` is text.
    """
    return list(dict.fromkeys(title for title, _ in _cache.get(text).links))


def render(text, link, exists):
    """The HTML for wiki ``text``.

    ``link(title)`` gives the URL of a page and ``exists(title)`` whether
    it exists yet (missing pages get ``class="missing"``); either may
    raise ``ValueError`` for a name that is not a valid title, and the
    link is then shown as the text it is. Each is asked once per title,
    however often the text links to it.
    """
    parsed = _cache.get(text)
    link, exists = functools.cache(link), functools.cache(exists)
    out = [parsed.parts[0]]
    for (title, label), after in zip(parsed.links, parsed.parts[1:]):
        out.append(_page_link(title, label, link, exists))
        out.append(after)
    return ''.join(out)


def _page_link(title, label, link, exists):
    try:
        url = link(title)
        present = exists(title)
    except ValueError:  # not a valid page name: shown as the text it is
        return escape(f'[[{title}]]' if label is None else f'[[{title}|{label}]]')
    css = '' if present else ' class="missing"'
    shown = escape((label or title).strip() or title)
    return f'<a href="{escape(url)}"{css}>{shown}</a>'
