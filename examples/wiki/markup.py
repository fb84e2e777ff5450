"""The wiki's markup: small, documented, and escaped before anything else.

The text is split into pieces; every piece of plain text is HTML-escaped
and only the markup in :data:`SYNTAX` produces tags. Links go to wiki
pages or to ``http``/``https`` URLs, nothing else. Blank lines separate
paragraphs. The result is trusted HTML: a template
shows it with ``tempita.html`` (never as template source)::

    >>> print(render("''Hi'' <b>there</b>, see [[Front Page]]", lambda t: '/' + t,
    ...              lambda t: True))
    <p><em>Hi</em> &lt;b&gt;there&lt;/b&gt;, see <a href="/Front Page">Front Page</a></p>
"""
import functools
import re
from html import escape

__all__ = ['render', 'links_in', 'SYNTAX']

#: The whole markup, as the edit form shows it.
SYNTAX = """\
= Heading =            == Smaller heading ==     (up to ====)
''italic''   '''bold'''   `code`
* a list item          # a numbered item
[[Other Page]]         [[Other Page|shown text]]
https://example.org    [https://example.org shown text]
{{{
preformatted text, shown as it is
}}}"""

# No part of a link may hold "[": an unclosed "[[" then stops at the next
# "[" instead of scanning the rest of the text again (quadratic time: one
# page of "[[[[..." would hold a worker for minutes on every view).
_INLINE = re.compile(r"""
    `(?P<code>[^`\n]+)`
  | \[\[(?P<page>[^\[\]|\n]+)(?:\|(?P<label>[^\[\]\n]+))?\]\]
  | \[(?P<url>https?://[^\s\[\]]+)(?:\s+(?P<text>[^\[\]\n]+))?\]
  | (?P<bare>https?://[^\s<>"'\]\[]+[^\s<>"'\]\[.,;:!?)])
  | '''(?P<bold>.+?)'''
  | ''(?P<italic>.+?)''
""", re.X)
# Not r'(=+)\s*(.+?)\s*\1': spaces on both sides of a lazy group backtrack in
# cubic time. The line comes right-stripped; the title is stripped after.
_HEADING = re.compile(r'(={1,4})(.+?)\1\Z')
_LIST_ITEM = re.compile(r'([*#])\s+(.*)\Z')


def links_in(text):
    """The page titles ``[[linked]]`` from ``text``, in order, without repeats."""
    return list(dict.fromkeys(found['page'].strip() for found in _INLINE.finditer(text)
                              if found['page']))


def _inline(text, link, exists):
    out = []
    position = 0
    for found in _INLINE.finditer(text):
        out.append(escape(text[position:found.start()]))
        position = found.end()
        if found['code'] is not None:
            out.append(f'<code>{escape(found["code"])}</code>')
        elif found['page'] is not None:
            out.append(_page_link(found['page'], found['label'], link, exists))
        elif found['url'] is not None:
            out.append(_url_link(found['url'], found['text'] or found['url']))
        elif found['bare'] is not None:
            out.append(_url_link(found['bare'], found['bare']))
        elif found['bold'] is not None:
            out.append(f'<strong>{_inline(found["bold"], link, exists)}</strong>')
        else:
            out.append(f'<em>{_inline(found["italic"], link, exists)}</em>')
    out.append(escape(text[position:]))
    return ''.join(out)


def _page_link(title, label, link, exists):
    title = title.strip()
    shown = escape((label or title).strip())
    try:
        url = link(title)
        present = exists(title)
    except ValueError:  # not a valid page name: shown as the text it is
        return escape(f'[[{title}]]' if label is None else f'[[{title}|{label}]]')
    css = '' if present else ' class="missing"'
    return f'<a href="{escape(url)}"{css}>{shown}</a>'


def _url_link(url, text):
    return f'<a href="{escape(url)}" rel="nofollow noopener">{escape(text)}</a>'


def render(text, link, exists):
    """The HTML for wiki ``text``.

    ``link(title)`` gives the URL of a page and ``exists(title)`` whether
    it exists yet (missing pages get ``class="missing"``); either may
    raise ``ValueError`` for a name that is not a valid title. Each is
    asked once per title, however often the text links to it.
    """
    link, exists = functools.cache(link), functools.cache(exists)
    blocks = []
    paragraph = []
    items = None                # (tag, [item html]) of the open list
    lines = text.replace('\r\n', '\n').split('\n')
    index = 0

    def close():
        nonlocal items
        if paragraph:
            blocks.append(f'<p>{_inline(" ".join(paragraph), link, exists)}</p>')
            paragraph.clear()
        if items:
            tag, entries = items
            blocks.append(f'<{tag}>' + ''.join(f'<li>{e}</li>' for e in entries) + f'</{tag}>')
            items = None

    while index < len(lines):
        line = lines[index].rstrip()
        index += 1
        if line.strip() == '{{{':
            close()
            end = next((i for i in range(index, len(lines)) if lines[i].strip() == '}}}'),
                       len(lines))
            blocks.append(f'<pre>{escape(chr(10).join(lines[index:end]))}</pre>')
            index = end + 1
            continue
        heading = _HEADING.match(line)
        item = _LIST_ITEM.match(line)
        if not line.strip():
            close()
        elif heading:
            close()
            level = len(heading[1]) + 1     # = is <h2>: the page title is the <h1>
            blocks.append(f'<h{level}>{_inline(heading[2].strip(), link, exists)}</h{level}>')
        elif item:
            tag = 'ul' if item[1] == '*' else 'ol'
            if paragraph or (items and items[0] != tag):
                close()
            if items is None:
                items = (tag, [])
            items[1].append(_inline(item[2], link, exists))
        else:
            if items:
                close()
            paragraph.append(line.strip())
    close()
    return '\n'.join(blocks)
