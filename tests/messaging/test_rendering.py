"""Message templates: what staff may write, where a mistake is reported, and how messages render."""

import pytest
from django.template import TemplateSyntaxError
from django.utils.html import escape
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from policydesk.messaging import rendering
from policydesk.messaging.rendering import TemplateError, placeholders_in, render, validate_template

ALLOWED = {"client.first_name", "client.last_name", "client.vip", "policy.number", "policy.end_date"}


def rendered(text, context, *, html=False):
    validate_template(text, allowed=ALLOWED)
    return render(text, context, html=html)


def refusal(text) -> TemplateError:
    with pytest.raises(TemplateError) as caught:
        validate_template(text, allowed=ALLOWED)
    return caught.value


# -- what is refused, and where --------------------------------------------------------------------------------


def test_an_unknown_placeholder_is_refused_with_its_line_and_column():
    error = refusal("Dear {{ client.first_name }},\nYour policy {{ policy.numbr }} ends soon.")

    assert (error.line, error.column) == (2, 16)  # the name, after "Your policy {{ "
    assert error.message == "unknown placeholder “policy.numbr”"
    assert str(error) == "Line 2, column 16: unknown placeholder “policy.numbr”"


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        # placeholders
        ("Hi {{ client.middle_name }}", 1, 7, "unknown placeholder “client.middle_name”"),
        ("Hi {{ client }}", 1, 7, "unknown placeholder “client”"),
        ("Hi {{ client._meta }}", 1, 7, "unknown placeholder “client._meta”"),
        ("Hi {{ }}", 1, 4, "empty placeholder"),
        ('Hi {{ "Anna" }}', 1, 7, "“\"Anna\"” is not a placeholder"),
        ("Hi {{ 42 }}", 1, 7, "“42” is not a placeholder"),
        ("Hi {{ |upper }}", 1, 7, "the placeholder has no name"),
        ("Hi {{ client.first_name + 1 }}", 1, 25, "unexpected “+ 1”"),
        # filters
        ('Due {{ policy.end_date|date:"Y" }}', 1, 24, "filter “date” is not allowed"),
        ("Hi {{ client.first_name|safe }}", 1, 25, "filter “safe” is not allowed"),
        ('Hi {{ client.first_name|upper:"x" }}', 1, 31, "filter “upper” takes no value"),
        ("Hi {{ client.first_name|default }}", 1, 25,
         "the value of “default” must be text in straight quotes: default:\"…\""),
        ("Hi {{ client.first_name|default:client.middle_name }}", 1, 33,
         "the value of “default” must be text in straight quotes: default:\"…\""),
        ("Hi {{ client.first_name|default:“Sir” }}", 1, 33,
         "the value of “default” must be text in straight quotes: default:\"…\""),
        ('Hi {{ client.first_name|default:_("Sir") }}', 1, 33,
         "the value of “default” must be text in straight quotes: default:\"…\""),
        ("Hi {{ client.first_name|default:5 }}", 1, 33,
         "the value of “default” must be text in straight quotes: default:\"…\""),
        # tags
        ("{% load i18n %}Hi", 1, 1, "tag “load” is not allowed"),
        ('Hi\n  {% include "x.html" %}', 2, 3, "tag “include” is not allowed"),
        ('{% url "admin:index" %}', 1, 1, "tag “url” is not allowed"),
        ("{% for x in client.vip %}{% endfor %}", 1, 1, "tag “for” is not allowed"),
        ("{% verbatim %}{{ client.first_name }}{% endverbatim %}", 1, 1, "tag “verbatim” is not allowed"),
        ("{% %}", 1, 1, "empty tag"),
        ("{% if %}x{% endif %}", 1, 1, "a condition is one placeholder, optionally after “not”"),
        ("{% if client.vip and policy.number %}x{% endif %}", 1, 1,
         "a condition is one placeholder, optionally after “not”"),
        ('{% if client.vip == "yes" %}x{% endif %}', 1, 1, "a condition is one placeholder, optionally after “not”"),
        ("{% if client.vip|upper %}x{% endif %}", 1, 1, "a condition is one placeholder, optionally after “not”"),
        ("{% if not not client.vip %}x{% endif %}", 1, 1, "a condition is one placeholder, optionally after “not”"),
        ("x\n{% if not client.vipp %}y{% endif %}", 2, 11, "unknown placeholder “client.vipp”"),
        ("{% if client.vip %}a{% elif policy.numbr %}b{% endif %}", 1, 29, "unknown placeholder “policy.numbr”"),
        # structure
        ("Hi\n{% if client.vip %}VIP", 2, 1, "“{% if %}” without “{% endif %}”"),
        ("{% if client.vip %}{% if policy.number %}x{% endif %}", 1, 1, "“{% if %}” without “{% endif %}”"),
        ("Hi{% endif %}", 1, 3, "“{% endif %}” without “{% if %}”"),
        ("Hi{% else %}", 1, 3, "“{% else %}” without “{% if %}”"),
        ("Hi{% elif client.vip %}", 1, 3, "“{% elif %}” without “{% if %}”"),
        ("{% if client.vip %}a{% else %}b{% else %}c{% endif %}", 1, 32, "“{% else %}” after “{% else %}”"),
        ("{% if client.vip %}a{% else %}b{% elif policy.number %}c{% endif %}", 1, 32,
         "“{% elif %}” after “{% else %}”"),
        ("{% if client.vip %}a{% else client.vip %}b{% endif %}", 1, 21, "“else” takes no condition"),
        ("{% if client.vip %}a{% endif client.vip %}", 1, 21, "“endif” takes no condition"),
        # unbalanced marks
        ("Hi {{ client.first_name", 1, 4, "“{{” is not closed by “}}”"),
        ("Hi {{ client.first_name }", 1, 4, "“{{” is not closed by “}}”"),
        ("Hi {{ x {{ client.first_name }}", 1, 4, "“{{” is not closed by “}}”"),
        ("Hi {{ client.first_name\n}}", 1, 4, "“{{” and “}}” must be on the same line"),
        ("Hi { client.first_name }}", 1, 24, "“}}” without “{{”"),
        ("{% if client.vip\n%}x{% endif %}", 1, 1, "“{%” and “%}” must be on the same line"),
        ("{% if client.vip {% endif %}", 1, 1, "“{%” is not closed by “%}”"),
        ("{ if client.vip %}", 1, 17, "“%}” without “{%”"),
        ("{# a note\n#}Hi", 1, 1, "“{#” and “#}” must be on the same line"),
        ("Hi #}", 1, 4, "“#}” without “{#”"),
    ],
)
def test_syntax_outside_the_message_subset_is_refused_where_it_is(text, line, column, message):
    error = refusal(text)

    assert (error.message, error.line, error.column) == (message, line, column)
    assert str(error) == f"Line {line}, column {column}: {message}"


def test_the_column_counts_characters_not_bytes():
    error = refusal("Привет, 😀 {{ client.name }}")

    assert (error.line, error.column) == (1, 14)


def test_the_lines_count_from_one_and_windows_line_ends_do_not_shift_the_column():
    error = refusal("One\r\nTwo\r\n  {{ policy.numbr }}")

    assert (error.line, error.column) == (3, 6)


def test_the_first_mistake_is_the_one_reported():
    error = refusal("{{ policy.numbr }} {% load i18n %} {{ client.x }}")

    assert error.message == "unknown placeholder “policy.numbr”"


def test_allowed_must_be_a_collection_of_names_not_one_string():
    with pytest.raises(TypeError):
        validate_template("{{ client.first_name }}", allowed="client.first_name")


# -- what is accepted ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Plain text with { braces } and 100% and #hashtags.",
        "Dear {{ client.first_name }}, your policy {{ policy.number }} ends on {{ policy.end_date }}.",
        "{{client.first_name}}{{  policy.number  }}",
        '{{ client.first_name|default:"dear client"|capfirst }} {{ client.last_name|upper|lower|title }}',
        "{{ client.first_name|default:'Sir' }}",
        "{% if client.vip %}VIP{% elif policy.number %}{{ policy.number }}{% else %}-{% endif %}",
        "{% if not client.vip %}{% if policy.number %}x{% endif %}{% endif %}",
        "{# a note for colleagues: {{ anything }} {% load x %} #}Hi",
    ],
)
def test_the_message_subset_is_accepted(text):
    validate_template(text, allowed=ALLOWED)


def test_an_empty_allowed_list_accepts_text_without_placeholders_only():
    validate_template("Happy birthday!", allowed=[])
    with pytest.raises(TemplateError):
        validate_template("Happy birthday, {{ client.first_name }}!", allowed=[])


# -- rendering -----------------------------------------------------------------------------------------------

CONTEXT = {
    "client": {"first_name": "Anna", "last_name": "Ivanova", "vip": "yes"},
    "policy": {"number": "X-1", "end_date": "31.12.2026"},
}


def test_placeholders_are_filled_from_the_nested_values():
    text = "Dear {{ client.first_name }}, your policy {{ policy.number }} ends on {{ policy.end_date }}."

    assert rendered(text, CONTEXT) == "Dear Anna, your policy X-1 ends on 31.12.2026."


def test_a_missing_value_renders_as_empty_text():
    text = "[{{ client.first_name }}][{{ policy.number }}][{{ client.last_name|upper }}]"

    assert rendered(text, {"client": {"first_name": None}}) == "[][][]"
    assert rendered(text, {}) == "[][][]"
    assert rendered(text, {"client": None, "policy": {}}) == "[][][]"


def test_a_missing_key_never_reaches_a_method_of_the_mapping():
    allowed = {"client.items", "client.keys", "client.clear"}
    text = "[{{ client.items }}][{{ client.keys }}][{{ client.clear }}]"
    validate_template(text, allowed=allowed)
    client = {"first_name": "Anna"}

    assert render(text, {"client": client}) == "[][][]"
    assert client == {"first_name": "Anna"}


def test_a_group_in_place_of_a_value_renders_as_empty_text():
    validate_template("[{{ client }}]", allowed={"client"})

    assert render("[{{ client }}]", CONTEXT) == "[]"


def test_an_sms_is_never_escaped():
    text = "{{ client.first_name }} <{{ policy.number }}>"
    context = {"client": {"first_name": "Tom & Jerry's"}, "policy": {"number": '"A<1>"'}}

    assert rendered(text, context) == "Tom & Jerry's <\"A<1>\">"


def test_an_html_message_escapes_the_values_but_not_the_template():
    text = "<p>{{ client.first_name }}</p>{{ policy.number|upper }}"
    context = {"client": {"first_name": "Tom & <b>Jerry</b>"}, "policy": {"number": "a&b"}}

    assert rendered(text, context, html=True) == "<p>Tom &amp; &lt;b&gt;Jerry&lt;/b&gt;</p>A&amp;B"


def test_default_fills_a_missing_none_or_empty_value():
    text = '{{ client.first_name|default:"dear client" }}'

    assert rendered(text, {}) == "dear client"
    assert rendered(text, {"client": {"first_name": None}}) == "dear client"
    assert rendered(text, {"client": {"first_name": ""}}) == "dear client"
    assert rendered(text, CONTEXT) == "Anna"


def test_default_may_fall_back_to_another_placeholder():
    text = "{{ client.first_name|default:client.last_name }}"
    validate_template(text, allowed=ALLOWED)

    assert rendered(text, {"client": {"last_name": "Ivanova"}}) == "Ivanova"
    assert rendered(text, CONTEXT) == "Anna"
    assert placeholders_in(text) == ["client.first_name", "client.last_name"]


def test_the_case_filters_change_the_value():
    context = {"client": {"first_name": "anna-maria o'neil"}}

    assert rendered("{{ client.first_name|upper }}", context) == "ANNA-MARIA O'NEIL"
    assert rendered("{{ client.first_name|capfirst }}", context) == "Anna-maria o'neil"
    assert rendered("{{ client.first_name|title }}", context) == "Anna-Maria O'Neil"
    assert rendered("{{ client.first_name|upper|lower }}", context) == "anna-maria o'neil"


@pytest.mark.parametrize(
    ("vip", "number", "expected"),
    [("yes", "X-1", "VIP"), ("", "X-1", "policy X-1"), (None, "", "client"), ("", None, "client")],
)
def test_if_elif_else_choose_by_whether_a_value_is_there(vip, number, expected):
    text = "{% if client.vip %}VIP{% elif policy.number %}policy {{ policy.number }}{% else %}client{% endif %}"

    assert rendered(text, {"client": {"vip": vip}, "policy": {"number": number}}) == expected


def test_not_inverts_a_condition():
    text = "{% if not client.vip %}regular{% endif %}"

    assert rendered(text, {"client": {"vip": "yes"}}) == ""
    assert rendered(text, {"client": {"vip": None}}) == "regular"
    assert rendered(text, {}) == "regular"


def test_comments_are_left_out_of_the_message():
    assert rendered("Hi{# say hello #} {{ client.first_name }}", CONTEXT) == "Hi Anna"


@pytest.mark.parametrize(
    "text",
    ["{% load i18n %}", '{% include "base.html" %}', '{{ policy.end_date|date:"Y" }}', "{% now 'Y' %}",
     "{% for x in y %}{% endfor %}"],
)
def test_the_engine_knows_nothing_beyond_the_subset_even_for_text_that_skipped_validation(text):
    with pytest.raises(TemplateSyntaxError):
        render(text, CONTEXT)


def test_a_template_is_compiled_once_for_many_messages():
    text = "Hello {{ client.first_name }}"
    rendering._compiled.cache_clear()

    for name in ("Anna", "Boris", "Chen"):
        assert render(text, {"client": {"first_name": name}}) == f"Hello {name}"

    info = rendering._compiled.cache_info()
    assert (info.misses, info.hits) == (1, 2)
    assert info.maxsize is not None  # bounded


# -- placeholders_in -------------------------------------------------------------------------------------------


def test_placeholders_are_listed_once_in_order_of_first_appearance():
    text = ("{% if client.vip %}{{ policy.number }}{% elif not client.last_name %}{% endif %}"
            '{{ client.first_name|default:"x" }} {{ policy.number }} {{ client.vip }}')

    assert placeholders_in(text) == ["client.vip", "policy.number", "client.last_name", "client.first_name"]


def test_placeholders_in_skips_comments_literals_and_what_cannot_be_read():
    text = '{# {{ client.secret }} #}{{ "x" }}{{ 5 }}{{ |upper }}{% if a and b %}{% endif %}{{ policy.number'

    assert placeholders_in(text) == []


def test_placeholders_in_lists_names_whether_or_not_they_are_allowed():
    assert placeholders_in("{{ anything.at_all }} {% load x %}") == ["anything.at_all"]


# -- properties ------------------------------------------------------------------------------------------------

NAMES = sorted(ALLOWED)
values = st.one_of(st.none(), st.text(max_size=30))
contexts = st.dictionaries(
    st.sampled_from(["client", "policy", "agent"]),
    st.one_of(st.none(), st.text(max_size=10), st.dictionaries(st.sampled_from(
        ["first_name", "last_name", "vip", "number", "end_date", "items"]), values, max_size=6)),
    max_size=3,
)


@st.composite
def templates(draw):
    """Valid templates: text, placeholders with filters, and if blocks, nested."""

    def piece(depth):
        kind = draw(st.sampled_from(["text", "var", "if"] if depth < 2 else ["text", "var"]))
        if kind == "text":
            return draw(st.text(alphabet=st.characters(blacklist_characters="{}%#"), max_size=8))
        if kind == "var":
            filters = draw(st.lists(st.sampled_from(['default:"–"', "upper", "lower", "capfirst", "title"]),
                                    max_size=3))
            return "{{ " + "|".join([draw(st.sampled_from(NAMES)), *filters]) + " }}"
        negation = draw(st.sampled_from(["", "not "]))
        body = "".join(piece(depth + 1) for _ in range(draw(st.integers(0, 3))))
        branches = f"{{% if {negation}{draw(st.sampled_from(NAMES))} %}}{body}"
        for _ in range(draw(st.integers(0, 2))):
            branches += f"{{% elif {draw(st.sampled_from(NAMES))} %}}" + piece(depth + 1)
        if draw(st.booleans()):
            branches += "{% else %}" + piece(depth + 1)
        return branches + "{% endif %}"

    return "".join(piece(0) for _ in range(draw(st.integers(0, 5))))


@hypothesis_settings(max_examples=300, deadline=None)
@given(text=templates(), context=contexts, html=st.booleans())
def test_a_valid_template_renders_for_any_context_of_texts_and_nones(text, context, html):
    validate_template(text, allowed=ALLOWED)

    assert isinstance(render(text, context, html=html), str)


@hypothesis_settings(max_examples=200, deadline=None)
@given(value=st.text())
def test_a_value_comes_out_as_it_went_in_for_an_sms_and_escaped_for_html(value):
    context = {"client": {"first_name": value}}

    assert rendered("{{ client.first_name }}", context) == value
    assert rendered("{{ client.first_name }}", context, html=True) == escape(value)


@hypothesis_settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_characters="{}")))
def test_text_without_braces_is_valid_and_renders_unchanged(text):
    validate_template(text, allowed=[])

    assert render(text, {}) == text
    assert placeholders_in(text) == []


@hypothesis_settings(max_examples=500, deadline=None)
@given(text=st.lists(st.sampled_from(
    ["{", "}", "%", "#", "|", ":", '"', "'", " ", "\n", "_(", ")", ".", "if ", "not ", "elif ", "else", "endif",
     "client.first_name", "policy.number", "default", "upper", "x", "5", "load "]), max_size=25).map("".join))
def test_any_text_is_either_valid_and_renderable_or_refused_with_a_template_error(text):
    try:
        validate_template(text, allowed=ALLOWED)
    except TemplateError as error:
        assert error.line >= 1 and error.column >= 1
        assert error.line <= text.count("\n") + 1
        assert error.message
    else:
        render(text, {"client": {"first_name": "Anna"}})
    placeholders_in(text)  # never raises
