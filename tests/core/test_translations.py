"""The Russian, Persian, Azerbaijani and Chinese catalogues are complete, compiled and keep their placeholders.

When a test here fails after a change to the code's strings, update the catalogues:

    cd src/policydesk
    django-admin makemessages -l ru -l fa -l az -l zh_Hans --no-obsolete --ignore=__pycache__ --ignore=static
    # translate the new or changed entries in locale/*/LC_MESSAGES/django.po (no "fuzzy" left)
    django-admin compilemessages

and commit the .po and .mo files together.
"""

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import to_locale

import policydesk

PACKAGE = Path(policydesk.__file__).resolve().parent
LOCALE = PACKAGE / "locale"
# Locale directory name -> the language code Django uses for it.
LANGUAGES = {"ru": "ru", "fa": "fa", "az": "az", "zh_Hans": "zh-hans"}
MAKEMESSAGES = [
    *(f"--locale={name}" for name in LANGUAGES),
    "--no-obsolete",
    "--ignore=__pycache__",
    "--ignore=static",
]
FIX = (
    "\nUpdate the catalogues: cd src/policydesk && django-admin makemessages "
    + " ".join(MAKEMESSAGES)
    + ", translate every entry (no fuzzy flags), then django-admin compilemessages."
)


def po_path(package_dir: Path, name: str) -> Path:
    return package_dir / "locale" / name / "LC_MESSAGES" / "django.po"


def copy_package(dest: Path) -> Path:
    """A copy of the package's sources and catalogues, to run makemessages on without touching the tree."""
    target = dest / "policydesk"
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "static"))
    return target


def run_makemessages(package_dir: Path) -> None:
    missing = [tool for tool in ("xgettext", "msgmerge", "msguniq") if shutil.which(tool) is None]
    assert not missing, f"gettext is not installed (missing {', '.join(missing)}); bootstrap.sh installs it"
    # Without settings makemessages writes to the package's own locale/ directory only.
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", *MAKEMESSAGES, "--verbosity=0"],
        cwd=package_dir, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"


def nplurals(po: polib.POFile) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", po.metadata.get("Plural-Forms", ""))
    return int(match.group(1)) if match else 0


def untranslated(path: Path) -> list[str]:
    """The messages of one catalogue that are not fully translated, or fuzzy, and header problems."""
    po = polib.pofile(str(path))
    problems = []
    if po.metadata_is_fuzzy:
        problems.append("(the header is marked fuzzy: msgfmt would drop it)")
    forms = nplurals(po)
    if not forms:
        problems.append("(the header has no Plural-Forms)")
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"{entry.msgid!r} is fuzzy")
        elif entry.msgid_plural:
            given = [entry.msgstr_plural.get(i, "") for i in range(max(forms, len(entry.msgstr_plural)))]
            if len(entry.msgstr_plural) != forms or not all(given):
                problems.append(f"{entry.msgid!r} needs all {forms} plural forms")
        elif not entry.msgstr:
            problems.append(f"{entry.msgid!r} is untranslated")
    return problems


def catalogue_problems(package_dir: Path) -> dict[str, list[str]]:
    found = {}
    for name in LANGUAGES:
        path = po_path(package_dir, name)
        found[name] = untranslated(path) if path.exists() else ["(no catalogue)"]
    return {name: problems for name, problems in found.items() if problems}


def report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{name}: {problem}" for name, items in problems.items() for problem in items)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """The package copied with its catalogues, after makemessages picked up the code's current strings."""
    package_dir = copy_package(tmp_path_factory.mktemp("i18n"))
    run_makemessages(package_dir)
    return package_dir


def test_every_language_but_english_has_a_catalogue():
    expected = {to_locale(code) for code, _name in settings.LANGUAGES if code != "en"}
    assert expected == set(LANGUAGES)
    assert [Path(p) for p in settings.LOCALE_PATHS] == [LOCALE]
    for name in LANGUAGES:
        assert po_path(PACKAGE, name).exists(), f"no catalogue for {name}.{FIX}"


def test_every_message_in_the_code_is_translated(extracted):
    problems = catalogue_problems(extracted)
    assert not problems, f"Messages not translated:\n{report(problems)}{FIX}"


def test_the_check_catches_a_new_string_a_blanked_and_a_fuzzy_translation(tmp_path, extracted):
    package_dir = copy_package(tmp_path)
    (package_dir / "core" / "i18n_probe.py").write_text(
        'from django.utils.translation import gettext_lazy as _\n\nPROBE = _("A message nobody has translated yet")\n'
    )
    ru = polib.pofile(str(po_path(package_dir, "ru")))
    blanked = next(e for e in ru if e.msgstr and not e.obsolete)
    blanked.msgstr = ""
    ru.save()
    fa = polib.pofile(str(po_path(package_dir, "fa")))
    fuzzy = next(e for e in fa if e.msgstr and not e.obsolete and e.msgid != blanked.msgid)
    fuzzy.flags.append("fuzzy")
    fa.save()
    run_makemessages(package_dir)

    before, after = catalogue_problems(extracted), catalogue_problems(package_dir)
    new = {name: set(after.get(name, [])) - set(before.get(name, [])) for name in LANGUAGES}
    probe = "'A message nobody has translated yet' is untranslated"
    assert new == {
        "ru": {probe, f"{blanked.msgid!r} is untranslated"},
        "fa": {probe, f"{fuzzy.msgid!r} is fuzzy"},
        "az": {probe},
        "zh_Hans": {probe},
    }


def translated_entries(po: polib.POFile) -> dict:
    """What msgfmt puts in the .mo: (context, msgid, plural msgid) -> translation, for translated, non-fuzzy entries."""
    result = {}
    for entry in po:
        if entry.obsolete or "fuzzy" in entry.flags or not entry.msgid:
            continue
        if entry.msgid_plural:
            forms = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
            if all(forms):
                result[(entry.msgctxt, entry.msgid, entry.msgid_plural)] = forms
        elif entry.msgstr:
            result[(entry.msgctxt, entry.msgid, None)] = entry.msgstr
    return result


def stale_compilation(po_file: Path, mo_file: Path) -> list[str]:
    if not mo_file.exists():
        return ["(no .mo file)"]
    po, mo = polib.pofile(str(po_file)), polib.mofile(str(mo_file))
    wanted, compiled = translated_entries(po), translated_entries(mo)
    problems = [f"{key[1]!r} is missing or differs" for key, value in wanted.items() if compiled.get(key) != value]
    problems += [f"{key[1]!r} is compiled but no longer in the .po" for key in compiled.keys() - wanted.keys()]
    if mo.metadata.get("Plural-Forms") != po.metadata.get("Plural-Forms"):
        problems.append("(Plural-Forms differ)")
    return problems


def test_compiled_catalogues_match_the_po_files():
    problems = {}
    for name in LANGUAGES:
        po_file = po_path(PACKAGE, name)
        found = stale_compilation(po_file, po_file.with_suffix(".mo"))
        if found:
            problems[name] = found
    assert not problems, f"The .mo files are not compiled from the current .po files:\n{report(problems)}{FIX}"


def test_the_compilation_check_catches_a_changed_translation(tmp_path):
    po = polib.pofile(str(po_path(PACKAGE, "ru")))
    entry = next(e for e in po if e.msgstr)
    entry.msgstr += " (changed)"
    changed = tmp_path / "django.po"
    po.save(str(changed))
    assert stale_compilation(changed, po_path(PACKAGE, "ru").with_suffix(".mo")) == [
        f"{entry.msgid!r} is missing or differs"
    ]


@pytest.mark.parametrize("name", LANGUAGES)
def test_django_serves_every_translation(name):
    po = polib.pofile(str(po_path(PACKAGE, name)))
    wrong = []
    with translation.override(LANGUAGES[name]):
        for (context, msgid, plural), expected in translated_entries(po).items():
            if plural is None:
                got = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
                if got != expected:
                    wrong.append(f"{msgid!r}: {got!r} instead of {expected!r}")
            else:
                one = translation.npgettext(context, msgid, plural, 1) if context else translation.ngettext(msgid, plural, 1)
                many = {translation.ngettext(msgid, plural, n) for n in (2, 5, 11, 22, 100)} if not context else set()
                if one != expected[0] or not many <= set(expected):
                    wrong.append(f"{msgid!r}: plural forms not served")
    assert not wrong, f"{name}: Django does not return the catalogue's translation:\n" + "\n".join(wrong) + FIX


# Python %-format (named and positional), str.format fields, Django template variables and HTML tags.
TOKEN = re.compile(
    r"%%"
    r"|%\(\w+\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
    r"|%[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
    r"|\{\{\s*[^{}]*?\s*\}\}"
    r"|\{[A-Za-z_]\w*(?:\.\w+)*(?:![rsa])?(?::[^{}]*)?\}|\{\d*\}"
    r"|</?[A-Za-z][^<>]*>"
)


def placeholders(text: str) -> Counter:
    found = Counter()
    for token in TOKEN.findall(text):
        if token != "%%":
            found[re.sub(r"\s+", "", token)] += 1
    return found


def placeholder_mismatches(entry) -> list[str]:
    if entry.msgid_plural:
        allowed = [placeholders(entry.msgid), placeholders(entry.msgid_plural)]
        translations = [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
    else:
        allowed = [placeholders(entry.msgid)]
        translations = [entry.msgstr]
    return [
        f"{entry.msgid!r} -> {text!r}"
        for text in translations
        if text and placeholders(text) not in allowed
    ]


def test_placeholder_check_itself():
    entry = polib.POEntry
    assert placeholder_mismatches(entry(msgid="Delete “%(name)s”?", msgstr="Удалить «%(nam)s»?"))
    assert placeholder_mismatches(entry(msgid="%(a)s and %(b)s", msgstr="%(a)s"))
    assert placeholder_mismatches(entry(msgid="Hello {name}", msgstr="Здравствуйте"))
    assert placeholder_mismatches(entry(msgid="<b>new</b> client", msgstr="новый клиент"))
    assert not placeholder_mismatches(entry(msgid="{{ counter }} of {{ total }}", msgstr="{{total}} 中的 {{counter }}"))
    assert not placeholder_mismatches(entry(msgid="100%% of %(n)s", msgstr="%(n)s 的 100%%"))
    assert not placeholder_mismatches(
        entry(msgid="%(counter)s record", msgid_plural="%(counter)s records", msgstr_plural={0: "%(counter)s 条记录"})
    )


@pytest.mark.parametrize("name", LANGUAGES)
def test_translations_keep_the_placeholders_and_markup(name):
    po = polib.pofile(str(po_path(PACKAGE, name)))
    wrong = [problem for entry in po if not entry.obsolete for problem in placeholder_mismatches(entry)]
    assert not wrong, f"{name}: placeholders or HTML differ from the English:\n" + "\n".join(wrong)
