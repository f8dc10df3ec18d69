#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: scheduling_policy_unit_info
short_description: List the scheduling policy units of an oVirt engine
version_added: 0.1.0
description:
  - Lists the units (filters, weights and load balancers) that scheduling policies can use, the
    engine's own and those of an external scheduler, with the parameters each takes.
  - Use it to check that external scheduler plugins were discovered after an engine restart, or to
    see what M(ovirt_ext.deploy.scheduling_policy) accepts.
extends_documentation_fragment:
  - ovirt_ext.deploy.auth
  - ovirt_ext.deploy.attributes
  - ovirt_ext.deploy.attributes.INFO_MODULE
  - ovirt_ext.deploy.attributes.ACTIONGROUP_ENGINE
options:
  type:
    description:
      - Only units of this type.
    type: str
    choices: [filter, weight, load_balancing]
  name:
    description:
      - Only units whose name matches this shell-style pattern, such as V(Optimal*). Case-sensitive.
    type: str
  internal:
    description:
      - V(true) for the engine's own units only, V(false) for external ones only.
    type: bool
  enabled:
    description:
      - V(true) for enabled units only, V(false) for disabled ones only (external units that the
        engine did not find again at its last start).
    type: bool
notes:
  - Runs wherever the engine API is reachable, normally on the controller (C(delegate_to=localhost)).
  - 'Request budget: 1 API request, whatever the filters (they apply to the list). Logging in with a
    user name and password adds one SSO request and one to revoke the token.'
seealso:
  - module: ovirt_ext.deploy.scheduling_policy
author:
  - ovirt_ext.deploy contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Check that the external scheduler's units were discovered
  ovirt_ext.deploy.scheduling_policy_unit_info:
    auth: "{{ ovirt_auth }}"
    internal: false
    enabled: true
  delegate_to: localhost
  register: external_units

- name: Fail when the even-distribution balancer is missing
  ansible.builtin.assert:
    that: external_units.scheduling_policy_units | selectattr('name', 'equalto', 'my_balancer') | list | length == 1
'''

RETURN = r'''
scheduling_policy_units:
  description: The matching units, sorted by type and name.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The unit id.
      type: str
    name:
      description: The unit name (the class name for external units).
      type: str
    type:
      description: V(filter), V(weight) or V(load_balancing); null for the engine's internal selector units.
      type: str
    description:
      description: What the unit does.
      type: str
    internal:
      description: Whether the unit is part of the engine.
      type: bool
    enabled:
      description: Whether the unit can be used.
      type: bool
    properties:
      description: The parameters the unit takes, with the regex their values must match.
      type: dict
  sample:
    - id: 7db4ab05-81ab-42e8-868a-aee2df483ed2
      name: OptimalForEvenDistribution
      type: load_balancing
      description: Load balancing VMs in cluster according to hosts CPU load
      internal: true
      enabled: true
      properties: {HighUtilization: "^([5-9][0-9])$"}
'''

from fnmatch import fnmatchcase

from ansible_collections.ovirt_ext.deploy.plugins.module_utils._client import run_engine_module
from ansible_collections.ovirt_ext.deploy.plugins.module_utils._scheduling import read_units


def selected(unit, params):
    return all((
        params['type'] is None or unit['type'] == params['type'],
        params['name'] is None or fnmatchcase(unit['name'], params['name']),
        params['internal'] is None or unit['internal'] == params['internal'],
        params['enabled'] is None or unit['enabled'] == params['enabled'],
    ))


def run(module, engine):
    units = [unit for unit in read_units(engine) if selected(unit, module.params)]
    return dict(changed=False,
                scheduling_policy_units=sorted(units, key=lambda unit: (unit['type'] or '', unit['name'])))


def main():
    run_engine_module(run, dict(
        type=dict(type='str', choices=['filter', 'weight', 'load_balancing']),
        name=dict(type='str'),
        internal=dict(type='bool'),
        enabled=dict(type='bool'),
    ))


if __name__ == '__main__':
    main()
