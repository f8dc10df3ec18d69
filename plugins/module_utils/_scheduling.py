# -*- coding: utf-8 -*-
# This file is PRIVATE to the ovirt_ext.deploy collection: it may change or go away
# without notice. Do not import it from other collections.
"""Scheduling policies and their units, as the engine API shows them.

Quirks of the engine this code relies on:

- a unit is known by name *and* type: some names exist as a filter and as a weight;
- the items of ``/filters``, ``/weights`` and ``/balances`` have the unit's id as id,
  and only their list is reliable (an item GET is not);
- there is no PUT on those items: a new position or factor is a remove and an add;
- a policy has at most one balance and adding one replaces it;
- the policy properties must be parameters of the policy's units, with values that
  match the units' regexes, at every edit: units first, then properties.
"""

UNIT_TYPES = ('filter', 'weight', 'load_balancing')
POSITIONS = {'first': -1, 'any': 0, 'last': 1}
POSITION_NAMES = dict((number, name) for name, number in POSITIONS.items())


def unit_view(unit):
    return dict(
        id=unit.id,
        name=unit.name,
        type=unit.type.value if unit.type is not None else None,
        description=unit.description,
        internal=unit.internal,
        enabled=unit.enabled,
        properties=properties_dict(unit.properties),
    )


def properties_dict(properties):
    """SDK ``Property`` list -> ``{name: value}``."""
    return dict((prop.name, prop.value) for prop in properties or [])


def read_units(engine):
    """Every scheduling policy unit, as ``unit_view`` dicts (one request)."""
    units = engine.read('list the scheduling policy units',
                        lambda system: system.scheduling_policy_units_service().list())
    return [unit_view(unit) for unit in units]


def find_unit(units, name, unit_type):
    """``(unit, None)`` for the unit of that name and type, or ``(None, why not)``.

    When several units match (an external unit left disabled beside a newer one), the
    enabled one wins.
    """
    matches = [unit for unit in units if unit['name'] == name and unit['type'] == unit_type]
    if len(matches) > 1:
        matches = [unit for unit in matches if unit['enabled']]
    if len(matches) == 1:
        return matches[0], None
    if matches:
        return None, 'several enabled %s units are named %r (ids %s)' % (
            unit_type, name, ', '.join(unit['id'] for unit in matches))
    names = sorted(set(unit['name'] for unit in units if unit['type'] == unit_type))
    return None, 'no %s unit is named %r; the %s units are: %s' % (
        unit_type, name, unit_type, ', '.join(names) or 'none')


def read_policy_units(engine, policy_id, policy_name):
    """The units of a policy: ``dict(filters={id: position}, weights={id: factor}, balance=id)``.

    Three requests, one per sub-collection.
    """
    def listed(kind):
        return engine.read(
            'list the %s of scheduling policy %r' % (kind, policy_name),
            lambda system: getattr(system.scheduling_policies_service().policy_service(policy_id),
                                   '%s_service' % kind)().list())

    balances = listed('balances')
    return dict(
        filters=dict((item.id, item.position or 0) for item in listed('filters')),
        weights=dict((item.id, 1 if item.factor is None else item.factor) for item in listed('weights')),
        balance=balances[0].id if balances else None,
    )


def unit_ids(policy_units):
    """Every unit id used by a policy (filters, weights and balance)."""
    ids = set(policy_units['filters']) | set(policy_units['weights'])
    if policy_units['balance']:
        ids.add(policy_units['balance'])
    return ids


def property_regexes(units_by_id, ids):
    """The parameters the units ``ids`` accept: ``{name: regex}``."""
    regexes = {}
    for unit_id in sorted(ids):
        unit = units_by_id.get(unit_id)
        if unit:
            regexes.update(unit['properties'])
    return regexes


def unit_changes(current, target):
    """How to go from the ``current`` units of a policy to the ``target`` ones.

    Both are ``read_policy_units`` dicts. Returns a dict with ``remove_filters``,
    ``remove_weights`` (ids), ``add_filters`` ({id: position}), ``add_weights``
    ({id: factor}), ``set_balance`` (id or None) and ``kept`` (ids of the units that
    stay as they are through the change).
    """
    changes = dict(remove_filters=[], remove_weights=[], add_filters={}, add_weights={})
    kept = set()
    for kind, remove, add in (('filters', 'remove_filters', 'add_filters'),
                              ('weights', 'remove_weights', 'add_weights')):
        for unit_id, setting in sorted(current[kind].items()):
            if target[kind].get(unit_id) == setting:
                kept.add(unit_id)
            else:
                changes[remove].append(unit_id)
        for unit_id, setting in sorted(target[kind].items()):
            if current[kind].get(unit_id) != setting:
                changes[add][unit_id] = setting
    changes['set_balance'] = target['balance'] if target['balance'] != current['balance'] else None
    if current['balance'] and not changes['set_balance']:
        kept.add(current['balance'])
    changes['kept'] = kept
    return changes


def policy_view(name, description, policy_units, properties, units_by_id):
    """A readable view of a policy, for ``--diff`` and the module result."""
    def unit_name(unit_id):
        unit = units_by_id.get(unit_id)
        return unit['name'] if unit else unit_id

    return dict(
        name=name,
        description=description or '',
        filters=sorted(
            (dict(name=unit_name(unit_id), position=POSITION_NAMES.get(position, position))
             for unit_id, position in policy_units['filters'].items()),
            key=lambda item: item['name']),
        weights=sorted(
            (dict(name=unit_name(unit_id), factor=factor)
             for unit_id, factor in policy_units['weights'].items()),
            key=lambda item: item['name']),
        balancer=unit_name(policy_units['balance']) if policy_units['balance'] else None,
        properties=dict(properties),
    )
