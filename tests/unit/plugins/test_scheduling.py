import pytest

from ansible_collections.ovirt_ext.deploy.plugins.module_utils._scheduling import (
    find_unit,
    policy_view,
    property_regexes,
    unit_changes,
    unit_ids,
)
from ansible_collections.ovirt_ext.deploy.plugins.modules.scheduling_policy import target_units, wanted_spec


def unit(unit_id, name, unit_type, enabled=True, properties=None):
    return dict(id=unit_id, name=name, type=unit_type, enabled=enabled, internal=True,
                description='', properties=properties or {})


UNITS = [
    unit('f-cpu', 'CPU', 'filter'),
    unit('f-mem', 'Memory', 'filter'),
    unit('f-aff', 'VmAffinityGroups', 'filter'),
    unit('w-aff', 'VmAffinityGroups', 'weight'),
    unit('w-cpu', 'OptimalForCpuEvenDistribution', 'weight', properties={'HighUtilization': '^[5-9][0-9]$'}),
    unit('b-none', 'None', 'load_balancing'),
    unit('b-even', 'OptimalForEvenDistribution', 'load_balancing',
         properties={'HighUtilization': '^[5-9][0-9]$', 'CpuOverCommitDurationMinutes': '^[1-9][0-9]*$'}),
    unit('x-old', 'ext', 'filter', enabled=False),
    unit('x-new', 'ext', 'filter'),
]
BY_ID = dict((item['id'], item) for item in UNITS)


@pytest.mark.parametrize('name, unit_type, unit_id', [
    ('VmAffinityGroups', 'filter', 'f-aff'),
    ('VmAffinityGroups', 'weight', 'w-aff'),
    ('None', 'load_balancing', 'b-none'),
    ('ext', 'filter', 'x-new'),
])
def test_find_unit_by_name_and_type(name, unit_type, unit_id):
    found, problem = find_unit(UNITS, name, unit_type)
    assert problem is None and found['id'] == unit_id


def test_find_unit_unknown_lists_the_units_of_that_type():
    found, problem = find_unit(UNITS, 'cpu', 'filter')
    assert found is None
    assert problem == "no filter unit is named 'cpu'; the filter units are: CPU, Memory, VmAffinityGroups, ext"


def test_find_unit_wrong_type():
    _unit, problem = find_unit(UNITS, 'CPU', 'weight')
    assert "no weight unit is named 'CPU'" in problem and 'OptimalForCpuEvenDistribution' in problem


def test_find_unit_ambiguous():
    units = UNITS + [unit('x-other', 'ext', 'filter')]
    _unit, problem = find_unit(units, 'ext', 'filter')
    assert 'several enabled filter units' in problem


NONE = dict(filters={}, weights={}, balance=None)


def test_unit_changes_from_nothing():
    target = dict(filters={'f-cpu': 0, 'f-mem': -1}, weights={'w-cpu': 2}, balance='b-even')
    changes = unit_changes(NONE, target)
    assert changes == dict(remove_filters=[], remove_weights=[], add_filters={'f-cpu': 0, 'f-mem': -1},
                           add_weights={'w-cpu': 2}, set_balance='b-even', kept=set())


def test_unit_changes_same_is_empty():
    current = dict(filters={'f-cpu': 0}, weights={'w-cpu': 2}, balance='b-even')
    changes = unit_changes(current, dict(current))
    assert changes == dict(remove_filters=[], remove_weights=[], add_filters={}, add_weights={},
                           set_balance=None, kept={'f-cpu', 'w-cpu', 'b-even'})


def test_new_position_or_factor_is_remove_and_add():
    current = dict(filters={'f-cpu': 0, 'f-mem': 0}, weights={'w-cpu': 2, 'w-aff': 1}, balance='b-none')
    target = dict(filters={'f-cpu': 1, 'f-mem': 0}, weights={'w-cpu': 3}, balance='b-even')
    changes = unit_changes(current, target)
    assert changes['remove_filters'] == ['f-cpu']
    assert changes['add_filters'] == {'f-cpu': 1}
    assert changes['remove_weights'] == ['w-aff', 'w-cpu']
    assert changes['add_weights'] == {'w-cpu': 3}
    assert changes['set_balance'] == 'b-even'
    assert changes['kept'] == {'f-mem'}


def test_property_regexes_union_of_units():
    assert property_regexes(BY_ID, {'w-cpu', 'b-even', 'f-cpu'}) == {
        'HighUtilization': '^[5-9][0-9]$', 'CpuOverCommitDurationMinutes': '^[1-9][0-9]*$'}
    assert property_regexes(BY_ID, set()) == {}
    assert unit_ids(dict(filters={'a': 0}, weights={'b': 1}, balance='c')) == {'a', 'b', 'c'}


def test_policy_view_uses_names_sorted():
    view = policy_view('p', None, dict(filters={'f-mem': -1, 'f-cpu': 0}, weights={'w-cpu': 2}, balance='b-even'),
                       {'HighUtilization': '80'}, BY_ID)
    assert view == dict(name='p', description='',
                        filters=[dict(name='CPU', position='any'), dict(name='Memory', position='first')],
                        weights=[dict(name='OptimalForCpuEvenDistribution', factor=2)],
                        balancer='OptimalForEvenDistribution', properties={'HighUtilization': '80'})


def params(**values):
    base = dict(filters=None, weights=None, balancer=None, properties=None)
    base.update(values)
    return base


def test_wanted_spec_accepts_names_and_dicts():
    spec, errors = wanted_spec(params(
        filters=['CPU', dict(name='Memory', position='first'), dict(name='ext', position='last')],
        weights=[dict(name='w', factor=0)], balancer='None', properties={'HighUtilization': 80}))
    assert errors == []
    assert spec == dict(filters=[('CPU', 0), ('Memory', -1), ('ext', 1)], weights=[('w', 0)],
                        balancer='None', properties={'HighUtilization': '80'})


@pytest.mark.parametrize('values, words', [
    (dict(filters=[dict(name='CPU', position='top')]), "filters[0]: position 'top' is not one of first, last, any"),
    (dict(filters=[42]), 'filters[0]: give a unit name'),
    (dict(filters=[dict(position='first')]), 'filters[0]: give a unit name'),
    (dict(filters=[dict(name='CPU', factor=1)]), 'filters[0]: unknown keys factor'),
    (dict(filters=['CPU', 'CPU']), 'filters: CPU listed more than once'),
    (dict(filters=[dict(name='a', position='first'), dict(name='b', position='first')]),
     'only one filter can be first, not a, b'),
    (dict(weights=[dict(name='w', factor=-1)]), "the factor of 'w' is -1"),
    (dict(weights=[dict(name='w', factor=1), dict(name='w', factor=2)]), 'weights: w listed more than once'),
    (dict(properties={'High-Util': '80'}), "properties: the name 'High-Util' must be made of"),
    (dict(properties={'HighUtilization': True}), 'properties.HighUtilization: True is not text; quote it'),
    (dict(properties={'HighUtilization': 8.5}), 'quote it'),
])
def test_wanted_spec_errors(values, words):
    _spec, errors = wanted_spec(params(**values))
    assert any(words in error for error in errors), errors


def test_target_units_keeps_what_is_not_managed_and_reports_unknown_units():
    current = dict(filters={'f-cpu': 0}, weights={'w-cpu': 2}, balance='b-none')
    spec, _errors = wanted_spec(params(filters=['Memory'], balancer='OptimalForEvenDistribution'))
    target, errors = target_units(spec, current, UNITS)
    assert errors == []
    assert target == dict(filters={'f-mem': 0}, weights={'w-cpu': 2}, balance='b-even')
    spec, _errors = wanted_spec(params(weights=[dict(name='CPU', factor=1)], balancer='Even'))
    _units, errors = target_units(spec, current, UNITS)
    assert errors == [
        "no weight unit is named 'CPU'; the weight units are: OptimalForCpuEvenDistribution, VmAffinityGroups",
        "no load_balancing unit is named 'Even'; the load_balancing units are: None, OptimalForEvenDistribution",
    ]


def test_fallback_problems_spot_a_silent_fallback_and_dropped_values():
    from ansible_collections.ovirt_ext.deploy.plugins.modules.cluster_scheduling_policy import fallback_problems
    assert fallback_problems('c', dict(policy='p', properties=dict(A='1')), 'p', dict(A='1')) == []
    assert fallback_problems('c', dict(policy='none', properties={}), 'p', dict(A='1')) == [
        "cluster 'c' has scheduling policy 'none' instead of 'p' (the engine falls back to its default policy "
        "when it cannot use the one asked for)",
        "cluster 'c' has A=None instead of '1'",
    ]
