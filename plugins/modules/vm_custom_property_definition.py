#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Runs on the engine host: keep it compatible with Python 3.6 (EL8).

DOCUMENTATION = r'''
module: vm_custom_property_definition
short_description: Define a VM custom property key (UserDefinedVMProperties)
version_added: 0.1.0
description:
  - Defines, changes or removes one key that VMs may carry as a custom property, with the regex
    that its values must match, in the engine configuration key C(UserDefinedVMProperties).
  - Runs on the engine host through C(engine-config), never interactively, always with C(--cver).
  - Merges by key. The other keys stay exactly as they were; an existing key gets the new regex.
  - Checks the name and the regex before any change.
  - The engine reads the definitions only when it starts. The module returns
    RV(restart_required) so that the play can notify a handler that restarts C(ovirt-engine).
  - To read the definitions from any machine, use M(ovirt_ext.deploy.vm_custom_property_definition_info).
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
options:
  name:
    description:
      - The property name, made of letters, digits and underscores.
    type: str
    required: true
  regex:
    description:
      - The regular expression that a value must match, as a whole (the engine uses Java's
        C(String.matches), so V(^[0-9]+$) and V([0-9]+) mean the same).
      - It cannot contain V(;), which separates the definitions.
      - It is compiled before any change; use syntax that Java and Python share (no V(\\p{...}) classes).
      - Required when O(state=present).
    type: str
  versions:
    description:
      - The cluster levels where the key is defined, such as V('4.8'), or V(all) for every level
        the engine knows.
      - Quote versions in YAML.
    type: list
    elements: str
    default: [all]
    aliases: [version]
  state:
    description:
      - V(present) defines the key with O(regex); V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Runs on the engine host and needs C(engine-config) in the E(PATH) (normally run as root).
  - A run that changes nothing calls C(engine-config -g) once with O(versions=all), or once per
    version otherwise; it makes no API request.
  - The predefined keys (C(PredefinedVMProperties), such as C(hugepages)) cannot be changed with
    C(engine-config). A user-defined key with the same name takes precedence.
seealso:
  - module: ovirt_ext.deploy.vm_custom_property_definition_info
  - module: ovirt_ext.deploy.vm_custom_properties
  - module: ovirt_ext.deploy.engine_config
author:
  - ovirt_ext.deploy contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Let VMs carry a NUMA tuning mode
  ovirt_ext.deploy.vm_custom_property_definition:
    name: numa_mode
    regex: "^(strict|preferred|interleave)$"
  notify: Restart ovirt-engine

- name: Define it only on cluster level 4.8
  ovirt_ext.deploy.vm_custom_property_definition:
    name: numa_mode
    regex: "^(strict|preferred|interleave)$"
    versions: ["4.8"]
  notify: Restart ovirt-engine

- name: Remove a key everywhere
  ovirt_ext.deploy.vm_custom_property_definition:
    name: old_hook_flag
    state: absent
  notify: Restart ovirt-engine
'''

RETURN = r'''
definitions:
  description: The user-defined keys and their regexes, per version, after the run (predicted in check mode).
  returned: success
  type: dict
  sample: {"4.8": {"numa_mode": "^(strict|preferred|interleave)$", "vhost_mq": "^[0-9]+$"}}
restart_required:
  description: Whether the engine must be restarted to use the definitions (true when something changed).
  returned: success
  type: bool
  sample: true
plan:
  description: The C(engine-config -s) calls made (or, in check mode, that would be made).
  returned: success
  type: list
  elements: str
  sample: ["set UserDefinedVMProperties for version 4.8: define numa_mode=^(strict|preferred|interleave)$"]
diff:
  description: The definitions per version before and after.
  returned: success, with C(--diff)
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ovirt_ext.deploy.plugins.module_utils._custom_properties import (
    name_error,
    parse_definitions,
    regex_error,
    render_definitions,
    with_definition,
    without_definition,
)
from ansible_collections.ovirt_ext.deploy.plugins.module_utils._engine_config import (
    EngineConfig,
    versions_error,
)
from ansible_collections.ovirt_ext.deploy.plugins.module_utils._plan import Plan, carry_out, fail_on_input_errors

KEY = 'UserDefinedVMProperties'


def input_errors(params):
    errors = []
    problem = name_error(params['name'])
    if problem:
        errors.append('name %r %s' % (params['name'], problem))
    if params['state'] == 'present':
        problem = regex_error(params['regex'])
        if problem:
            errors.append('regex %r %s' % (params['regex'], problem))
    problem = versions_error(params['versions'])
    if problem:
        errors.append('versions: %s' % problem)
    return errors


def run(module):
    params = module.params
    fail_on_input_errors(module, input_errors(params))
    name, regex = params['name'], params['regex']

    engine_config = EngineConfig(module)
    before, after = {}, {}
    plan = Plan()
    for version, spec in engine_config.read(KEY, params['versions']).items():
        current = parse_definitions(spec)
        if params['state'] == 'present':
            wanted = with_definition(current, name, regex)
            change = 'define %s=%s' % (name, regex)
        else:
            wanted = without_definition(current, name)
            change = 'remove %s' % name
        before[version], after[version] = dict(current), dict(wanted)
        if wanted != current:
            plan.add('set %s for version %s: %s' % (KEY, version, change),
                     lambda version=version, value=render_definitions(wanted):
                         engine_config.write(KEY, value, version))
    return carry_out(module, plan, before, after,
                     definitions=after, restart_required=bool(plan.steps))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            regex=dict(type='str'),
            versions=dict(type='list', elements='str', default=['all'], aliases=['version']),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
        ),
        required_if=[('state', 'present', ['regex'])],
        supports_check_mode=True,
    )
    module.exit_json(**run(module))


if __name__ == '__main__':
    main()
