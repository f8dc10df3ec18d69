from collections import OrderedDict

import pytest

from ansible_collections.ovirt_ext.deploy.plugins.module_utils._custom_properties import (
    name_error,
    parse_definitions,
    property_errors,
    regex_error,
    render_definitions,
    value_error,
    value_matches,
    with_definition,
    without_definition,
)


@pytest.mark.parametrize('name', ['a', 'numa_mode', 'HighUtilization', 'x1', '_', '0', 'A_b_9'])
def test_good_names(name):
    assert name_error(name) is None


@pytest.mark.parametrize('name', ['', 'numa-mode', 'a b', 'a=b', 'a;b', 'é', 'a.b', ' a', 'a\n'])
def test_bad_names(name):
    assert 'letters, digits and underscores' in name_error(name)


@pytest.mark.parametrize('regex', ['^[0-9]+$', '[0-9]+', '', '.*', '^(a|b)$', 'a=b', '(?:x){2,3}', r'\d+'])
def test_good_regexes(regex):
    assert regex_error(regex) is None


def test_regex_with_semicolon_is_refused_with_the_reason():
    assert "must not contain ';'" in regex_error('^(a;b)$')


@pytest.mark.parametrize('regex', ['(', '[a-', '*x', 'a{2,1}', '(?P<x'])
def test_regex_that_does_not_compile(regex):
    assert regex_error(regex).startswith('does not compile')


def test_value_error():
    assert value_error('1024') is None
    assert value_error('') is None
    assert value_error('a=b') is None
    assert "must not contain ';'" in value_error('a;b')


@pytest.mark.parametrize('spec, expected', [
    ('', OrderedDict()),
    (None, OrderedDict()),
    ('a=x', OrderedDict(a='x')),
    ('a=x;', OrderedDict(a='x')),
    ('a=x;b=^[0-9]+$', OrderedDict([('a', 'x'), ('b', '^[0-9]+$')])),
    ('a=x=y', OrderedDict(a='x=y')),
    ('a=', OrderedDict(a='')),
    ('bare', OrderedDict(bare=None)),
    ('a=1;b=2;a=3', OrderedDict([('a', '3'), ('b', '2')])),
    ('a=1;;b=2', OrderedDict([('a', '1'), ('b', '2')])),
])
def test_parse_definitions(spec, expected):
    parsed = parse_definitions(spec)
    assert parsed == expected
    assert list(parsed) == list(expected)


@pytest.mark.parametrize('spec', ['a=x', 'a=x;b=^[0-9]+$', 'bare;a=', 'a=x=y;z=(p|q)'])
def test_render_is_the_inverse_of_parse(spec):
    assert render_definitions(parse_definitions(spec)) == spec


def test_render_empty():
    assert render_definitions(OrderedDict()) == ''


def test_with_definition_keeps_other_keys_and_their_place():
    current = parse_definitions('a=1;b=2;c=3')
    changed = with_definition(current, 'b', '^new$')
    assert render_definitions(changed) == 'a=1;b=^new$;c=3'
    assert render_definitions(current) == 'a=1;b=2;c=3'  # not modified in place
    assert render_definitions(with_definition(current, 'd', '4')) == 'a=1;b=2;c=3;d=4'


def test_with_the_same_definition_is_equal():
    current = parse_definitions('a=1;b=2')
    assert with_definition(current, 'a', '1') == current


def test_without_definition():
    current = parse_definitions('a=1;b=2;c=3')
    assert render_definitions(without_definition(current, 'b')) == 'a=1;c=3'
    assert without_definition(current, 'zz') == current


@pytest.mark.parametrize('regex, value, matches', [
    ('[0-9]+', '123', True),
    ('[0-9]+', '12a', False),  # String.matches: the whole value, unanchored regex or not
    ('[0-9]+', 'a12', False),
    ('^[0-9]+$', '123', True),
    ('^(true|false)$', 'true', True),
    ('^(true|false)$', 'True', False),
    ('^(true|false)$', 'true\n', False),
    ('a|ab', 'ab', True),
    ('', '', True),
    ('', 'x', False),
    ('^.*$', '', True),
    (None, 'anything goes', True),
    (r'\p{Alpha}+', 'abc', True),  # Java-only syntax: left to the engine
])
def test_value_matches_like_java_string_matches(regex, value, matches):
    assert value_matches(regex, value) is matches


def test_property_errors_lists_every_problem_sorted():
    definitions = OrderedDict([('hugepages', '^[0-9]+$'), ('sap_agent', '^(true|false)$'), ('any', None)])
    errors = property_errors(definitions, {
        'sap_agent': 'yes', 'hugepages': '1024', 'zzz': '1', 'any': 'x', 'aaa': '2', 'hugepages_x': '1',
    })
    assert errors == [
        'aaa: not defined',
        'hugepages_x: not defined',
        "sap_agent: value 'yes' does not match ^(true|false)$",
        'zzz: not defined',
    ]


def test_property_errors_value_with_semicolon():
    assert property_errors({'a': None}, {'a': 'x;y'}) == ["a: value 'x;y' must not contain ';': "
                                                          "the engine separates properties with it"]


def test_property_errors_valid():
    assert property_errors({'a': '^[0-9]+$'}, {'a': '5'}) == []
    assert property_errors({}, {}) == []
