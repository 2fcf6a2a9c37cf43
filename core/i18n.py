"""The suite's words in another language: gettext catalogues (locale/<lang>/LC_MESSAGES/kthw.mo), made with Babel
(``make catalog``: extract from the sources and the features, then compile).

The checks write English, and English travels in every record (pytest-xdist's, results.json's). Messages with
values are written as templates marked with :func:`N_` and filled with ``str.format``:
``N_("{unit} is enabled (starts at boot)").format(unit=...)``; Babel extracts the template. A report in another
language translates the English text when it is shown (:class:`Translator`): a text equal to a message is
replaced; otherwise the template it was filled from is found (its literal parts match the text, the longest
match wins), translated, and filled with the same values, each value translated in turn where it is a message
itself. Commands, paths, ids, numbers and what other programs print are values: they stay as they are.
"""

from __future__ import annotations

import functools
import gettext
import os
import re
import string
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "kthw"
LANGUAGES = ("en", "ko")
DEFAULT = "en"
_FIELD = re.compile(r"\{(\w*)\}")
_TAG = re.compile(r"\[[\w.*-]+\] ")


def N_(message: str) -> str:
    """Mark a message (or a template of one) for the catalogues; the text itself stays English."""
    return message


def language(option: str | None = None, environ: dict[str, str] | None = None) -> str:
    """The language of a run: ``--lang`` when given, else the locale's (``LC_ALL``, ``LC_MESSAGES``, ``LANG``,
    as gettext reads them: ``ko_KR.UTF-8`` → ``ko``) when the suite has it, else English."""
    if option:
        if option not in LANGUAGES:
            raise ValueError(f"--lang {option}: the suite speaks {', '.join(LANGUAGES)}")
        return option
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            code = value.split(".")[0].split("@")[0].split("_")[0].lower()
            return code if code in LANGUAGES else DEFAULT
    return DEFAULT


class Translator:
    """English text → the language's, message by message (see the module's doc). ``missed`` collects the texts
    of prose that no message matched (what a test counts)."""

    def __init__(self, lang: str = DEFAULT, catalog: dict[str, str] | None = None):
        self.lang = lang
        if catalog is None:
            catalog = _load(lang) if lang != DEFAULT else {}
        self.catalog = {k: v for k, v in catalog.items() if k and v}
        self.exact: dict[str, str] = {}
        self.templates: list[tuple[int, re.Pattern, str, str]] = []
        for msgid, msgstr in catalog.items():
            if not msgid or not msgstr:
                continue
            if _FIELD.search(msgid):
                try:
                    self.templates.append((_literal_length(msgid), _pattern(msgid), msgid, msgstr))
                except ValueError:  # not a str.format template after all: a text like any other
                    self.exact[msgid] = msgstr
            else:
                self.exact[msgid] = msgstr
        self.templates.sort(key=lambda t: -t[0])  # the most specific template first
        self.missed: set[str] = set()
        self._memo: dict[str, tuple[str, int] | None] = {}

    @property
    def english(self) -> bool:
        return not self.exact and not self.templates

    def __call__(self, text: str) -> str:
        """``text`` in this language; unchanged (and, if it reads as prose, counted as missed) when no message
        matches it. Multi-line texts are translated line by line."""
        if self.english or not text:
            return text
        text = str(text)
        if "\n" in text:
            return "\n".join(self(line) for line in text.split("\n"))
        found = self._translate(text)
        if found is None and "; " not in text:
            found = self._translate(text, loose=True)
        if found is None:
            if is_prose(text) and not any(text.startswith(v) or text.endswith(v) for v in VERBATIM):
                self.missed.add(text)
            return text
        return found

    def gettext(self, msgid: str, **values: str) -> str:
        """A message of the suite's own (a label, a template) in this language, filled with ``values``."""
        return _fill(self.catalog.get(msgid, msgid), values)

    def value(self, text: str) -> str:
        """A value inside a message: translated when it is a message itself, else as it is (missed only when
        it reads as prose)."""
        found = self._translate(text)
        if found is None and is_prose(text):
            self.missed.add(text)
        return text if found is None else found

    def comment(self, fix: str) -> str:
        """A fix: the commands stay, the comment lines (``# why``) and a command's trailing comment are
        translated."""
        if self.english or not fix:
            return fix
        out = []
        for line in str(fix).split("\n"):
            whole = self._translate(line) if is_prose(line) else None  # a message that is a whole line (with "# ")
            if whole is not None:
                line = whole
            elif line.startswith("# "):
                line = "# " + self(line[2:])
            elif "   # " in line:
                command, _, comment = line.partition("   # ")
                line = f"{command}   # {self(comment)}"
            out.append(line)
        return "\n".join(out)

    def _translate(self, text: str, loose: bool = False) -> str | None:
        """The text translated, or None. Strict, a template is taken only if each of its values is a message or a
        plain value; ``loose``, failing that, the most specific template that matches at all."""
        if not loose:
            found = self._parse(text)
            return None if found is None else found[0]
        for _, pattern, _, msgstr in self.templates:
            m = pattern.fullmatch(text)
            if m:
                return _fill(msgstr, {k: self.value(v) for k, v in m.groupdict().items()})
        return None

    def _parse(self, text: str) -> tuple[str, int] | None:
        """(the translation, how many messages it is made of), the reading made of the fewest messages where
        several templates match (``CIS 1.1.11: /var/lib/etcd is 700 or stricter`` is one CIS message around
        "700 or stricter", not "... or stricter" around a CIS message); None when no reading is clean."""
        if text in self._memo:
            return self._memo[text]
        self._memo[text] = None  # a text met again inside its own reading has none
        found: tuple[str, int] | None = None
        best = (0, False)
        stripped = text.strip()
        tag = _TAG.match(text)  # "[check.id] what": the id stays
        if text in self.exact:
            found = (self.exact[text], 1)
        elif text[:1].isupper() and text[:2] != text[:2].upper() and text[:1].lower() + text[1:] in self.exact:
            found = (self.exact[text[:1].lower() + text[1:]], 1)  # a requirement written as a title
        elif stripped != text:
            inner = self._parse(stripped)
            found = None if inner is None else (text.replace(stripped, inner[0]), inner[1])
        elif tag:
            inner = self._parse(text[tag.end():])
            found = None if inner is None else (tag.group(0) + inner[0], inner[1])
        else:
            for _, pattern, msgid, msgstr in self.templates:
                m = pattern.fullmatch(text)
                if not m:
                    continue
                values, cost = {}, 1
                for key, value in m.groupdict().items():
                    done = self._parse(value) if value else None
                    if done is None and value and is_prose(value):
                        break  # a value that reads as a message none matches: not this template
                    values[key] = value if done is None else done[0]
                    cost += done[1] if done else 0
                else:  # a tie goes to the template the text begins with
                    rank = (cost, msgid.startswith("{"))
                    if found is None or rank < best:
                        found, best = (_fill(msgstr, values), cost), rank
            if found is None and "; " in text:  # a list of messages, each translated (a part none matches stays)
                parts = [self._parse(part) for part in text.split("; ")]
                if any(parts):
                    found = ("; ".join(t[0] if t else part for t, part in zip(parts, text.split("; "))),
                             sum(t[1] for t in parts if t))
        self._memo[text] = found
        return found


@functools.lru_cache(maxsize=None)
def _load(lang: str) -> dict[str, str]:
    """msgid → msgstr of the language's compiled catalogue ({} when there is none)."""
    try:
        with open(LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as fh:
            translations = gettext.GNUTranslations(fh)
    except OSError:
        return {}
    return {k: v for k, v in translations._catalog.items() if isinstance(k, str)}


def _parts(template: str) -> list[tuple[str, str | None]]:
    """(literal text, field name or None) of a ``str.format`` template, ``{{`` and ``}}`` undone."""
    return [(literal, name) for literal, name, _, _ in string.Formatter().parse(template)]


def _literal_length(template: str) -> int:
    return sum(len(literal) for literal, _ in _parts(template))


def _fill(template: str, values: dict[str, str]) -> str:
    return "".join(literal + (str(values.get(name, "{" + name + "}")) if name is not None else "")
                   for literal, name in _parts(template))


def _pattern(template: str) -> re.Pattern:
    parts, seen = [], set()
    for literal, name in _parts(template):
        parts.append(re.escape(literal))
        if name is not None:
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
            seen.add(name)
    return re.compile("".join(parts), re.S)


# English words that only prose has: a text with none of them is a value (a setting, a command, a state)
_FUNCTION_WORDS = frozenset(
    "a an the is are was were be been has have had not no of in on at to for from by with without and or but "
    "its it this that these those than then when while where which who whose can cannot must does do did "
    "only also any every each other another there here after before".split())
_WORD = re.compile(r"(?<![\w./=:$<-])[A-Za-z]+(?:'[a-z]+)?(?![\w./=:>-])")
VERBATIM: set[str] = set()  # what other programs say (etcd's messages a check quotes): stays as it is
_VERBATIM_LINE = re.compile(r"^(/\S+:\d+: |etcdserver: |\S+\.service: |Configuration file |Unit \S+ not found|"
                            r"Failed to |Unable to |\{\"level\")")


def verbatim(*texts: str) -> tuple[str, ...]:
    """Mark what another program prints (etcd's, systemd's messages) as a text that is never translated."""
    VERBATIM.update(texts)
    return texts


def is_prose(text: str) -> bool:
    """Whether a text reads as English words to translate (one of the words only prose has, outside paths,
    options and settings) rather than a value (a command, an address, ``Type=simple``) or another program's
    message."""
    text = str(text)
    if text in VERBATIM or _VERBATIM_LINE.match(text):
        return False
    return any(w.lower() in _FUNCTION_WORDS for w in _WORD.findall(text))


@functools.lru_cache(maxsize=None)
def translator(lang: str) -> Translator:
    return Translator(lang)


def extract_gherkin(fileobj, keywords, comment_tags, options):
    """Babel's extractor for the features (babel.cfg): each feature's title and each scenario's name, an outline's
    ``<parameter>`` written as the template's ``{parameter}``."""
    for lineno, raw in enumerate(fileobj, 1):
        line = raw.decode("utf-8").strip()
        for keyword in ("Feature:", "Scenario Outline:", "Scenario:", "Rule:"):
            if line.startswith(keyword):
                text = re.sub(r"<(\w+)>", r"{\1}", line[len(keyword):].strip())
                yield lineno, "", text, []
                break
