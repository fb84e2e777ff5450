"""Unified diffs with a budget: difflib's output, or a refusal in bounded time.

difflib's matcher can be made slow on purpose: two texts whose lines each
repeat just under its "popular" threshold (1% of the lines) cost it
seconds to minutes. :func:`unified_diff` counts the matcher's steps before
it takes them and stops at ``max_work``::

    >>> unified_diff(['a', 'b'], ['a', 'c'], 'old', 'new')
    ['--- old', '+++ new', '@@ -1,2 +1,2 @@', ' a', '-b', '+c']
    >>> unified_diff(['a', 'b'], ['a', 'c'], 'old', 'new', max_work=2)
    Traceback (most recent call last):
    ...
    examples.wiki.diff.OverBudget: ('work', 2)
"""
import difflib
import itertools

__all__ = ['unified_diff', 'OverBudget']


class OverBudget(Exception):
    """The diff would pass its ``limit`` of ``what`` (work, lines or chars)."""

    def __init__(self, what, limit):
        super().__init__(what, limit)
        self.what = what
        self.limit = limit


def unified_diff(a, b, from_name, to_name, *, max_work=1_000_000, max_lines=20_000,
                 max_chars=1_000_000):
    """``difflib.unified_diff(a, b, from_name, to_name, lineterm='')`` as a list.

    Raises :class:`OverBudget` rather than take more than ``max_work``
    matching steps (a million is about 0.1 s here) or return more than
    ``max_lines`` lines or ``max_chars`` characters.
    """
    groups = _Matcher(a, b, max_work).get_grouped_opcodes(3)
    lines, chars = [], 0
    for line in _unified(a, b, groups, from_name, to_name):
        chars += len(line) + 1
        if len(lines) == max_lines:
            raise OverBudget('lines', max_lines)
        if chars > max_chars:
            raise OverBudget('chars', max_chars)
        lines.append(line)
    return lines


class _Matcher(difflib.SequenceMatcher):
    """A SequenceMatcher that stops before its matching passes ``budget`` steps.

    ``find_longest_match(alo, ahi, ...)`` visits, for each line of ``a`` in
    range, the places that line occurs in ``b``: its cost is at most
    ``ahi - alo`` plus those occurrences, known up front from prefix sums.
    """

    def __init__(self, a, b, budget):
        self.budget = self.limit = budget
        super().__init__(None, a, b)
        counts = itertools.accumulate(len(self.b2j.get(line, ())) + 1 for line in a)
        self.cost_before = [0, *counts]

    def find_longest_match(self, alo=0, ahi=None, blo=0, bhi=None):
        ahi = len(self.a) if ahi is None else ahi
        self.budget -= self.cost_before[ahi] - self.cost_before[alo]
        if self.budget < 0:
            raise OverBudget('work', self.limit)
        return super().find_longest_match(alo, ahi, blo, len(self.b) if bhi is None else bhi)


def _range(start, stop):
    """A unified diff's range, as difflib writes it."""
    length = stop - start
    if length == 1:
        return f'{start + 1}'
    return f'{start + 1 if length else start},{length}'


def _unified(a, b, groups, from_name, to_name):
    """difflib.unified_diff's lines (lineterm='') from already grouped opcodes."""
    for number, group in enumerate(groups):
        if number == 0:
            yield f'--- {from_name}'
            yield f'+++ {to_name}'
        first, last = group[0], group[-1]
        yield f'@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@'
        for tag, i1, i2, j1, j2 in group:
            if tag == 'equal':
                yield from (' ' + line for line in a[i1:i2])
                continue
            if tag in ('replace', 'delete'):
                yield from ('-' + line for line in a[i1:i2])
            if tag in ('replace', 'insert'):
                yield from ('+' + line for line in b[j1:j2])
