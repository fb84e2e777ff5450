"""A wiki stored in files, with history, edit conflicts and safe writes.

URLs (every one built with ``req.link``)::

    /                         the front page
    /{title}                  a page (a missing one says so; GET never writes)
    /{title}/edit             the edit form (GET) and saving it (POST)
    /{title}/history          its revisions, to view or compare
    /{title}/revisions/{rev}  one old revision
    /{title}/diff?from=&to=   the changes between two revisions
    /-/all, /-/recent, /-/search?q=   every page, recent changes, search
"""
import datetime
import os
from pathlib import Path

import tempita
from webob import exc

from webkit import CSRFProtection, Dispatcher, Sessions, TemplateLoader, flash, pop_flashes
from webkit.csrf import load_secret
from webkit.forms import render_form

from . import markup
from .storage import EditConflict, InvalidPageName, PageStore, PageTooLarge

__all__ = ['WikiApp', 'make_app']


def _when(timestamp):
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    return moment.strftime('%Y-%m-%d %H:%M UTC')


def _revision_number(text):
    """``text`` as a revision number, or None.

    ASCII digits only, and few of them: ``int()`` also takes ``'-1'``,
    ``' 1'``, ``'1_0'``, ``'١'`` and thousands of digits (a ValueError).
    """
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _diff_class(line):
    if line.startswith(('+++', '---', '@@')):
        return 'meta'
    return {'+': 'add', '-': 'del'}.get(line[:1], '')


class WikiApp:
    """The wiki over the pages kept in ``file_path``."""

    routes = Dispatcher()
    routes.connect('front', '/', 'front')
    routes.connect('all_pages', '/-/all', 'all_pages')
    routes.connect('recent', '/-/recent', 'recent')
    routes.connect('search', '/-/search', 'search')
    routes.connect('view', '/{title}', 'view')
    routes.connect('edit', '/{title}/edit', 'edit')
    routes.connect('save', '/{title}/edit', 'save', methods=['POST'])
    routes.connect('history', '/{title}/history', 'history')
    routes.connect('revision', '/{title}/revisions/{rev:\\d+}', 'revision')
    routes.connect('diff', '/{title}/diff', 'diff')

    history_page = 100      # revisions on one page of history

    def __init__(self, file_path, front_page='Front Page', site_name='Wiki'):
        self.store = PageStore(file_path)
        self.front_page = PageStore.normalize_title(front_page)
        self.templates = TemplateLoader.beside(
            __file__, namespace={'site_name': site_name, 'when': _when,
                                 'line_class': _diff_class, 'markup_help': markup.SYNTAX})

    def __repr__(self):
        return f'WikiApp({str(self.store.root)!r})'

    # -- helpers ------------------------------------------------------------

    def _title(self, title):
        try:
            return self.store.check_title(title)
        except InvalidPageName:
            raise exc.HTTPBadRequest('that is not a valid page name') from None

    def _page(self, req, title, template, status=200, **variables):
        link = req.link
        content = self.templates.render(template, link=link, **variables)
        req.response.status = status
        flashes = pop_flashes(req)
        if flashes:  # a 304 would swallow the message
            req.response.conditional_response = False
        return self.templates.render(
            'layout.html', link=link, title=title, content=tempita.html(content),
            flashes=flashes, query=req.GET.get('q', ''))

    def _html(self, req, text, created=None):
        def link(title):
            return req.link('view', title=self.store.normalize_title(title))
        if created is None:
            created = self._created(text)
        return tempita.html(markup.render(text, link, created.__contains__))

    def _created(self, text):
        """When each page ``text`` links to was created, for those that exist."""
        created = {title: self.store.created(title) for title in markup.links_in(text)}
        return {title: when for title, when in created.items() if when is not None}

    # -- pages ----------------------------------------------------------------

    def front(self, req):
        return self.view(req, self.front_page)

    def view(self, req, title):
        canonical = self._title(title)
        if canonical != title:  # e.g. doubled spaces: one URL per page
            return exc.HTTPMovedPermanently(location=req.link('view', title=canonical))
        page = self.store.get(title)
        if page is None:
            return self._page(req, title, 'missing.html', status=404, page_title=title)
        resp = req.response
        # The page shows whether the pages it links to exist: that is part of
        # what the entity tag stands for, and a link turning from red to blue
        # is a modification (for clients that send only If-Modified-Since).
        created = self._created(page.text)
        linked = ''.join('1' if t in created else '0' for t in markup.links_in(page.text))
        resp.etag = f'{page.etag}-{linked}' if linked else page.etag
        resp.last_modified = max([page.timestamp, *created.values()])
        resp.cache_control = 'private, no-cache'
        resp.conditional_response = True
        return self._page(req, title, 'view.html', page=page,
                          html=self._html(req, page.text, created))

    def edit(self, req, title, errors=None, defaults=None, status=200):
        title = self._title(title)
        page = self.store.get(title)
        if defaults is None:
            defaults = {'text': page.text if page else '', 'summary': '',
                        'base_rev': page.rev if page else 0}
        form = self._page(req, f'Editing {title}', 'edit.html', status=status,
                          page_title=title, exists=page is not None)
        return render_form(form, defaults, errors, req=req)

    def save(self, req, title):
        title = self._title(title)
        text = req.POST.get('text', '')
        summary = req.POST.get('summary', '')
        base_rev = _revision_number(req.POST.get('base_rev', ''))
        if base_rev is None:
            raise exc.HTTPBadRequest('the form lacks the revision it started from')
        defaults = {'text': text, 'summary': summary, 'base_rev': base_rev}
        try:
            self.store.save(title, text, base_rev, summary)
        except EditConflict as conflict:
            if conflict.base_rev > conflict.current_rev:  # nobody saved that revision
                raise exc.HTTPBadRequest('the form started from a revision the page '
                                         'never had') from None
            return self._conflict(req, title, conflict, text, summary)
        except PageTooLarge as too_large:
            return self.edit(req, title, {'text': str(too_large)}, defaults, status=413)
        flash(req, 'Saved.')
        return exc.HTTPSeeOther(location=req.link('view', title=title))

    def _conflict(self, req, title, conflict, text, summary):
        current = self.store.get(title)
        form = self._page(req, f'Edit conflict: {title}', 'conflict.html', status=409,
                          current=current, base_rev=conflict.base_rev)
        return render_form(form, {'text': text, 'summary': summary,
                                  'base_rev': current.rev}, req=req)

    def history(self, req, title):
        title = self._title(title)
        before = req.GET.get('before')       # the older pages of a long history
        if before is not None:
            before = _revision_number(before)
            if before is None:
                raise exc.HTTPBadRequest('before= takes a revision number')
        revisions = self.store.history(title, before=before, limit=self.history_page)
        if not revisions:
            raise exc.HTTPNotFound('no such page')
        latest, oldest = revisions[0].rev, revisions[-1].rev
        return self._page(req, f'History of {title}', 'history.html', page_title=title,
                          revisions=revisions, latest=latest, previous=max(latest - 1, 1),
                          older=oldest if oldest > 1 else None)

    def revision(self, req, title, rev):
        title = self._title(title)
        rev = _revision_number(rev)
        page = None if rev is None else self.store.get(title, rev)
        if page is None:
            raise exc.HTTPNotFound('no such revision')
        return self._page(req, f'{title} (revision {page.rev})', 'revision.html',
                          page=page, html=self._html(req, page.text))

    def diff(self, req, title):
        title = self._title(title)
        rev_from = _revision_number(req.GET.get('from', ''))
        rev_to = _revision_number(req.GET.get('to', ''))
        if rev_from is None or rev_to is None:
            raise exc.HTTPBadRequest('give two revision numbers, from and to')
        lines = self.store.diff(title, rev_from, rev_to)
        if lines is None:
            raise exc.HTTPNotFound('no such revision')
        return self._page(req, f'Changes to {title}', 'diff.html', page_title=title,
                          rev_from=rev_from, rev_to=rev_to, lines=lines)

    def all_pages(self, req):
        return self._page(req, 'All pages', 'pages.html', titles=self.store.all_pages())

    def recent(self, req):
        return self._page(req, 'Recent changes', 'recent.html',
                          revisions=self.store.recent_changes(50))

    def search(self, req):
        query = req.GET.get('q', '').strip()[:200]
        return self._page(req, 'Search', 'search.html', query=query,
                          titles=self.store.search(query) if query else [])

    __call__ = routes


def make_app(global_config=None, file_path='wiki-data', secret=None, front_page='Front Page',
             site_name='Wiki'):
    """Build the wiki from settings (a Paste Deploy factory too)."""
    wiki = WikiApp(file_path, front_page=front_page, site_name=site_name)
    secret = secret or load_secret(Path(file_path) / 'secret')
    return Sessions(CSRFProtection(wiki, secret), secret)


def application(environ, start_response):
    """A WSGI entry point configured from ``WIKI_FILE_PATH``, built on first use.

    Built lazily so that importing this module creates no folder; two
    first requests racing build two equal applications, which is harmless.
    """
    global _application
    if _application is None:
        _application = make_app(file_path=os.environ.get('WIKI_FILE_PATH', 'wiki-data'))
    return _application(environ, start_response)


_application = None
application.routes = WikiApp.routes  # the route table, for tools such as the lint
