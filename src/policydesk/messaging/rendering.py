"""Message templates: the texts of SMS, emails and letters that agency staff write with placeholders.

``Dear {{ client.first_name }}, your policy {{ policy.number }} ends on {{ policy.end_date }}.``

The syntax is a small subset of Django's template language, read by Django's own lexer and parser so
that what passes ``validate_template`` renders exactly as Django renders it:

- placeholders ``{{ name }}`` of listed dotted names, with the filters ``default:"…"`` (text in
  quotes), ``upper``, ``lower``, ``capfirst`` and ``title``;
- ``{% if name %}``, ``{% elif name %}``, ``{% else %}``, ``{% endif %}``, each condition one listed
  name, optionally after ``not``;
- comments ``{# … #}`` (on one line, as in Django).

Anything else (other tags and filters, literals, names not listed) is refused with its line and column,
so that staff see their mistake when they save the template, never when a message goes out. Rendering
runs in an engine that knows nothing but this subset (no ``{% load %}``, no ``{% include %}``, no
loaders), with values given as a nested mapping of already formatted texts.
"""

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.template import (
    Context,
    Engine,
    Library,
    Template,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.template.base import DebugLexer, Lexer, Parser, TokenType, filter_re
from django.utils.translation import gettext as _

__all__ = ["TemplateError", "placeholders_in", "render", "validate_template"]

FILTERS = ("default", "upper", "lower", "capfirst", "title")
CONDITION_TAGS = ("if", "elif")

_LIBRARY = Library()
_LIBRARY.tag("if", defaulttags.do_if)
for _name in FILTERS:
    _LIBRARY.filter(_name, getattr(defaultfilters, _name))

# Django reads a number where a name is expected ("5", "-1.5e3"): such a token is a literal.
_NUMBER = re.compile(r"[-+.]?\d[\d.e]*")
# What a condition may name: the characters of a Django variable, nothing else (no filters, no quotes).
_BARE_NAME = re.compile(r"[\w.]+")
# Marks that only make sense as part of a tag: in plain text they are an unclosed or unopened tag.
_STRAY_MARK = re.compile(r"\{\{|\{%|\{#|\}\}|%\}|#\}")
_CLOSER = {"{{": "}}", "{%": "%}", "{#": "#}"}
_OPENER = {closer: opener for opener, closer in _CLOSER.items()}


class TemplateError(Exception):
    """A message template that cannot be used: ``message`` says why (translated), ``line`` and
    ``column`` (from 1, in characters) where."""

    def __init__(self, message: str, *, line: int, column: int):
        self.message = message
        self.line = line
        self.column = column
        super().__init__(_("Line %(line)s, column %(column)s: %(message)s")
                         % {"line": line, "column": column, "message": message})


# Tags are parameters of the messages, never part of them: "{% e" would read as a format to gettext's tools.
def _without(tag: str, other: str) -> str:
    return _("“%(tag)s” without “%(other)s”") % {"tag": tag, "other": other}


def _after(tag: str, other: str) -> str:
    return _("“%(tag)s” after “%(other)s”") % {"tag": tag, "other": other}


def _error(text: str, offset: int, message: str) -> TemplateError:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return TemplateError(message, line=line, column=column)


def validate_template(text: str, *, allowed: Iterable[str]) -> None:
    """Raise ``TemplateError`` at the first mistake in ``text``: broken syntax, or anything beyond the
    message subset (module docstring), or a placeholder not in ``allowed`` (dotted names such as
    ``"client.first_name"``)."""
    if isinstance(allowed, str):
        raise TypeError("allowed must be a collection of names, not one string")
    allowed = frozenset(allowed)
    open_ifs = []  # [token, its offset, seen an else]
    for token in DebugLexer(text).tokenize():
        start, end = token.position
        if token.token_type == TokenType.TEXT:
            _check_text(text, start, end)
        elif token.token_type == TokenType.VAR:
            _check_placeholder(text, start, end, allowed)
        elif token.token_type == TokenType.BLOCK:
            _check_tag(text, token, allowed, open_ifs)
        # Comments are free text.
    if open_ifs:
        raise _error(text, open_ifs[-1][1], _without("{% if %}", "{% endif %}"))
    # The checks above are ours, for clear messages; Django's parser, restricted to the same tags and
    # filters, has the last word, so that nothing passes that Django would not compile.
    try:
        Parser(DebugLexer(text).tokenize(), builtins=[_LIBRARY]).parse()
    except TemplateSyntaxError as e:
        token = getattr(e, "token", None)
        offset = token.position[0] if token is not None and token.position else 0
        raise _error(text, offset, _("invalid syntax")) from e


def _check_text(text: str, start: int, end: int) -> None:
    mark = _STRAY_MARK.search(text, start, end)
    if mark is None:
        return
    found = mark.group()
    if found in _CLOSER:
        closer = _CLOSER[found]
        # Django's tags end on the line they start: a closer further down is not seen.
        if text.find(closer, mark.end()) >= 0:
            message = _("“%(open)s” and “%(close)s” must be on the same line")
        else:
            message = _("“%(open)s” is not closed by “%(close)s”")
        raise _error(text, mark.start(), message % {"open": found, "close": closer})
    raise _error(text, mark.start(), _without(found, _OPENER[found]))


def _inner(text: str, start: int, end: int) -> tuple[str, int]:
    """The contents of the tag at text[start:end] without its marks and spaces, and their offset."""
    inner = text[start + 2:end - 2]
    contents = inner.strip()
    return contents, start + 2 + (len(inner) - len(inner.lstrip()))


def _check_placeholder(text: str, start: int, end: int, allowed: frozenset) -> None:
    contents, offset = _inner(text, start, end)
    if "{{" in contents:  # "{{ a {{ b }}": the first "}}" closed the second "{{", the first is open
        raise _error(text, start, _("“%(open)s” is not closed by “%(close)s”") % {"open": "{{", "close": "}}"})
    if not contents:
        raise _error(text, start, _("empty placeholder"))
    # The same expression Django's FilterExpression reads, walked here to know where each part is.
    upto = 0
    for match in filter_re.finditer(contents):
        if match.start() != upto:
            _refuse_remainder(text, offset, contents, upto)
        if upto == 0:
            _check_name_or_literal(text, offset, match, allowed)
        else:
            _check_filter(text, offset, match, contents, allowed)
        upto = match.end()
    if upto != len(contents):
        _refuse_remainder(text, offset, contents, upto)


def _refuse_remainder(text: str, offset: int, contents: str, upto: int):
    rest = contents[upto:]
    end = rest.find("|", 1)
    unexpected = (rest if end < 0 else rest[:end]).strip()
    raise _error(text, offset + upto + (len(rest) - len(rest.lstrip())),
                 _("unexpected “%(text)s”") % {"text": unexpected})


def _check_name_or_literal(text: str, offset: int, match: re.Match, allowed: frozenset) -> None:
    if match["constant"]:
        raise _error(text, offset, _("“%(text)s” is not a placeholder") % {"text": match["constant"]})
    name = match["var"]
    if name is None:  # "{{ |upper }}"
        raise _error(text, offset, _("the placeholder has no name"))
    if name in allowed:
        return
    if _NUMBER.fullmatch(name):
        raise _error(text, offset, _("“%(text)s” is not a placeholder") % {"text": name})
    raise _error(text, offset + match.start("var"), _("unknown placeholder “%(name)s”") % {"name": name})


def _default_message() -> str:
    return _("the value of “default” must be text in straight quotes: default:\"…\"")


def _check_filter(text: str, offset: int, match: re.Match, contents: str, allowed: frozenset) -> None:
    name = match["filter_name"]
    if name not in FILTERS:
        raise _error(text, offset + match.start("filter_name"), _("filter “%(name)s” is not allowed") % {"name": name})
    argument = "constant_arg" if match["constant_arg"] else "var_arg" if match["var_arg"] else None
    if name == "default":
        if argument is None:
            # default:“Sir” (typographic quotes, which Django does not read): point at the value.
            at = match.end() + 1 if contents.startswith(":", match.end()) else match.start("filter_name")
            raise _error(text, offset + at, _default_message())
        # Another placeholder (default:client.display_name) falls back to it; a translated literal
        # (default:_("…")) or a name that is not a placeholder is refused.
        if argument == "var_arg":
            if _NUMBER.fullmatch(match["var_arg"]) or match["var_arg"] not in allowed:
                raise _error(text, offset + match.start(argument), _default_message())
        elif match["constant_arg"].startswith("_("):
            raise _error(text, offset + match.start(argument), _default_message())
    elif argument is not None:
        raise _error(text, offset + match.start(argument), _("filter “%(name)s” takes no value") % {"name": name})


def _check_tag(text: str, token, allowed: frozenset, open_ifs: list) -> None:
    start, end = token.position
    contents = _inner(text, start, end)[0]
    if "{%" in contents:  # "{% if a {% endif %}": the first "{%" is open
        raise _error(text, start, _("“%(open)s” is not closed by “%(close)s”") % {"open": "{%", "close": "%}"})
    bits = _split(token)
    if bits is None:
        raise _error(text, start, _("invalid syntax"))
    if not bits:
        raise _error(text, start, _("empty tag"))
    command, rest = bits[0], bits[1:]
    if command in CONDITION_TAGS:
        if command == "elif":
            if not open_ifs:
                raise _error(text, start, _without("{% elif %}", "{% if %}"))
            if open_ifs[-1][2]:
                raise _error(text, start, _after("{% elif %}", "{% else %}"))
        else:
            open_ifs.append([token, start, False])
        _check_condition(text, start, end, rest, allowed)
    elif command == "else":
        if not open_ifs:
            raise _error(text, start, _without("{% else %}", "{% if %}"))
        if open_ifs[-1][2]:
            raise _error(text, start, _after("{% else %}", "{% else %}"))
        if rest:
            raise _error(text, start, _("“%(tag)s” takes no condition") % {"tag": command})
        open_ifs[-1][2] = True
    elif command == "endif":
        if not open_ifs:
            raise _error(text, start, _without("{% endif %}", "{% if %}"))
        if rest:
            raise _error(text, start, _("“%(tag)s” takes no condition") % {"tag": command})
        open_ifs.pop()
    else:
        raise _error(text, start, _("tag “%(name)s” is not allowed") % {"name": command})


def _split(token) -> list[str] | None:
    """The words of a tag as Django splits them, or None when Django cannot (an unfinished _("…"))."""
    try:
        return token.split_contents()
    except StopIteration:
        return None


def _check_condition(text: str, start: int, end: int, bits: list[str], allowed: frozenset) -> None:
    names = bits[1:] if bits[:1] == ["not"] else bits
    if len(names) != 1 or names[0] == "not" or not _BARE_NAME.fullmatch(names[0]) or _NUMBER.fullmatch(names[0]):
        raise _error(text, start, _("a condition is one placeholder, optionally after “not”"))
    name = names[0]
    if name not in allowed:
        # The name is the condition's last word: find it from the tag's end.
        found = text.rfind(name, start, end)
        raise _error(text, found if found >= 0 else start, _("unknown placeholder “%(name)s”") % {"name": name})


def placeholders_in(text: str) -> list[str]:
    """The dotted names ``text`` uses, in placeholders and conditions, in order of first appearance.

    Forgiving, for the editor's preview while staff type: what cannot be read is skipped, nothing
    raises, and names are returned whether or not they are allowed."""
    names = {}
    for token in Lexer(text).tokenize():
        if token.token_type == TokenType.VAR:
            match = filter_re.match(token.contents)
            if match and match["var"] and not _NUMBER.fullmatch(match["var"]):
                names.setdefault(match["var"], None)
            for later in filter_re.finditer(token.contents):
                if later["var_arg"] and not _NUMBER.fullmatch(later["var_arg"]):
                    names.setdefault(later["var_arg"], None)
        elif token.token_type == TokenType.BLOCK:
            bits = _split(token) or []
            if bits[:1] and bits[0] in CONDITION_TAGS:
                rest = bits[2:] if bits[1:2] == ["not"] else bits[1:]
                if len(rest) == 1 and _BARE_NAME.fullmatch(rest[0]) and not _NUMBER.fullmatch(rest[0]):
                    names.setdefault(rest[0], None)
    return list(names)


# -- rendering -----------------------------------------------------------------------------------------------


def _engine(*, html: bool) -> Engine:
    engine = Engine(loaders=[], libraries={}, string_if_invalid="", autoescape=html)
    # An Engine always adds Django's default tags and filters (load, include, url, …) to the builtins
    # it is given; a message engine must know only the subset, even for text that skipped validation.
    engine.builtins = []
    engine.template_builtins = [_LIBRARY]
    return engine


_ENGINES = {False: _engine(html=False), True: _engine(html=True)}


@lru_cache(maxsize=512)
def _compiled(text: str, html: bool) -> Template:
    return _ENGINES[html].from_string(text)


class _Fields:
    """A group of values (``client``, ``policy``) as a template sees it: only its keys, so that a
    missing key renders empty instead of reaching a dict's methods (``client.items``, ``client.clear``);
    None renders empty rather than "None"."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping):
        self._values = values

    def __getitem__(self, key):
        return _value(self._values[key])

    def __bool__(self):
        return bool(self._values)

    def __str__(self):
        return ""  # a group is not a value


def _value(value):
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return _Fields(value)
    return value


def render(text: str, context: Mapping[str, Any], *, html: bool = False) -> str:
    """``text`` (checked by ``validate_template``) with its placeholders filled from ``context``, a
    nested mapping of already formatted values: ``{"client": {"first_name": "Anna"}}``.

    A placeholder without a value (no key, None) renders empty. With ``html`` the values are escaped
    (emails); without it nothing is (an SMS of "Tom & Jerry" stays so)."""
    values = {key: _value(value) for key, value in context.items()}
    return _compiled(text, html).render(Context(values, autoescape=html))
