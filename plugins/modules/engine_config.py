#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Runs on the engine host: keep it compatible with Python 3.6 (EL8).

DOCUMENTATION = r'''
module: engine_config
short_description: Set an oVirt engine configuration key with engine-config
version_added: 0.1.0
description:
  - Sets the value of an engine configuration key, for some or all cluster levels, with the
    C(engine-config) tool of the engine host.
  - Reads the current values first and writes only the versions whose value differs, always
    with C(--cver), never interactively.
  - The engine reads most keys only when it starts. The module returns RV(restart_required) so
    that the play can notify a handler that restarts C(ovirt-engine) once.
  - The value is written as given (C(engine-config -s)), never merged. To add one VM custom
    property definition to C(UserDefinedVMProperties), use M(ovirt_ext.deploy.vm_custom_property_definition).
extends_documentation_fragment:
  - ovirt_ext.deploy.attributes
  - ovirt_ext.deploy.attributes.ACTIONGROUP_ENGINE_HOST
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
    details:
      - The comparison is by exact text. If C(engine-config) stores a value in another spelling
        (for example V(True) as V(true)), give that spelling.
options:
  key:
    description:
      - The configuration key, such as V(ExternalSchedulerEnabled).
      - C(engine-config -l) lists the keys.
    type: str
    required: true
  value:
    description:
      - The wanted value, as text.
      - Required when O(state=present).
    type: str
  versions:
    description:
      - The cluster levels to set, such as V(4.7) and V(4.8), V(general) for keys that do not
        depend on the level, or V(all) for every version the key has.
      - Quote versions in YAML (V('4.10'), not 4.10, which is the number 4.1).
    type: list
    elements: str
    default: [all]
    aliases: [version]
  state:
    description:
      - V(present) sets O(value).
      - V(absent) sets the empty value; C(engine-config) cannot delete a key.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Runs on the engine host and needs C(engine-config) in the E(PATH) and the rights to run it
    (normally root).
  - A run that changes nothing calls C(engine-config -g) once with O(versions=all), or once per
    version otherwise; it makes no API request.
seealso:
  - module: ovirt_ext.deploy.vm_custom_property_definition
author:
  - ovirt_ext.deploy contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Enable the external scheduler
  ovirt_ext.deploy.engine_config:
    key: ExternalSchedulerEnabled
    value: "true"
    versions: general
  notify: Restart ovirt-engine

- name: Allow up to 8 vCPUs per socket on cluster levels 4.7 and 4.8
  ovirt_ext.deploy.engine_config:
    key: MaxNumOfCpuPerSocket
    value: "8"
    versions: ["4.7", "4.8"]
  notify: Restart ovirt-engine

- name: Preview the change without making it
  ovirt_ext.deploy.engine_config:
    key: MaxNumOfCpuPerSocket
    value: "8"
  check_mode: true
  diff: true
  register: preview
'''

RETURN = r'''
values:
  description: The value of the key for each selected version, after the run (predicted in check mode).
  returned: success
  type: dict
  sample: {"4.7": "8", "4.8": "8"}
restart_required:
  description: Whether the engine must be restarted to use the new value (true when something changed).
  returned: success
  type: bool
  sample: true
plan:
  description: The C(engine-config -s) calls made (or, in check mode, that would be made).
  returned: success
  type: list
  elements: str
  sample: ["set MaxNumOfCpuPerSocket to '8' for version 4.8"]
diff:
  description: The values per version before and after.
  returned: success, with C(--diff)
  type: dict
  sample: {"before": {"4.8": "2"}, "after": {"4.8": "8"}}
'''

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ovirt_ext.deploy.plugins.module_utils._engine_config import (
    EngineConfig,
    versions_error,
)
from ansible_collections.ovirt_ext.deploy.plugins.module_utils._plan import Plan, carry_out, fail_on_input_errors

KEY_PATTERN = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')


def input_errors(params):
    errors = []
    if not KEY_PATTERN.fullmatch(params['key']):
        errors.append('key %r: a key name is letters, digits and underscores, such as '
                      'ExternalSchedulerEnabled (engine-config -l lists them)' % params['key'])
    if params['value'] is not None and '\n' in params['value']:
        errors.append('value: must be a single line')
    problem = versions_error(params['versions'])
    if problem:
        errors.append('versions: %s' % problem)
    return errors


def run(module):
    params = module.params
    fail_on_input_errors(module, input_errors(params))
    key = params['key']
    wanted = params['value'] if params['state'] == 'present' else ''

    engine_config = EngineConfig(module)
    current = engine_config.read(key, params['versions'])
    plan = Plan()
    for version, value in current.items():
        if value != wanted:
            plan.add("set %s to %r for version %s" % (key, wanted, version),
                     lambda version=version: engine_config.write(key, wanted, version))
    after = dict((version, wanted) for version in current)
    return carry_out(module, plan, dict(current), after,
                     values=after, restart_required=bool(plan.steps))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            key=dict(type='str', required=True, no_log=False),
            value=dict(type='str'),
            versions=dict(type='list', elements='str', default=['all'], aliases=['version']),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
        ),
        required_if=[('state', 'present', ['value'])],
        supports_check_mode=True,
    )
    module.exit_json(**run(module))


if __name__ == '__main__':
    main()
