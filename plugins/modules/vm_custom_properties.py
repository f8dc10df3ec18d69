#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: vm_custom_properties
short_description: Set custom properties on many oVirt VMs in one task
version_added: 0.1.0
description:
  - Sets, replaces or removes custom properties (the name=value pairs that VDSM hooks read) on a
    list of VMs or on the VMs an engine search finds.
  - Before any change, checks every resulting value against the definitions of each VM's cluster
    level (predefined and user-defined keys), and fails listing every bad VM and key at once.
  - One login and one search, then the updates, several at a time (O(parallel)).
  - Compares names and values only (not regexes), so a second run reports no change.
  - A VM that is not down keeps running with its old properties; the change is stored in its
    next-run configuration and applies at its next start (RV(vms[].next_run)).
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
  vms:
    description:
      - The names of the VMs. Every one must exist.
      - Exactly one of O(vms) and O(search) is required.
    type: list
    elements: str
  search:
    description:
      - An engine search that selects the VMs, such as V(cluster=prod and name=db*).
      - Exactly one of O(vms) and O(search) is required.
    type: str
  properties:
    description:
      - The custom properties, as a dictionary of name and value. Values are text (quote numbers
        and booleans in YAML, such as V("true")).
      - With O(mode=absent) only the names count.
    type: dict
    required: true
  mode:
    description:
      - V(merge) sets O(properties) and keeps the VM's other properties.
      - V(replace) makes O(properties) the VM's only properties (V({}) removes them all).
      - V(absent) removes the properties named in O(properties), whatever their values.
    type: str
    choices: [merge, replace, absent]
    default: merge
  parallel:
    description:
      - How many VM updates run at the same time, each on its own connection (1 to 64).
    type: int
    default: 8
notes:
  - Runs wherever the engine API is reachable, normally on the controller (C(delegate_to=localhost)).
  - A custom property must be defined for the VM's cluster level, by the engine
    (C(PredefinedVMProperties), such as C(hugepages)) or with
    M(ovirt_ext.deploy.vm_custom_property_definition) followed by an engine restart.
  - 'Request budget: a run that changes nothing makes 1 API request (the search; with O(vms), one
    per 2000 characters of names) plus one per VM that has a pending next-run configuration. A run
    that changes something adds 3 (the clusters and the two definition options) and one update per
    changed VM. Logging in with a user name and password adds one SSO request and one to revoke the
    token.'
seealso:
  - module: ovirt_ext.deploy.vm_custom_property_definition
  - module: ovirt_ext.deploy.vm_custom_property_definition_info
author:
  - ovirt_ext.deploy contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Give every database VM of the prod cluster 1 GiB hugepages and a NUMA mode
  ovirt_ext.deploy.vm_custom_properties:
    auth: "{{ ovirt_auth }}"
    search: cluster=prod and name=db*
    properties:
      hugepages: "1048576"
      numa_mode: strict
  delegate_to: localhost

- name: Make sap_agent the only custom property of two VMs
  ovirt_ext.deploy.vm_custom_properties:
    auth: "{{ ovirt_auth }}"
    vms: [sap01, sap02]
    properties:
      sap_agent: "true"
    mode: replace
  delegate_to: localhost

- name: Remove the numa_mode property wherever it is set
  ovirt_ext.deploy.vm_custom_properties:
    auth: "{{ ovirt_auth }}"
    search: "*"
    properties:
      numa_mode:
    mode: absent
  delegate_to: localhost
'''

RETURN = r'''
vms:
  description: Each selected VM, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The VM name.
      type: str
    id:
      description: The VM id.
      type: str
    changed:
      description: Whether its properties changed (would change, in check mode).
      type: bool
    before:
      description: Its custom properties before the run (the pending next-run ones, if any).
      type: dict
    after:
      description: Its custom properties after the run.
      type: dict
    next_run:
      description: Whether the change waits for the VM's next start, because the VM is not down.
      type: bool
    error:
      description: Why its update failed, when it did.
      type: str
      returned: when the update of this VM failed
  sample:
    - name: db01
      id: 1b2c3d4e-0000-4000-8000-000000000001
      changed: true
      before: {sap_agent: "true"}
      after: {sap_agent: "true", hugepages: "1048576"}
      next_run: true
plan:
  description: The API calls made (or, in check mode, that would be made).
  returned: success
  type: list
  elements: str
  sample: ["update the custom properties of VM 'db01': hugepages=1048576 (at its next run)"]
diff:
  description: The custom properties of the VMs that change, before and after.
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
    value_error,
)
from ansible_collections.ovirt_ext.deploy.plugins.module_utils._plan import Plan, Step, carry_out, fail_on_input_errors
from ansible_collections.ovirt_ext.deploy.plugins.module_utils._vm_properties import (
    PREDEFINED,
    USER_DEFINED,
    effective_definitions,
    read_definitions,
)

MAX_PARALLEL = 64
# Searches by name are cut so that the URL stays well below the 8 KiB that proxies accept.
SEARCH_CHARACTERS = 2000


def input_errors(params):
    errors = []
    if params['vms'] is not None and (not params['vms'] or not all(params['vms'])):
        errors.append('vms: give at least one VM name, and no empty names')
    if params['search'] is not None and not params['search'].strip():
        errors.append("search: give an engine search, such as 'cluster=prod and name=db*'")
    if not 1 <= params['parallel'] <= MAX_PARALLEL:
        errors.append('parallel: %d is out of range; use 1 to %d' % (params['parallel'], MAX_PARALLEL))
    for name, value in sorted(params['properties'].items()):
        problem = name_error(name)
        if problem:
            errors.append('properties: the name %r %s' % (name, problem))
        if params['mode'] == 'absent':
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            errors.append('properties.%s: %r is not text; quote it in YAML (for example "true" or "1024")'
                          % (name, value))
        elif value_error(str(value)):
            errors.append('properties.%s: the value %s' % (name, value_error(str(value))))
    return errors


def search_batches(names, limit=SEARCH_CHARACTERS):
    """Engine searches (``name="a" or name="b"``) that find ``names``, each below ``limit``."""
    batches, terms, length = [], [], 0
    for name in names:
        term = 'name="%s"' % name
        if terms and length + len(term) + 4 > limit:
            batches.append(' or '.join(terms))
            terms, length = [], 0
        terms.append(term)
        length += len(term) + 4
    if terms:
        batches.append(' or '.join(terms))
    return batches


def find_vms(module, engine):
    params = module.params
    if params['search'] is not None:
        found = engine.read('search the VMs with %r' % params['search'],
                            lambda system: system.vms_service().list(search=params['search']))
        if not found:
            module.warn('The search %r matches no VM.' % params['search'])
        return found
    names = list(dict.fromkeys(params['vms']))
    by_name = {}
    for query in search_batches(names):
        for vm in engine.read('find the VMs by name',
                              lambda system, query=query: system.vms_service().list(search=query)):
            by_name[vm.name] = vm  # the search ignores case: keep exact names only
    missing = [name for name in names if name not in by_name]
    if missing:
        module.fail_json(msg='vms: no VM is named %s' % ', '.join(missing))
    return [by_name[name] for name in names]


def properties_of(custom_properties):
    return dict((prop.name, prop.value or '') for prop in custom_properties or [])


def read_current(engine, vms, workers):
    """Each VM's custom properties, from its pending next-run configuration when it has one."""
    current = dict((vm.id, properties_of(vm.custom_properties)) for vm in vms)
    pending = [vm for vm in vms if vm.next_run_configuration_exists]
    reads = [Step('read the next-run configuration of VM %r' % vm.name,
                  lambda system, vm=vm: system.vms_service().vm_service(vm.id).get(next_run=True),
                  repeatable=True)
             for vm in pending]
    for vm, (next_run, error) in zip(pending, engine.run_concurrently(reads, workers)):
        if error:
            raise error
        current[vm.id] = properties_of(next_run.custom_properties)
    return current


def wanted_properties(current, properties, mode):
    if mode == 'replace':
        return dict(properties)
    if mode == 'absent':
        return dict((name, value) for name, value in current.items() if name not in properties)
    return dict(current, **properties)


def describe_change(before, after):
    parts = ['%s=%s' % (name, after[name]) for name in sorted(after) if before.get(name) != after[name]]
    parts += ['remove %s' % name for name in sorted(before) if name not in after]
    return ', '.join(parts)


def definition_errors(engine, vms, wanted):
    """Every bad key of every VM, against the definitions of the VM's cluster level."""
    levels = dict((cluster.id, version_text(cluster.version)) for cluster in engine.read(
        'list the clusters', lambda system: system.clusters_service().list()))
    definitions = effective_definitions(read_definitions(engine, PREDEFINED),
                                        read_definitions(engine, USER_DEFINED))
    errors = []
    for vm in vms:
        if vm.custom_compatibility_version is not None:
            level = version_text(vm.custom_compatibility_version)
        else:
            level = levels.get(vm.cluster.id)
        problems = property_errors(definitions.get(level, {}), wanted[vm.id])
        if problems:
            errors.append('VM %r (cluster level %s): %s' % (vm.name, level, '; '.join(problems)))
    return errors


def version_text(version):
    return '%s.%s' % (version.major, version.minor)


def run(module, engine):
    params = module.params
    fail_on_input_errors(module, input_errors(params))
    properties = dict((name, None if value is None else str(value))
                      for name, value in params['properties'].items())

    vms = sorted(find_vms(module, engine), key=lambda vm: vm.name)
    current = read_current(engine, vms, params['parallel'])
    wanted = dict((vm.id, wanted_properties(current[vm.id], properties, params['mode'])) for vm in vms)
    changing = [vm for vm in vms if wanted[vm.id] != current[vm.id]]
    if changing:
        errors = definition_errors(engine, changing, wanted)
        if errors:
            module.fail_json(msg='Custom properties that the engine would refuse, nothing was changed. '
                                 'Define the keys (vm_custom_property_definition, then restart the engine) '
                                 'or fix the values: %s' % ' | '.join(errors))

    plan = Plan()
    for vm in changing:
        next_run = vm.status != sdk.types.VmStatus.DOWN
        plan.add('update the custom properties of VM %r: %s%s' % (
            vm.name, describe_change(current[vm.id], wanted[vm.id]), ' (at its next run)' if next_run else ''),
            lambda system, vm=vm, next_run=next_run: system.vms_service().vm_service(vm.id).update(
                sdk.types.Vm(custom_properties=[sdk.types.CustomProperty(name=name, value=value)
                                                for name, value in wanted[vm.id].items()]),
                next_run=next_run or None))

    results = [dict(name=vm.name, id=vm.id, changed=vm in changing, before=current[vm.id],
                    after=wanted[vm.id], next_run=vm in changing and vm.status != sdk.types.VmStatus.DOWN)
               for vm in vms]

    def apply(plan):
        failed = {}
        for vm, (updated, error) in zip(changing, engine.run_concurrently(plan.steps, params['parallel'])):
            if error:
                failed[vm.id] = error
        if failed:
            for result in results:
                if result['id'] in failed:
                    result.update(after=result['before'], error=failed[result['id']].message)
            module.fail_json(msg='Could not update %d of %d VMs (the others were updated; run the task again '
                                 'to retry): %s' % (len(failed), len(changing),
                                                    ' | '.join(error.message for error in failed.values())),
                             vms=results)

    before = dict((vm.name, current[vm.id]) for vm in changing)
    after = dict((vm.name, wanted[vm.id]) for vm in changing)
    return carry_out(module, plan, before, after, apply=apply, vms=results)


def main():
    run_engine_module(run, dict(
        vms=dict(type='list', elements='str'),
        search=dict(type='str'),
        properties=dict(type='dict', required=True),
        mode=dict(type='str', choices=['merge', 'replace', 'absent'], default='merge'),
        parallel=dict(type='int', default=8),
    ), mutually_exclusive=[('vms', 'search')], required_one_of=[('vms', 'search')])


if __name__ == '__main__':
    main()
