#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: vm_custom_property_definition_info
short_description: List the VM custom property keys that an oVirt engine accepts
version_added: 0.1.0
description:
  - Lists, per cluster level, the custom property keys that VMs may carry and the regex their
    values must match - the user-defined keys (C(UserDefinedVMProperties)) and the predefined ones
    (C(PredefinedVMProperties)).
  - Reads them through the API (C(options/UserDefinedVMProperties)), so it works from any machine,
    unlike M(ovirt_ext.deploy.vm_custom_property_definition), which runs on the engine host.
  - The engine reads the definitions when it starts, so the API shows a new definition only after
    the engine was restarted.
extends_documentation_fragment:
  - ovirt_ext.deploy.auth
  - ovirt_ext.deploy.attributes
  - ovirt_ext.deploy.attributes.INFO_MODULE
  - ovirt_ext.deploy.attributes.ACTIONGROUP_ENGINE
options:
  versions:
    description:
      - Only these cluster levels, such as V('4.8'). All levels when not given.
    type: list
    elements: str
    aliases: [version]
notes:
  - Runs wherever the engine API is reachable, normally on the controller (C(delegate_to=localhost)).
  - 'Request budget: 2 API requests (one per option, all levels at once). Logging in with a user name
    and password adds one SSO request and one to revoke the token.'
seealso:
  - module: ovirt_ext.deploy.vm_custom_property_definition
  - module: ovirt_ext.deploy.vm_custom_properties
author:
  - ovirt_ext.deploy contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Read the definitions of cluster level 4.8
  ovirt_ext.deploy.vm_custom_property_definition_info:
    auth: "{{ ovirt_auth }}"
    versions: ["4.8"]
  delegate_to: localhost
  register: definitions

- name: Check that the engine knows numa_mode (it was restarted after the definition)
  ansible.builtin.assert:
    that: "'numa_mode' in definitions.user_defined['4.8']"
'''

RETURN = r'''
user_defined:
  description: The keys of C(UserDefinedVMProperties) and their regexes, per cluster level.
  returned: success
  type: dict
  sample: {"4.8": {"numa_mode": "^(strict|preferred|interleave)$"}}
predefined:
  description: The keys of C(PredefinedVMProperties) and their regexes, per cluster level.
  returned: success
  type: dict
  sample: {"4.8": {"hugepages": "^[0-9]+$", "sap_agent": "^(true|false)$"}}
'''

from ansible_collections.ovirt_ext.deploy.plugins.module_utils._client import run_engine_module
from ansible_collections.ovirt_ext.deploy.plugins.module_utils._vm_properties import (
    PREDEFINED,
    USER_DEFINED,
    read_definitions,
)


def run(module, engine):
    wanted = module.params['versions']
    user_defined = read_definitions(engine, USER_DEFINED)
    predefined = read_definitions(engine, PREDEFINED)
    if wanted is not None:
        unknown = sorted(set(wanted) - set(user_defined) - set(predefined))
        if unknown:
            module.fail_json(msg='versions: the engine has no cluster level %s; it has %s'
                                 % (', '.join(unknown), ', '.join(sorted(set(user_defined) | set(predefined)))))

    def selected(definitions):
        return dict((level, dict(found)) for level, found in definitions.items()
                    if wanted is None or level in wanted)

    return dict(changed=False, user_defined=selected(user_defined), predefined=selected(predefined))


def main():
    run_engine_module(run, dict(
        versions=dict(type='list', elements='str', aliases=['version']),
    ))


if __name__ == '__main__':
    main()
