"""The questions to ask, and the FormEncode schema that checks the answers.

Questions are data: a list given to the application, or a JSON file::

    [{"name": "color", "label": "Favourite colour",
      "kind": "choice", "choices": ["red", "green", "blue"]},
     {"name": "quest", "label": "What is your quest?"}]

Each becomes a form field, so its name must be safe in HTML and may not
collide with the fixed fields::

    >>> Question('password', 'Your password?')
    Traceback (most recent call last):
    ...
    examples.questioner.questions.InvalidQuestion: question 'password': the name is reserved
    >>> schema = registration_schema([Question('quest', 'Your quest?')])
    >>> sorted(schema.fields)
    ['password', 'password_confirm', 'quest', 'username']
"""
import json
import re

import formencode
from formencode import validators

__all__ = ['Question', 'InvalidQuestion', 'load_questions', 'registration_schema',
           'DEFAULT_QUESTIONS']

_NAME = re.compile(r'[a-z][a-z0-9_]{0,39}\Z')
# The fixed fields, the CSRF field, and the key of errors of the whole form.
RESERVED = frozenset({'username', 'password', 'password_confirm', 'csrf_token', 'form'})
KINDS = ('text', 'choice')


class InvalidQuestion(ValueError):
    """A question definition that cannot be asked: ``problem`` says why."""

    def __init__(self, name, problem):
        super().__init__(name, problem)
        self.name = name
        self.problem = problem

    def __str__(self):
        return f'question {self.name!r}: {self.problem}'


class Question:
    """One question: a field ``name``, a ``label``, a ``kind`` and its rules."""

    def __init__(self, name, label, kind='text', choices=(), required=True,
                 max_length=200):
        if not isinstance(name, str) or not _NAME.match(name):
            raise InvalidQuestion(name, 'a name is 1-40 lowercase letters, digits '
                                  'or underscores, starting with a letter')
        if name in RESERVED:
            raise InvalidQuestion(name, 'the name is reserved')
        if kind not in KINDS:
            raise InvalidQuestion(name, f'kind must be one of {KINDS}, not {kind!r}')
        if (kind == 'choice') != bool(choices):
            raise InvalidQuestion(name, 'a choice question needs choices; '
                                  'only choice questions have them')
        # Questions often come from a JSON file: check types, coerce nothing
        # ("abc" is not three choices, "no" is not false).
        if isinstance(choices, str) or not all(isinstance(c, str) and c for c in choices):
            raise InvalidQuestion(name, f'choices must be a list of texts, not {choices!r}')
        if not isinstance(label, str) or not label.strip():
            raise InvalidQuestion(name, f'the label must be some text, not {label!r}')
        if not isinstance(required, bool):
            raise InvalidQuestion(name, f'required must be true or false, not {required!r}')
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
            raise InvalidQuestion(name, f'max_length must be a whole number of 1 or more, '
                                  f'not {max_length!r}')
        self.name = name
        self.label = label
        self.kind = kind
        self.choices = tuple(choices)
        self.required = required
        self.max_length = max_length

    def __repr__(self):
        return f'Question({self.name!r}, {self.label!r}, kind={self.kind!r})'

    def validator(self):
        """The FormEncode validator for this question's answer."""
        # An optional question may be left out altogether (a JSON client).
        optional = {} if self.required else {'if_missing': ''}
        if self.kind == 'choice':
            # "Please enter a value" reads oddly under a list to choose from.
            return validators.OneOf(self.choices, not_empty=self.required, hideList=True,
                                    messages={'empty': 'Please choose one',
                                              'invalid': 'Please choose one of the list',
                                              'notIn': 'Please choose one of the list'},
                                    **optional)
        return validators.UnicodeString(strip=True, not_empty=self.required,
                                        max=self.max_length,
                                        messages={'empty': 'Please answer this question'},
                                        **optional)


DEFAULT_QUESTIONS = (
    Question('name', 'What is your name?'),
    Question('quest', 'What is your quest?'),
    Question('color', 'What is your favourite colour?', kind='choice',
             choices=('red', 'green', 'blue', 'yellow')),
)


def load_questions(path):
    """Read a JSON list of question definitions from ``path``.

    Any problem is an :class:`InvalidQuestion` naming the file or the
    question, raised when the application starts.
    """
    try:
        with open(path, encoding='utf-8') as file:
            items = json.load(file)
    except OSError as error:
        raise InvalidQuestion(str(path), f'cannot read it: {error}') from None
    except ValueError as error:  # bad JSON or bad UTF-8
        raise InvalidQuestion(str(path), f'not valid JSON: {error}') from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InvalidQuestion(str(path), 'the file must hold a JSON list of objects')
    questions = []
    for item in items:
        try:
            questions.append(Question(**item))
        except TypeError as error:
            raise InvalidQuestion(item.get('name'), str(error)) from None
    names = [q.name for q in questions]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidQuestion(duplicates[0], 'the name is used twice')
    return questions


class _Registration(formencode.Schema):
    """The fixed fields; questions are added per application."""

    allow_extra_fields = True
    filter_extra_fields = True   # fields nobody asked for never reach the values
    username = validators.Regex(r'^[A-Za-z0-9_.-]{3,30}$', strip=True, not_empty=True,
                                messages={'invalid': 'Use 3 to 30 letters, digits, '
                                                     '".", "-" or "_"'})
    password = validators.UnicodeString(min=8, max=200, not_empty=True)
    password_confirm = validators.UnicodeString(not_empty=True)
    chained_validators = [validators.FieldsMatch(
        'password', 'password_confirm',
        messages={'invalidNoMatch': 'The passwords do not match'})]


def registration_schema(questions):
    """A schema instance checking the fixed fields and every question."""
    fields = {q.name: q.validator() for q in questions}
    return type('RegistrationSchema', (_Registration,), fields)()
