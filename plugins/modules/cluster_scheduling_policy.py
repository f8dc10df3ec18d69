#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: cluster_scheduling_policy
short_description: Assign a scheduling policy, with its properties, to oVirt clusters
version_added: 0.1.0
description:
  - Makes one or more clusters use a scheduling policy, with the given policy properties.
  - The engine silently falls back to its default policy when it cannot use the one asked for, and
    silently drops properties that the policy's units do not take. This module checks the properties
    against the policy's units before any change, failing with the list of what the policy takes,
    and checks after the update that each cluster really has the policy and the values.
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
  clusters:
    description:
      - The names of the clusters.
    type: list
    elements: str
    required: true
  policy:
    description:
      - The name of the scheduling policy, such as V(evenly_distributed) or one made with
        M(ovirt_ext.deploy.scheduling_policy). Names are case-sensitive.
    type: str
    required: true
  properties:
    description:
      - Policy properties for these clusters, such as C(HighUtilization), as a dictionary of name
        and value.
      - The engine merges them into the cluster's properties - properties not listed keep their
        value (the API cannot remove one); properties the new policy's units do not take are dropped
        by the engine when the policy changes.
    type: dict
    default: {}
notes:
  - Runs wherever the engine API is reachable, normally on the controller (C(delegate_to=localhost)).
  - 'Request budget: a run that changes nothing makes 2 API requests (the clusters and the
    policies). A run that changes something adds 4 (the units, and the filters, weights and balances
    of the policy) and one update per cluster. Logging in with a user name and password adds one SSO
    request and one to revoke the token.'
seealso:
  - module: ovirt_ext.deploy.scheduling_policy
author:
  - ovirt_ext.deploy contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Spread the VMs of the production clusters evenly
  ovirt_ext.deploy.cluster_scheduling_policy:
    auth: "{{ ovirt_auth }}"
    clusters: [prod-a, prod-b]
    policy: evenly_distributed
    properties:
      HighUtilization: "75"
      CpuOverCommitDurationMinutes: "3"
  delegate_to: localhost
'''

RETURN = r'''
clusters:
  description: Each cluster after the run (predicted in check mode).
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The cluster name.
      type: str
    id:
      description: The cluster id.
      type: str
    policy:
      description: The name of the cluster's scheduling policy.
      type: str
    properties:
      description: The cluster's policy properties.
      type: dict
  sample: [{name: prod-a, id: 5c1e0a8e-8d3b-4a41-9f2e-d6f0b1d3a1c2, policy: evenly_distributed,
            properties: {HighUtilization: "75", CpuOverCommitDurationMinutes: "3"}}]
plan:
  description: The API calls made (or, in check mode, that would be made).
  returned: success
  type: list
  elements: str
  sample: ["assign scheduling policy 'evenly_distributed' to cluster 'prod-a' with HighUtilization=75"]
diff:
  description: Policy and properties of each cluster, before and after.
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
    properties_dict,
    property_regexes,
    read_policy_units,
    read_units,
    unit_ids,
)


def input_errors(params):
    errors = []
    if not params['clusters'] or not all(params['clusters']):
        errors.append('clusters: give at least one cluster name, and no empty names')
    for name, value in params['properties'].items():
        problem = name_error(name)
        if problem:
            errors.append('properties: the name %r %s' % (name, problem))
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            errors.append('properties.%s: %r is not text; quote it in YAML (for example "75")' % (name, value))
    return errors


def run(module, engine):
    params = module.params
    fail_on_input_errors(module, input_errors(params))
    wanted = dict((name, str(value)) for name, value in params['properties'].items())
    names = list(dict.fromkeys(params['clusters']))

    clusters = dict((cluster.name, cluster) for cluster in engine.read(
        'list the clusters', lambda system: system.clusters_service().list()))
    missing = [name for name in names if name not in clusters]
    if missing:
        module.fail_json(msg='No cluster named %s; the clusters are: %s'
                             % (', '.join(missing), ', '.join(sorted(clusters))))
    policies = engine.read('list the scheduling policies',
                           lambda system: system.scheduling_policies_service().list())
    policy_names = dict((policy.id, policy.name) for policy in policies)
    policy = next((found for found in policies if found.name == params['policy']), None)
    if policy is None:
        module.fail_json(msg='No scheduling policy named %r; the policies are: %s'
                             % (params['policy'], ', '.join(sorted(policy_names.values()))))

    def current_view(cluster):
        return dict(policy=policy_names.get(cluster.scheduling_policy.id if cluster.scheduling_policy else None),
                    properties=properties_dict(cluster.custom_scheduling_policy_properties))

    def needs_update(view):
        return (view['policy'] != policy.name
                or any(view['properties'].get(key) != value for key, value in wanted.items()))

    before = dict((name, current_view(clusters[name])) for name in names)
    to_update = [name for name in names if needs_update(before[name])]
    after = dict(before)
    plan = Plan()
    updated = {}

    def assign(system, name):
        updated[name] = system.clusters_service().cluster_service(clusters[name].id).update(sdk.types.Cluster(
            scheduling_policy=sdk.types.SchedulingPolicy(id=policy.id),
            custom_scheduling_policy_properties=[
                sdk.types.Property(name=key, value=value) for key, value in sorted(wanted.items())],
        ))

    if to_update:
        units_by_id = dict((unit['id'], unit) for unit in read_units(engine))
        accepted = property_regexes(units_by_id, unit_ids(read_policy_units(engine, policy.id, policy.name)))
        errors = property_errors(accepted, wanted)
        if errors:
            module.fail_json(msg='The scheduling policy %r does not take these properties (the engine would drop '
                                 'them silently): %s. It takes: %s.'
                                 % (policy.name, '; '.join(errors), ', '.join(sorted(accepted)) or 'none'))
        for name in to_update:
            merged = dict(before[name]['properties'], **wanted)
            after[name] = dict(policy=policy.name,
                               properties=dict((key, value) for key, value in merged.items() if key in accepted))
            plan.add('assign scheduling policy %r to cluster %r%s' % (
                policy.name, name, ''.join(' %s=%s' % item for item in sorted(wanted.items()))),
                lambda system, name=name: assign(system, name))

    def apply(plan):
        engine.apply(plan)
        problems = []
        for name, cluster in sorted(updated.items()):
            after[name] = current_view(cluster)
            problems.extend(fallback_problems(name, after[name], policy.name, wanted))
        if problems:
            module.fail_json(msg='The engine did not apply what was asked: %s' % '; '.join(problems),
                             clusters=cluster_list(names, clusters, after))

    result = carry_out(module, plan, before, after, apply=apply)
    result['clusters'] = cluster_list(names, clusters, after)
    return result


def fallback_problems(name, view, policy_name, wanted):
    """What the engine did not apply to a cluster: it falls back and drops without an error."""
    problems = []
    if view['policy'] != policy_name:
        problems.append('cluster %r has scheduling policy %r instead of %r (the engine falls back to its '
                        'default policy when it cannot use the one asked for)' % (name, view['policy'], policy_name))
    for key, value in sorted(wanted.items()):
        if view['properties'].get(key) != value:
            problems.append('cluster %r has %s=%r instead of %r' % (name, key, view['properties'].get(key), value))
    return problems


def cluster_list(names, clusters, views):
    return [dict(name=name, id=clusters[name].id, **views[name]) for name in names]


def main():
    run_engine_module(run, dict(
        clusters=dict(type='list', elements='str', required=True),
        policy=dict(type='str', required=True),
        properties=dict(type='dict', default={}),
    ))


if __name__ == '__main__':
    main()
