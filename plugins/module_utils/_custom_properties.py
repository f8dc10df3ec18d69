# -*- coding: utf-8 -*-
# This file is PRIVATE to the ovirt_ext.deploy collection: it may change or go away
# without notice. Do not import it from other collections.
#
# Engine-host modules import it, so it stays compatible with Python 3.6 (EL8).
"""Rules of oVirt custom properties, as the engine applies them.

A *definition* spec is the text of ``UserDefinedVMProperties`` (and of scheduling
policy unit parameters): ``name=regex;name2=regex2``. Names are made of
``[a-zA-Z0-9_]``; a regex runs up to the next ``;``, so it cannot contain one. The
engine checks a value with Java's ``String.matches``: the regex must match the whole
value, anchored or not; ``re.fullmatch`` does the same.

Regexes are compiled with Python's ``re``. The common syntax is the same as Java's;
Java-only constructs (``\\p{Alpha}``, possessive quantifiers on old Pythons) do not
compile here.
"""

import re
from collections import OrderedDict

NAME_PATTERN = re.compile(r'[a-zA-Z0-9_]+')
NAME_RULE = 'letters, digits and underscores only ([a-zA-Z0-9_]+)'


def name_error(name):
    """Why ``name`` cannot be a custom property name, or None."""
    if not NAME_PATTERN.fullmatch(name):
        return 'must be made of %s' % NAME_RULE
    return None


def regex_error(regex):
    """Why ``regex`` cannot be a custom property regex, or None."""
    if ';' in regex:
        return ("must not contain ';': the engine separates definitions with it "
                "(use a character class or alternation without ';')")
    try:
        re.compile(regex)
    except re.error as error:
        return 'does not compile: %s' % error
    return None


def value_error(value):
    """Why ``value`` cannot be a custom property value, or None."""
    if ';' in value:
        return "must not contain ';': the engine separates properties with it"
    return None


def parse_definitions(spec):
    """``'a=x;b=y;'`` -> ``OrderedDict(a='x', b='y')``.

    Empty items (a trailing ``;``) are skipped. An item without ``=`` stands, as in the
    engine's parser, for a property that takes any value: its regex is None. When a
    name repeats, the last regex wins, as in the engine.
    """
    definitions = OrderedDict()
    for item in (spec or '').split(';'):
        if item:
            name, equals, regex = item.partition('=')
            definitions[name] = regex if equals else None
    return definitions


def render_definitions(definitions):
    """The inverse of parse_definitions, without a trailing ``;``."""
    return ';'.join(
        name if regex is None else '%s=%s' % (name, regex)
        for name, regex in definitions.items()
    )


def with_definition(definitions, name, regex):
    """A copy of ``definitions`` where ``name`` has ``regex``; other keys keep their place."""
    merged = OrderedDict(definitions)
    merged[name] = regex
    return merged


def without_definition(definitions, name):
    """A copy of ``definitions`` without ``name``."""
    return OrderedDict((key, regex) for key, regex in definitions.items() if key != name)


def value_matches(regex, value):
    """Java ``String.matches``: the whole value. A regex of None takes any value.

    A regex that Python cannot compile (Java-only syntax) is left to the engine to
    judge: it counts as a match here.
    """
    if regex is None:
        return True
    try:
        return re.fullmatch(regex, value) is not None
    except re.error:
        return True


def property_errors(definitions, properties):
    """Every problem of ``properties`` (name -> value) against ``definitions``.

    Returns ``'name: reason'`` strings sorted by name; an empty list means valid.
    """
    errors = []
    for name in sorted(properties):
        value = properties[name]
        if name not in definitions:
            errors.append('%s: not defined' % name)
        elif value_error(value):
            errors.append('%s: value %r %s' % (name, value, value_error(value)))
        elif not value_matches(definitions[name], value):
            errors.append('%s: value %r does not match %s' % (name, value, definitions[name]))
    return errors
