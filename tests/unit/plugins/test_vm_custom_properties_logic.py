import pytest

from ansible_collections.ovirt_ext.deploy.plugins.module_utils._vm_properties import effective_definitions
from ansible_collections.ovirt_ext.deploy.plugins.modules.vm_custom_properties import (
    describe_change,
    input_errors,
    search_batches,
    wanted_properties,
)


@pytest.mark.parametrize('mode, expected', [
    ('merge', {'a': '1', 'b': 'new', 'c': '3'}),
    ('replace', {'b': 'new', 'c': '3'}),
    ('absent', {'a': '1'}),
])
def test_wanted_properties(mode, expected):
    assert wanted_properties({'a': '1', 'b': '2'}, {'b': 'new', 'c': '3'}, mode) == expected


def test_absent_ignores_values_and_missing_keys():
    assert wanted_properties({'a': '1'}, {'a': None, 'zz': None}, 'absent') == {}


def test_replace_with_nothing_clears():
    assert wanted_properties({'a': '1'}, {}, 'replace') == {}


def test_describe_change():
    assert describe_change({'a': '1', 'b': '2', 'c': '3'}, {'a': '1', 'b': '9', 'd': '4'}) == 'b=9, d=4, remove c'


def test_search_batches_cover_every_name_below_the_limit():
    names = ['vm-%04d' % number for number in range(1000)]
    batches = search_batches(names, limit=500)
    assert all(len(batch) <= 500 for batch in batches)
    found = [term.split('"')[1] for batch in batches for term in batch.split(' or ')]
    assert found == names
    assert search_batches(['a', 'b']) == ['name="a" or name="b"']
    assert search_batches(['x' * 600], limit=500) == ['name="%s"' % ('x' * 600)]


def params(**values):
    base = dict(vms=['a'], search=None, properties={'hugepages': '1024'}, mode='merge', parallel=8)
    base.update(values)
    return base


@pytest.mark.parametrize('values, words', [
    (dict(vms=[]), 'vms: give at least one VM name'),
    (dict(vms=['a', '']), 'no empty names'),
    (dict(vms=None, search='  '), 'search: give an engine search'),
    (dict(parallel=0), 'parallel: 0 is out of range; use 1 to 64'),
    (dict(parallel=65), 'parallel: 65 is out of range'),
    (dict(properties={'huge-pages': '1'}), "properties: the name 'huge-pages' must be made of"),
    (dict(properties={'sap_agent': True}), 'properties.sap_agent: True is not text; quote it'),
    (dict(properties={'x': None}), 'properties.x: None is not text'),
    (dict(properties={'x': 'a;b'}), "properties.x: the value must not contain ';'"),
])
def test_input_errors(values, words):
    assert any(words in error for error in input_errors(params(**values)))


def test_absent_mode_accepts_any_value():
    assert input_errors(params(mode='absent', properties={'x': None, 'y': True})) == []


def test_effective_definitions_user_defined_wins():
    assert effective_definitions({'4.8': {'a': '1', 'b': '2'}, '4.7': {'a': '1'}},
                                 {'4.8': {'b': 'user', 'c': '3'}}) == {
        '4.8': {'a': '1', 'b': 'user', 'c': '3'}, '4.7': {'a': '1'}}
