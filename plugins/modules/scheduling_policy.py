#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: scheduling_policy
short_description: Manage an oVirt scheduling (cluster) policy as code
version_added: 0.1.0
description:
  - Creates, updates or removes a scheduling policy of the engine, with its filters, weights,
    balancer and properties.
  - Units are found by name and type, never by name alone (some names exist as a filter and as a
    weight). An unknown unit fails the task before any change, listing the units of that type.
  - Changes only what differs, in the order the engine needs - create, remove units, add units,
    then set the properties. A new position or factor is a remove and an add, since the engine
    cannot update a unit of a policy.
  - A run that fails half way (for example when the engine becomes unreachable) is finished by
    the next run.
extends_documentation_fragment:
  - ovirt_ext.deploy.auth
  - ovirt_ext.deploy.attributes
  - ovirt_ext.deploy.attributes.ACTIONGROUP_ENGINE
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  name:
    description:
      - The name of the policy. Names are case-sensitive.
    type: str
    required: true
  description:
    description:
      - The description of the policy. Left as it is when not given.
    type: str
  filters:
    description:
      - The filter units of the policy. The list is exact - filters not listed are removed.
      - An item is a unit name, or a dictionary with C(name) and C(position). C(position) is
        V(first) (run before the others), V(last), or V(any) (the default). At most one filter
        can be first and one last.
      - Left as they are when not given; V([]) removes them all.
    type: list
    elements: raw
  weights:
    description:
      - The weight units of the policy, with their factors. The list is exact.
      - Left as they are when not given; V([]) removes them all.
    type: list
    elements: dict
    suboptions:
      name:
        description: The name of a weight unit.
        type: str
        required: true
      factor:
        description: How much this weight counts; 0 or more.
        type: int
        default: 1
  balancer:
    description:
      - The name of the load balancing unit, such as V(OptimalForEvenDistribution).
      - V(None) is the unit that does no balancing. A policy has at most one balancer.
      - Left as it is when not given.
    type: str
  properties:
    description:
      - The parameters of the policy, such as C(HighUtilization), as a dictionary of name and value.
        The dictionary is exact - parameters not listed are removed.
      - Each must be a parameter of one of the policy's units, with a value that matches the unit's
        regex; this is checked before any change.
      - Left as they are when not given, except that parameters of units that leave the policy go with them.
    type: dict
  state:
    description:
      - V(present) creates or updates the policy; V(absent) removes it.
      - The built-in policies are locked - the module refuses to change or remove them.
      - A policy that clusters use cannot be removed; the task fails naming the clusters.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Runs wherever the engine API is reachable, normally on the controller (C(delegate_to=localhost)).
  - 'Request budget: a run that changes nothing makes 5 API requests (the policies, the units, and
    the filters, weights and balances of the policy); 1 with O(state=absent) when the policy does not
    exist. Logging in with a user name and password adds one SSO request and one to revoke the token.'
seealso:
  - module: ovirt_ext.deploy.scheduling_policy_unit_info
  - module: ovirt_ext.deploy.cluster_scheduling_policy
author:
  - ovirt_ext.deploy contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: A policy that spreads VMs evenly and keeps database VMs on their preferred hosts
  ovirt_ext.deploy.scheduling_policy:
    auth: "{{ ovirt_auth }}"
    name: spread-db
    description: Even distribution, preferred hosts first
    filters:
      - CPU
      - Memory
      - name: PinToHost
        position: first
    weights:
      - name: OptimalForCpuEvenDistribution
        factor: 2
      - name: PreferredHosts
        factor: 5
    balancer: OptimalForEvenDistribution
    properties:
      HighUtilization: "80"
      CpuOverCommitDurationMinutes: "2"
  delegate_to: localhost

- name: Remove it
  ovirt_ext.deploy.scheduling_policy:
    auth: "{{ ovirt_auth }}"
    name: spread-db
    state: absent
  delegate_to: localhost
'''

RETURN = r'''
scheduling_policy:
  description: The policy after the run (predicted in check mode); empty when absent.
  returned: success
  type: dict
  contains:
    id:
      description: The id of the policy (null when check mode predicts its creation).
      type: str
    name:
      description: The name.
      type: str
    description:
      description: The description.
      type: str
    filters:
      description: The filters, each with C(name) and C(position) (first, last or any).
      type: list
      elements: dict
    weights:
      description: The weights, each with C(name) and C(factor).
      type: list
      elements: dict
    balancer:
      description: The balancer unit's name, or null.
      type: str
    properties:
      description: The parameters of the policy.
      type: dict
  sample:
    id: 0a9ab02c-7bb3-4a4a-8b43-7e7e3c1d1c1e
    name: spread-db
    description: Even distribution, preferred hosts first
    filters: [{name: CPU, position: any}, {name: PinToHost, position: first}]
    weights: [{name: PreferredHosts, factor: 5}]
    balancer: OptimalForEvenDistribution
    properties: {HighUtilization: "80"}
plan:
  description: The API calls made (or, in check mode, that would be made), in order.
  returned: success
  type: list
  elements: str
  sample: ["create scheduling policy 'spread-db'", "add filter 'CPU' (position any)"]
diff:
  description: The policy before and after.
  returned: success, with C(--diff)
  type: dict
'''

from ansible_collections.ovirt_ext.deploy.plugins.module_utils._client import (
    run_engine_module,
    sdk,
)
from ansible_collections.ovirt_ext.deploy.plugins.module_utils._custom_properties import (
    name_error,
    property_errors,
)
from ansible_collections.ovirt_ext.deploy.plugins.module_utils._plan import Plan, carry_out, fail_on_input_errors
from ansible_collections.ovirt_ext.deploy.plugins.module_utils._scheduling import (
    POSITION_NAMES,
    POSITIONS,
    find_unit,
    policy_view,
    properties_dict,
    property_regexes,
    read_policy_units,
    read_units,
    unit_changes,
    unit_ids,
)

NO_UNITS = dict(filters={}, weights={}, balance=None)


def text_value(field, value):
    """A property value as the engine stores it (text), or an error for ambiguous YAML."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None, '%s: %r is not text; quote it in YAML (for example "80")' % (field, value)
    return str(value), None


def wanted_spec(params):
    """Check the options that need no engine data; return (spec, errors)."""
    errors = []
    filters = None
    if params['filters'] is not None:
        filters = []
        for index, item in enumerate(params['filters']):
            field = 'filters[%d]' % index
            if isinstance(item, str):
                item = dict(name=item)
            if not isinstance(item, dict) or not isinstance(item.get('name'), str) or not item['name']:
                errors.append('%s: give a unit name, or a dict with name and position' % field)
                continue
            unknown = sorted(set(item) - set(['name', 'position']))
            if unknown:
                errors.append('%s: unknown keys %s; a filter has name and position' % (field, ', '.join(unknown)))
            position = item.get('position') or 'any'
            if position not in POSITIONS:
                errors.append('%s: position %r is not one of first, last, any' % (field, position))
                continue
            filters.append((item['name'], POSITIONS[position]))
        for position in ('first', 'last'):
            names = [name for name, number in filters if number == POSITIONS[position]]
            if len(names) > 1:
                errors.append('filters: only one filter can be %s, not %s' % (position, ', '.join(names)))
        errors.extend(duplicate_errors('filters', [name for name, position in filters]))
    weights = None
    if params['weights'] is not None:
        weights = [(item['name'], item['factor']) for item in params['weights']]
        for name, factor in weights:
            if factor < 0:
                errors.append('weights: the factor of %r is %d; a factor is 0 or more' % (name, factor))
        errors.extend(duplicate_errors('weights', [name for name, factor in weights]))
    properties = None
    if params['properties'] is not None:
        properties = {}
        for name, value in params['properties'].items():
            problem = name_error(name)
            if problem:
                errors.append('properties: the name %r %s' % (name, problem))
            properties[name], problem = text_value('properties.%s' % name, value)
            if problem:
                errors.append(problem)
    return dict(filters=filters, weights=weights, balancer=params['balancer'],
                properties=properties), errors


def duplicate_errors(field, names):
    repeated = sorted(set(name for name in names if names.count(name) > 1))
    if repeated:
        return ['%s: %s listed more than once' % (field, ', '.join(repeated))]
    return []


def target_units(spec, current, units):
    """The units the policy must end with, as ids; (target, errors)."""
    errors = []

    def resolve(name, unit_type):
        unit, problem = find_unit(units, name, unit_type)
        if problem:
            errors.append(problem)
            return None
        return unit['id']

    target = dict(current)
    if spec['filters'] is not None:
        target['filters'] = dict((resolve(name, 'filter'), position) for name, position in spec['filters'])
    if spec['weights'] is not None:
        target['weights'] = dict((resolve(name, 'weight'), factor) for name, factor in spec['weights'])
    if spec['balancer'] is not None:
        target['balance'] = resolve(spec['balancer'], 'load_balancing')
    return target, errors


def run(module, engine):
    params = module.params
    spec, errors = wanted_spec(params)
    fail_on_input_errors(module, errors)
    name = params['name']
    policies = engine.read('list the scheduling policies',
                           lambda system: system.scheduling_policies_service().list())
    policy = next((found for found in policies if found.name == name), None)
    if params['state'] == 'absent':
        return remove(module, engine, policy)
    return ensure(module, engine, policy, spec)


def refuse_locked(module, policy, action):
    module.fail_json(msg='Scheduling policy %r is a locked built-in policy: the engine refuses to %s it. '
                         'Create your own policy under another name instead.' % (policy.name, action))


def ensure(module, engine, policy, spec):
    name = module.params['name']
    units = read_units(engine)
    units_by_id = dict((unit['id'], unit) for unit in units)
    current = read_policy_units(engine, policy.id, name) if policy else NO_UNITS
    target, errors = target_units(spec, current, units)
    fail_on_input_errors(module, errors)
    changes = unit_changes(current, target)

    properties_now = properties_dict(policy.properties) if policy else {}
    kept_regexes = property_regexes(units_by_id, changes['kept'])
    final_regexes = property_regexes(units_by_id, unit_ids(target))
    # The engine checks the properties at every edit: those of leaving units go first.
    properties_between = dict((key, value) for key, value in properties_now.items() if key in kept_regexes)
    if spec['properties'] is None:
        properties_final = dict((key, value) for key, value in properties_now.items() if key in final_regexes)
    else:
        properties_final = spec['properties']
        errors = property_errors(final_regexes, properties_final)
        if errors:
            module.fail_json(msg='properties do not fit the units of scheduling policy %r (they take: %s): %s'
                                 % (name, ', '.join(sorted(final_regexes)) or 'nothing', '; '.join(errors)))
    description_now = (policy.description or '') if policy else ''
    description = module.params['description']
    if description is None:
        description = description_now
    new_description = policy is not None and description != description_now

    reference = dict(id=policy.id if policy else None)

    def policy_service(system):
        return system.scheduling_policies_service().policy_service(reference['id'])

    def create(system):
        reference['id'] = system.scheduling_policies_service().add(
            sdk.types.SchedulingPolicy(name=name, description=description or None)).id

    def unit_name(unit_id):
        return units_by_id[unit_id]['name']

    plan = Plan()
    if policy is None:
        plan.add('create scheduling policy %r' % name, create, repeatable=False)
    if properties_between != properties_now:
        plan.add('remove the properties %s, whose units leave the policy'
                 % ', '.join(sorted(set(properties_now) - set(properties_between))),
                 lambda system: policy_service(system).update(
                     sdk.types.SchedulingPolicy(properties=property_list(properties_between))))
    for unit_id in changes['remove_filters']:
        plan.add('remove filter %r' % unit_name(unit_id),
                 lambda system, unit_id=unit_id: policy_service(system).filters_service()
                 .filter_service(unit_id).remove())
    for unit_id in changes['remove_weights']:
        plan.add('remove weight %r' % unit_name(unit_id),
                 lambda system, unit_id=unit_id: policy_service(system).weights_service()
                 .weight_service(unit_id).remove())
    for unit_id, position in changes['add_filters'].items():
        plan.add('add filter %r (position %s)' % (unit_name(unit_id), POSITION_NAMES[position]),
                 lambda system, unit_id=unit_id, position=position: policy_service(system).filters_service()
                 .add(sdk.types.Filter(scheduling_policy_unit=sdk.types.SchedulingPolicyUnit(id=unit_id),
                                       position=position)),
                 repeatable=False)
    for unit_id, factor in changes['add_weights'].items():
        plan.add('add weight %r (factor %d)' % (unit_name(unit_id), factor),
                 lambda system, unit_id=unit_id, factor=factor: policy_service(system).weights_service()
                 .add(sdk.types.Weight(scheduling_policy_unit=sdk.types.SchedulingPolicyUnit(id=unit_id),
                                       factor=factor)),
                 repeatable=False)
    if changes['set_balance']:
        # Adding a balance replaces the current one, so this is safe to repeat.
        plan.add('set balancer %r' % unit_name(changes['set_balance']),
                 lambda system: policy_service(system).balances_service().add(sdk.types.Balance(
                     scheduling_policy_unit=sdk.types.SchedulingPolicyUnit(id=changes['set_balance']))))
    updated_fields = [field for field, changed in (('description', new_description),
                                                   ('properties', properties_final != properties_between))
                      if changed]
    if updated_fields:
        plan.add('update the %s of scheduling policy %r' % (' and '.join(updated_fields), name),
                 lambda system: policy_service(system).update(sdk.types.SchedulingPolicy(
                     description=description if 'description' in updated_fields else None,
                     properties=property_list(properties_final) if 'properties' in updated_fields else None)))
    if policy is not None and policy.locked and plan.steps:
        refuse_locked(module, policy, 'change')

    before = policy_view(name, description_now, current, properties_now, units_by_id) if policy else {}
    after = policy_view(name, description, target, properties_final, units_by_id)
    result = carry_out(module, plan, before, after, apply=engine.apply)
    result['scheduling_policy'] = dict(after, id=reference['id'])
    return result


def property_list(properties):
    return [sdk.types.Property(name=key, value=value) for key, value in sorted(properties.items())]


def remove(module, engine, policy):
    plan = Plan()
    if policy is None:
        return carry_out(module, plan, {}, {}, apply=engine.apply, scheduling_policy={})
    if policy.locked:
        refuse_locked(module, policy, 'remove')
    clusters = engine.read('list the clusters', lambda system: system.clusters_service().list())
    users = sorted(cluster.name for cluster in clusters
                   if cluster.scheduling_policy is not None and cluster.scheduling_policy.id == policy.id)
    if users:
        module.fail_json(msg='Scheduling policy %r is used by the clusters %s: give them another policy first '
                             '(ovirt_ext.deploy.cluster_scheduling_policy), then remove it.'
                             % (policy.name, ', '.join(users)))
    units_by_id = dict((unit['id'], unit) for unit in read_units(engine))
    before = policy_view(policy.name, policy.description, read_policy_units(engine, policy.id, policy.name),
                         properties_dict(policy.properties), units_by_id)

    def delete(system):
        try:
            system.scheduling_policies_service().policy_service(policy.id).remove()
        except sdk.NotFoundError:
            pass  # already gone: a retry after a lost answer

    plan.add('remove scheduling policy %r' % policy.name, delete)
    return carry_out(module, plan, before, {}, apply=engine.apply, scheduling_policy={})


def main():
    run_engine_module(run, dict(
        name=dict(type='str', required=True),
        description=dict(type='str'),
        filters=dict(type='list', elements='raw'),
        weights=dict(type='list', elements='dict', options=dict(
            name=dict(type='str', required=True),
            factor=dict(type='int', default=1),
        )),
        balancer=dict(type='str'),
        properties=dict(type='dict'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    ))


if __name__ == '__main__':
    main()
