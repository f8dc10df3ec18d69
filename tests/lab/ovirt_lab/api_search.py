"""The subset of the engine's search language the lab understands.

    criteria [sortby FIELD [asc|desc]] [page N]
    criteria := term (("and" | "or") term)*      -- "and" binds tighter than "or"
    term     := FIELD ("=" | "!=") VALUE          -- VALUE may be "quoted" and may hold * wildcards

Matching ignores case unless the request says case_sensitive=true (the REST default is false).
"""

import re

_TOKEN = re.compile(r'\s*(?:(?P<op>!=|=)|(?P<quoted>"[^"]*")|(?P<word>[^\s=!"]+))')


class SearchError(Exception):
    pass


def _tokens(text):
    position = 0
    tokens = []
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise SearchError(f"cannot parse search near {text[position:]!r}")
        position = match.end()
        if match.group("op"):
            tokens.append(("op", match.group("op")))
        elif match.group("quoted") is not None:
            tokens.append(("value", match.group("quoted")[1:-1]))
        else:
            tokens.append(("word", match.group("word")))
    return tokens


def _value_matcher(value, case_sensitive):
    flags = 0 if case_sensitive else re.IGNORECASE
    pattern = "".join(".*" if char == "*" else re.escape(char) for char in value)
    return re.compile(pattern + r"\Z", flags | re.DOTALL).match


class Search:
    """A compiled search: `matches(fields)` where `fields` maps field name -> str or list of str."""

    def __init__(self, text, known_fields, case_sensitive=False):
        self.sort_field = None
        self.descending = False
        self.page = None
        self._alternatives = []  # list of lists of (field, negated, matcher)
        tokens = _tokens(text or "")
        conjunction = []
        index = 0
        while index < len(tokens):
            kind, word = tokens[index]
            lowered = word.lower() if kind == "word" else None
            if lowered == "sortby":
                index = self._parse_sortby(tokens, index + 1, known_fields)
                continue
            if lowered == "page":
                if index + 1 >= len(tokens) or not tokens[index + 1][1].isdigit():
                    raise SearchError("page needs a number")
                self.page = int(tokens[index + 1][1])
                index += 2
                continue
            if lowered in ("and", "or"):
                if not conjunction:
                    raise SearchError(f"misplaced {word!r}")
                if lowered == "or":
                    self._alternatives.append(conjunction)
                    conjunction = []
                index += 1
                continue
            if kind != "word":
                raise SearchError(f"expected a field name at {word!r}")
            field = word.lower()
            if field not in known_fields:
                raise SearchError(f"unknown field {word!r}")
            if index + 2 >= len(tokens) or tokens[index + 1][0] != "op":
                raise SearchError(f"expected = or != and a value after {word!r}")
            value_kind, value = tokens[index + 2]
            if value_kind not in ("word", "value"):
                raise SearchError(f"expected a value after {word!r}")
            conjunction.append((field, tokens[index + 1][1] == "!=", _value_matcher(value, case_sensitive)))
            index += 3
        if conjunction:
            self._alternatives.append(conjunction)

    def _parse_sortby(self, tokens, index, known_fields):
        if index >= len(tokens) or tokens[index][1].lower() not in known_fields:
            raise SearchError("sortby needs a known field")
        self.sort_field = tokens[index][1].lower()
        index += 1
        if index < len(tokens) and tokens[index][1].lower() in ("asc", "desc"):
            self.descending = tokens[index][1].lower() == "desc"
            index += 1
        return index

    def matches(self, fields):
        if not self._alternatives:
            return True
        return any(all(self._term(fields, *term) for term in conjunction) for conjunction in self._alternatives)

    @staticmethod
    def _term(fields, field, negated, matcher):
        values = fields.get(field)
        if values is None:
            values = []
        elif isinstance(values, str):
            values = [values]
        found = any(matcher(value) for value in values)
        return found != negated
