"""A wiki stored in files, with history, edit conflicts and safe writes.

URLs (every one built with ``req.link``)::

    /                         the front page (its own title redirects here)
    /{title}                  a page (a missing one says so; GET never writes)
    /{title}/edit             the edit form (GET); saving or previewing it (POST)
    /{title}/history          its revisions, to view or compare
    /{title}/revisions/{rev}  one old revision (GET); restoring it (POST)
    /{title}/diff?from=&to=   the changes between two revisions
    /-/all, /-/recent, /-/search?q=   every page, recent changes, search (?page=2...)
    /-/health                 "ok", for load balancers (no session, no cookie)
"""
import datetime
import hashlib
import logging
import os
from html import escape
from pathlib import Path

import tempita
from webob import exc

from webkit import (CSRFProtection, Dispatcher, Response, Sessions, TemplateLoader, flash,
                    pop_flashes, wsgify)
from webkit.csrf import load_secret
from webkit.forms import FORM_ERROR, render_form, wants_json
from webkit.proxy import PublicOrigin
from webkit.route import Link
from webkit.static import Static

from . import markup
from .storage import DiffTooLarge, EditConflict, InvalidPageName, PageStore, PageTooLarge

__all__ = ['WikiApp', 'make_app']


#: Sent with every answer. The only style is the wiki's own stylesheet (a
#: static file), there are no scripts, forms post here only, and no site may frame us.
SECURITY_HEADERS = (
    ('Content-Security-Policy', "default-src 'none'; style-src 'self'; "
                                "img-src 'self'; form-action 'self'; base-uri 'none'; "
                                "frame-ancestors 'none'"),
    ('X-Frame-Options', 'DENY'),
    ('X-Content-Type-Options', 'nosniff'),
    ('Referrer-Policy', 'same-origin'),
)

# What an error page says when the wiki itself did not word the error. Never
# the request's own data: an error page must not be a page anyone can write.
_EXPLANATIONS = {
    400: 'The request could not be understood.',
    403: 'The form has expired or was not sent from this site. '
         'Go back, reload the page and try again.',
    404: 'There is nothing at this address: the link may be mistyped or out of date.',
    405: 'This address cannot be used that way.',
    409: 'Someone changed this meanwhile. Reload the page and try again.',
    413: 'What was sent is larger than this wiki accepts.',
    500: 'Something went wrong on our side, not because of anything you did. '
         'It has been logged; please try again in a moment.',
}
_EXPIRED = ('Your form had expired, so nothing was saved. Your text is kept below: '
            'check it and save again.')
_RESTORE_EXPIRED = 'The form had expired, so nothing was restored. Press the button again.'

# The status of the page the wiki rendered in its layout for this request:
# an error answer with any other status is shown in the layout afterwards.
_LAID_OUT = 'examples.wiki.laid_out'


class _BadRequest(exc.HTTPBadRequest):
    """A 400 whose detail is the wiki's own fixed text, shown on its error page."""


class _NotFound(exc.HTTPNotFound):
    """A 404 whose detail is the wiki's own fixed text, shown on its error page."""


def _when(timestamp):
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    return moment.strftime('%Y-%m-%d %H:%M UTC')


def _count(number, noun):
    """``'1 page'``, ``'2 pages'``."""
    return f'{number} {noun}' if number == 1 else f'{number} {noun}s'


def _field(req, name):
    """The form field ``name`` as text ('' when not sent); a file sent for it is a 400."""
    value = req.POST.get(name, '')
    if not isinstance(value, str):
        raise _BadRequest(f'The form field {name} takes text, not a file.')
    return value


def _number(text, limit=9):
    """``text`` as a whole number (0 or more), or None.

    ASCII digits only, and few of them: ``int()`` also takes ``'-1'``,
    ``' 1'``, ``'1_0'``, ``'١'`` and thousands of digits (a ValueError).
    """
    return int(text) if text.isascii() and text.isdigit() and len(text) <= limit else None


def _diff_class(line):
    if line.startswith(('+++', '---', '@@')):
        return 'meta'
    return {'+': 'add', '-': 'del'}.get(line[:1], '')


class _Pager:
    """Page ``number`` of a list shown ``size`` items at a time, with its links."""

    def __init__(self, req, route, number, size, shown, more, total=None, **params):
        self.number = number
        self.pages = None if total is None else -(-total // size)
        self.first_item = (number - 1) * size + 1
        self.last_item = self.first_item + shown - 1
        self.next_url = req.link(route, page=number + 1, **params) if more else None
        self.previous_url = None
        if number > 1:
            # Page 1 has the list's plain URL: one URL per page of the list.
            self.previous_url = req.link(route, **({'page': number - 1} if number > 2 else {}),
                                         **params)

    @property
    def html(self):
        if not (self.next_url or self.previous_url):
            return tempita.html('')
        previous = (f'<a href="{escape(self.previous_url)}" rel="prev">← Previous</a>'
                    if self.previous_url else '<span></span>')
        following = (f'<a href="{escape(self.next_url)}" rel="next">Next →</a>'
                     if self.next_url else '<span></span>')
        of = f' of {self.pages}' if self.pages else ''
        return tempita.html(f'<nav class="pager" aria-label="More pages of this list">'
                            f'{previous}<span>Page {self.number}{of}</span>{following}</nav>')


class WikiApp:
    """The wiki over the pages kept in ``file_path``: a WSGI application.

    It carries its own session (for "Saved." messages) and CSRF protection,
    signed with ``secret`` (default: one kept in ``file_path/secret``),
    shows every error in its layout (JSON to JSON clients) and sends
    :data:`SECURITY_HEADERS` with every answer.
    """

    routes = Dispatcher()
    routes.connect('front', '/', 'front')
    routes.connect('all_pages', '/-/all', 'all_pages')
    routes.connect('recent', '/-/recent', 'recent')
    routes.connect('search', '/-/search', 'search')
    routes.connect('health', '/-/health', 'health')
    routes.connect('static', '/-/static/{path:.*}', view=Static(Path(__file__).parent / 'static'))
    routes.connect('view', '/{title}', 'view')
    routes.connect('edit', '/{title}/edit', 'edit')
    routes.connect('save', '/{title}/edit', 'save', methods=['POST'])
    routes.connect('history', '/{title}/history', 'history')
    routes.connect('revision', '/{title}/revisions/{rev:\\d+}', 'revision')
    routes.connect('restore', '/{title}/revisions/{rev:\\d+}', 'restore', methods=['POST'])
    routes.connect('diff', '/{title}/diff', 'diff')

    history_page = 100      # revisions on one page of history
    list_page = 100         # titles on one page of the page list
    changes_page = 50       # entries on one page of recent changes or search results

    def __init__(self, file_path, secret=None, front_page='Front Page', site_name='Wiki'):
        self.store = PageStore(file_path)
        self.front_page = PageStore.normalize_title(front_page)
        self.templates = TemplateLoader.beside(
            __file__, namespace={'site_name': site_name, 'when': _when, 'count': _count,
                                 'line_class': _diff_class, 'markup_help': markup.SYNTAX,
                                 'front_page': self.front_page})
        secret = secret or load_secret(Path(file_path) / 'secret')
        self._wsgi = _site(Sessions(CSRFProtection(self.routes, secret,
                                                   on_refusal=self._csrf_refused), secret),
                           wiki=self)

    def __repr__(self):
        return f'WikiApp({str(self.store.root)!r})'

    def __call__(self, environ, start_response):
        return self._wsgi(environ, start_response)

    # -- helpers ------------------------------------------------------------

    def _title(self, title):
        try:
            return self.store.check_title(title)
        except InvalidPageName:
            raise _BadRequest('That is not a valid page name.') from None

    def _page_url(self, req, title):
        """The one URL of page ``title``: the front page lives at ``/``."""
        return req.link('front') if title == self.front_page else req.link('view', title=title)

    def _page(self, req, title, template, status=200, form=None, **variables):
        """A page of the wiki in its layout; ``form`` = (defaults, errors) fills its form."""
        flashes = pop_flashes(req)
        req.response.status = status
        if flashes:  # a 304 would swallow the message
            req.response.conditional_response = False
        variables.setdefault('page_url', lambda title: self._page_url(req, title))
        content = self.templates.render(template, link=req.link, **variables)
        if form is not None:
            # Only the page's own form is filled: the layout's search box keeps its value.
            content = render_form(content, *form, req=req)
        return self._layout(req, req.link, title, content, status, flashes,
                            query=req.GET.get('q', '')[:200])

    def _layout(self, req, link, title, content, status, flashes=(), query=''):
        req.environ[_LAID_OUT] = status
        return self.templates.render('layout.html', link=link, title=title, query=query,
                                     content=tempita.html(content), flashes=flashes)

    def _html(self, req, text, created=None):
        def link(title):
            return self._page_url(req, self.store.normalize_title(title))
        if created is None:
            created = self._created(text)
        return tempita.html(markup.render(text, link, created.__contains__))

    def _created(self, text):
        """When each page ``text`` links to was created, for those that exist."""
        created = {title: self.store.created(title) for title in markup.links_in(text)}
        return {title: when for title, when in created.items() if when is not None}

    def _page_number(self, req):
        number = _number(req.GET.get('page', '1'), limit=6)
        if not number:
            raise _BadRequest('page= takes a page number: 1, 2, 3...')
        return number

    # -- pages ----------------------------------------------------------------

    def front(self, req):
        page = self.store.get(self.front_page)
        if page is None:  # a new wiki: an invitation, not an error
            return self._page(req, self.front_page, 'welcome.html', page_title=self.front_page)
        return self._show(req, page)

    def view(self, req, title):
        canonical = self._title(title)
        if canonical == self.front_page or canonical != title:  # one URL per page
            return exc.HTTPMovedPermanently(location=self._page_url(req, canonical))
        page = self.store.get(title)
        if page is None:
            return self._page(req, title, 'missing.html', status=404, page_title=title)
        return self._show(req, page)

    def _show(self, req, page):
        resp = req.response
        # The page shows whether the pages it links to exist: that is part of
        # what the entity tag stands for, and a link turning from red to blue
        # is a modification (for clients that send only If-Modified-Since).
        # A hash keeps the tag small whatever the page links to (proxies
        # refuse answers whose headers pass a few KiB).
        created = self._created(page.text)
        linked = ''.join('1' if t in created else '0' for t in markup.links_in(page.text))
        resp.etag = hashlib.sha256(f'{page.etag}-{linked}'.encode()).hexdigest()[:32]
        resp.last_modified = max([page.timestamp, *created.values()])
        resp.cache_control = 'private, no-cache'
        resp.conditional_response = True
        return self._page(req, page.title, 'view.html', page=page,
                          html=self._html(req, page.text, created))

    def health(self, req):
        """``ok``: the process answers. Reads no session and sets no cookie."""
        return Response('ok', content_type='text/plain', charset='UTF-8',
                        cache_control='no-store')

    def edit(self, req, title, errors=None, defaults=None, status=200, preview=None):
        title = self._title(title)
        page = self.store.get(title)
        if defaults is None:
            defaults = {'text': page.text if page else '', 'summary': '',
                        'base_rev': page.rev if page else 0}
        verb = 'Editing' if page else 'Creating'
        return self._page(req, f'{verb} {title}', 'edit.html', status=status,
                          form=(defaults, errors), page_title=title, exists=page is not None,
                          preview=preview)

    def save(self, req, title):
        title = self._title(title)
        text, summary = _field(req, 'text'), _field(req, 'summary')
        base_rev = _number(_field(req, 'base_rev'))
        if base_rev is None:
            raise _BadRequest('The form lacks the revision it started from.')
        defaults = {'text': text, 'summary': summary, 'base_rev': base_rev}
        try:
            if 'preview' in req.POST:  # shows the text as it would look; saves nothing
                size, limit = len(text.encode('utf-8')), self.store.max_page_bytes
                if size > limit:
                    raise PageTooLarge(size, limit)
                return self.edit(req, title, defaults=defaults, preview=self._html(req, text))
            self.store.save(title, text, base_rev, summary)
        except EditConflict as conflict:
            return self._conflict(req, title, conflict, text, summary)
        except PageTooLarge as too_large:
            message = (f'This text is {too_large.size:,} bytes; a page holds at most '
                       f'{too_large.limit:,}. Shorten it, or split it into several pages.')
            return self.edit(req, title, {'text': message}, defaults, status=413)
        flash(req, 'Saved.')
        return exc.HTTPSeeOther(location=self._page_url(req, title))

    def _conflict(self, req, title, conflict, text, summary):
        if conflict.base_rev > conflict.current_rev:  # nobody saved that revision
            raise _BadRequest('The form started from a revision the page never had.')
        current = self.store.get(title)
        return self._page(req, f'Edit conflict: {title}', 'conflict.html', status=409,
                          form=({'text': text, 'summary': summary, 'base_rev': current.rev},
                                None),
                          current=current, base_rev=conflict.base_rev)

    def history(self, req, title):
        title = self._title(title)
        before = req.GET.get('before')       # the older pages of a long history
        if before is not None:
            before = _number(before)
            if before is None:
                raise _BadRequest('before= takes a revision number.')
        revisions = self.store.history(title, before=before, limit=self.history_page)
        if not revisions:
            raise _NotFound('This page has no such revisions.')
        latest, oldest = revisions[0].rev, revisions[-1].rev
        return self._page(req, f'History of {title}', 'history.html', page_title=title,
                          revisions=revisions, latest=latest, previous=max(latest - 1, 1),
                          older=oldest if oldest > 1 else None)

    def revision(self, req, title, rev, defaults=None, errors=None, status=200):
        title = self._title(title)
        rev = _number(rev)
        page = None if rev is None else self.store.get(title, rev)
        if page is None:
            raise _NotFound('This page has no such revision.')
        return self._page(req, f'{title} (revision {page.rev})', 'revision.html',
                          status=status, form=(defaults, errors), page=page,
                          current=self.store.current_rev(title),
                          html=self._html(req, page.text))

    def restore(self, req, title, rev):
        """Save an old revision's text as the newest revision."""
        title = self._title(title)
        rev = _number(rev)
        old = None if rev is None else self.store.get(title, rev)
        if old is None:
            raise _NotFound('This page has no such revision.')
        base_rev = _number(_field(req, 'base_rev'))
        if base_rev is None:
            raise _BadRequest('The form lacks the revision it started from.')
        summary = f'Restored revision {old.rev}'
        try:
            self.store.save(title, old.text, base_rev, summary)
        except EditConflict as conflict:  # changed since the button was shown
            return self._conflict(req, title, conflict, old.text, summary)
        flash(req, f'Restored revision {old.rev}.')
        return exc.HTTPSeeOther(location=self._page_url(req, title))

    def diff(self, req, title):
        title = self._title(title)
        rev_from = _number(req.GET.get('from', ''))
        rev_to = _number(req.GET.get('to', ''))
        if rev_from is None or rev_to is None:
            raise _BadRequest('Give two revision numbers to compare, from= and to=.')
        try:
            lines = self.store.diff(title, rev_from, rev_to)
        except DiffTooLarge:
            lines = None  # the page links to both revisions instead
        else:
            if lines is None:
                raise _NotFound('This page has no such revision.')
        return self._page(req, f'Changes to {title}', 'diff.html', page_title=title,
                          rev_from=rev_from, rev_to=rev_to, lines=lines)

    def all_pages(self, req):
        number = self._page_number(req)
        size = self.list_page
        total = self.store.page_count()
        titles = self.store.all_pages(offset=(number - 1) * size, limit=size)
        if number > 1 and not titles:
            raise _NotFound('The list of pages is not that long.')
        pager = _Pager(req, 'all_pages', number, size, len(titles), number * size < total,
                       total=total)
        return self._page(req, 'All pages', 'pages.html', titles=titles, total=total,
                          pager=pager)

    def recent(self, req):
        number = self._page_number(req)
        size = self.changes_page
        revisions = self.store.recent_changes(limit=size + 1, offset=(number - 1) * size)
        if number > 1 and not revisions:
            raise _NotFound('The list of changes is not that long.')
        pager = _Pager(req, 'recent', number, size, len(revisions[:size]), len(revisions) > size)
        return self._page(req, 'Recent changes', 'recent.html', revisions=revisions[:size],
                          pager=pager)

    def search(self, req):
        query = req.GET.get('q', '').strip()[:200]
        number = self._page_number(req)
        size = self.changes_page
        titles = (self.store.search(query, limit=size + 1, offset=(number - 1) * size)
                  if query else [])
        if number > 1 and not titles:
            raise _NotFound('There are no more results.')
        pager = _Pager(req, 'search', number, size, len(titles[:size]), len(titles) > size,
                       q=query)
        creatable = self._creatable(query) if query and not titles else None
        return self._page(req, 'Search', 'search.html', query=query, titles=titles[:size],
                          pager=pager, creatable=creatable)

    def _creatable(self, query):
        """``query`` as the title of a page to create, if it can be one and is not yet."""
        try:
            title = self.store.check_title(query)
        except InvalidPageName:
            return None
        return None if self.store.exists(title) else title

    # -- answers to refusals and errors ----------------------------------------

    def _csrf_refused(self, req, refusal):
        """A POST whose CSRF token is missing or stale: its form again, nothing lost.

        The user's text comes back with a fresh token (and cookie), so the
        next Save works; a request sent from another site gets the bare
        refusal (its text is not the user's, and must not be offered for saving).
        """
        title, rev = req.urlvars.get('title'), req.urlvars.get('rev')
        if refusal.cross_site or title is None:
            return refusal
        if rev is not None:  # restoring a revision
            return self.revision(req, title, rev, {'base_rev': req.POST.get('base_rev', '')},
                                 {FORM_ERROR: _RESTORE_EXPIRED}, status=403)
        defaults = {name: req.POST.get(name, '') for name in ('text', 'summary', 'base_rev')}
        return self.edit(req, title, {FORM_ERROR: _EXPIRED}, defaults, status=403)

    def error_page(self, req, status, message=None, headers=()):
        """The answer for an error ``status``: a page in the layout, or JSON.

        ``message`` is the wiki's own wording, when it has one.
        """
        known = exc.status_map.get(status)
        title = known.title.capitalize() if known else 'Error'
        message = message or _EXPLANATIONS.get(status) or _EXPLANATIONS[status // 100 * 100]
        if wants_json(req):
            resp = Response(json_body={'code': status, 'title': title, 'message': message})
        else:
            link = Link(WikiApp.routes, req)  # built here: the error may precede routing
            content = self.templates.render('problem.html', link=link, message=message)
            resp = Response(self._layout(req, link, title, content, status), charset='UTF-8')
        resp.status = status
        resp.headerlist.extend(headers)
        return resp


@wsgify.middleware
def _site(req, app, wiki):
    """Errors in the wiki's layout (JSON for JSON clients), security headers on every answer."""
    try:
        resp = req.get_response(app)
    except Exception:
        logging.getLogger('webkit').exception('error handling %s %s', req.method, req.path_qs)
        resp = wiki.error_page(req, 500)
    else:
        if _bare_error(req, resp):
            own = isinstance(resp, (_BadRequest, _NotFound))
            keep = [(name, value) for name, value in resp.headerlist if name == 'Allow']
            resp = wiki.error_page(req, resp.status_int, resp.detail if own else None, keep)
    for name, value in SECURITY_HEADERS:
        resp.headers.setdefault(name, value)
    return resp


def _bare_error(req, resp):
    """Whether ``resp`` is an error not yet in the form the client reads."""
    if resp.status_int < 400:
        return False
    if wants_json(req):
        return resp.content_type != 'application/json'
    return req.environ.get(_LAID_OUT) != resp.status_int  # not a page of the wiki's own


def make_app(global_config=None, file_path='wiki-data', secret=None, front_page='Front Page',
             site_name='Wiki', base_url=None, allowed_hosts=(), trusted_proxies=()):
    """Build the wiki from settings (a Paste Deploy factory too).

    ``secret`` may list several secrets (newest first, separated by white
    space in an ini file); ``base_url``, ``allowed_hosts`` and
    ``trusted_proxies`` describe the public address behind a proxy
    (:class:`webkit.proxy.PublicOrigin`).
    """
    if isinstance(secret, str) and len(secret.split()) > 1:
        secret = secret.split()
    app = WikiApp(file_path, secret, front_page=front_page, site_name=site_name)
    if base_url or allowed_hosts or trusted_proxies:
        return PublicOrigin(app, base_url, allowed_hosts, trusted_proxies)
    return app


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
