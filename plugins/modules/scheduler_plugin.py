#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Runs on the engine host: keep it compatible with Python 3.6 (EL8).

DOCUMENTATION = r'''
module: scheduler_plugin
short_description: Install a plugin of the oVirt external scheduler proxy, after checking it
version_added: 0.1.0
description:
  - Installs one plugin file (filters, weights or load balancers for the engine's external
    scheduler) as C(<plugins_dir>/<name>.py), or removes it.
  - Before any change, loads the plugin in a separate process with the proxy's own loader
    (C(ovirt_scheduler_proxy.py --inspect)) and fails, installing nothing, when the file does not
    import (the message carries the plugin's own traceback), defines no unit class (a class with
    C(do_filter), C(do_score) or C(do_balance)), has a C(properties_validation) that is not
    C(key=regex;key=regex) with regexes that compile, or defines a unit class whose name another
    plugin file of O(plugins_dir) also defines (the proxy would load only one of them).
  - Installs atomically (a temporary file in O(plugins_dir), renamed over the old one), owned by
    root and mode 0644. O(state=absent) removes only C(<name>.py).
  - The proxy loads plugins when it starts and on C(systemctl reload); the engine learns about
    units only when it starts. The module returns RV(reload_required) and RV(restart_required)
    so that the play can notify handlers that reload the proxy and restart the engine, in that order.
  - When O(src) is given, the action plugin reads the file on the controller and passes its text
    to the engine host as O(content), as M(ansible.builtin.copy) does.
  - The C(scheduler_proxy) role of this collection installs the proxy and its plugins with this module.
extends_documentation_fragment:
  - ovirt_ext.deploy.attributes
  - ovirt_ext.deploy.attributes.ACTIONGROUP_ENGINE_HOST
attributes:
  check_mode:
    support: full
    details:
      - The plugin is checked in check mode too. If the proxy is not installed yet (for example
        when a play in check mode would install it first), the check is skipped with a warning
        and RV(units) is empty.
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  name:
    description:
      - The name of the plugin file, without C(.py); the proxy imports it as a module of that name.
      - Letters, digits and underscores, not starting with a digit. A name the standard library
        already uses (such as V(json)) fails the check.
    type: str
    required: true
  src:
    description:
      - The plugin file on the controller. A relative path is looked up in the C(files) directory
        of the role or play, as M(ansible.builtin.copy) does.
      - Mutually exclusive with O(content). One of them is required with O(state=present).
    type: path
  content:
    description:
      - The text of the plugin.
      - Mutually exclusive with O(src).
    type: str
  plugins_dir:
    description:
      - The proxy's plugin directory (C(plugins_dir) in its configuration). It must exist, except
        in check mode.
    type: path
    default: /usr/share/ovirt-scheduler-proxy/plugins
  proxy:
    description:
      - The installed proxy daemon, whose C(--inspect) mode checks the plugin.
    type: path
    default: /usr/share/ovirt-scheduler-proxy/ovirt_scheduler_proxy.py
  python:
    description:
      - The Python interpreter that runs the proxy (the C(ExecStart) of its systemd unit), so
        that the plugin is checked with the Python that will run it.
    type: path
    default: /usr/bin/python3
  python_path:
    description:
      - Extra directories for E(PYTHONPATH) while the plugin is checked, such as a directory
        with the oVirt Python SDK when it is not installed as a system package.
      - Give the same directories as the proxy's environment, or a plugin that imports from them
        fails the check.
    type: list
    elements: path
    default: []
  state:
    description:
      - V(present) checks and installs the plugin; V(absent) removes C(<plugins_dir>/<name>.py).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Runs on the engine host, as root, where the proxy is installed.
  - Nothing is imported into the module's own process; the plugin is loaded by the proxy's
    C(--inspect) in a process of its own, with the proxy's timeout (30 seconds unless changed).
    That process runs as the user that runs the module (normally root), not as the proxy's user,
    so module-level code of the plugin runs with those rights during the check.
  - When the content changes, the installed version is checked as well, to tell whether the
    engine sees new units (RV(restart_required)) or only new code behind the same units.
seealso:
  - module: ovirt_ext.deploy.scheduling_policy_unit_info
  - module: ovirt_ext.deploy.scheduling_policy
  - module: ovirt_ext.deploy.engine_config
author:
  - ovirt_ext.deploy contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Install a filter plugin from the controller
  ovirt_ext.deploy.scheduler_plugin:
    name: max_vms
    src: plugins/max_vms.py
  register: max_vms_plugin
  notify: Reload the scheduler proxy

- name: Let the engine discover the new units
  ansible.builtin.debug:
    msg: "New units: {{ max_vms_plugin.units | map(attribute='name') | join(', ') }}"
  changed_when: true
  when: max_vms_plugin.restart_required
  notify: Restart ovirt-engine

- name: Install a plugin that needs the SDK from a directory of its own
  ovirt_ext.deploy.scheduler_plugin:
    name: even_vm_distribution
    src: plugins/even_vm_distribution.py
    python_path: [/opt/ovirt-sdk]

- name: A small plugin given inline
  ovirt_ext.deploy.scheduler_plugin:
    name: keep_all
    content: |
      class keep_all(object):
          def do_filter(self, hosts_ids, vm_id, args_map):
              """Accepts every host."""
              print(hosts_ids)

- name: Remove a plugin
  ovirt_ext.deploy.scheduler_plugin:
    name: keep_all
    state: absent
'''

RETURN = r'''
path:
  description: The plugin file.
  returned: success
  type: str
  sample: /usr/share/ovirt-scheduler-proxy/plugins/max_vms.py
units:
  description:
    - The units the plugin provides, one per class and method; empty with O(state=absent).
    - The engine lists them under the same name and type once it has discovered them.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The unit name (the class name).
      type: str
    type:
      description: V(filter), V(weight) or V(load_balancing).
      type: str
    description:
      description: The docstring of the method.
      type: str
    properties:
      description: The parameters the unit takes, with their regexes (from C(properties_validation)).
      type: dict
  sample:
    - name: max_vms
      type: filter
      description: Keeps only the hosts that run fewer VMs than maximum_vm_count (default 100).
      properties: {maximum_vm_count: "[0-9]*"}
reload_required:
  description: Whether the proxy must reload its plugins (C(systemctl reload ovirt-scheduler-proxy)); true when the file changed.
  returned: success
  type: bool
  sample: true
restart_required:
  description:
    - Whether the engine must be restarted to discover the change (after the proxy reloaded).
    - True when units appear, disappear or change their description or parameters; false when
      only the code behind the same units changed.
  returned: success
  type: bool
  sample: true
plan:
  description: The file operations made (or, in check mode, that would be made).
  returned: success
  type: list
  elements: str
  sample: ["install /usr/share/ovirt-scheduler-proxy/plugins/max_vms.py"]
errors:
  description: What the proxy's loader reported about the plugin, with the plugin's traceback.
  returned: failure, when the check failed
  type: list
  elements: str
collisions:
  description: Unit class names of the plugin that another plugin file also defines.
  returned: failure, when the check failed
  type: list
  elements: str
diff:
  description: The plugin text before and after.
  returned: success, with C(--diff)
  type: dict
'''

import json
import os
import re
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ovirt_ext.deploy.plugins.module_utils._plan import Plan, carry_out, fail_on_input_errors

NAME_PATTERN = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
FILE_MODE = 0o644


def read_installed(path):
    """The bytes of the installed plugin file, or None when there is none."""
    if not os.path.lexists(path):
        return None
    if not os.path.isfile(path):
        raise OSError('it exists and is not a regular file')
    with open(path, 'rb') as stream:
        return stream.read()


def needs_ownership_fix(path):
    """Whether the installed file is not root-owned 0644 (the owner only when running as root)."""
    status = os.stat(path)
    wrong_owner = os.geteuid() == 0 and (status.st_uid, status.st_gid) != (0, 0)
    return wrong_owner or stat.S_IMODE(status.st_mode) != FILE_MODE


def fix_ownership(path):
    if os.geteuid() == 0:
        os.chown(path, 0, 0)
    os.chmod(path, FILE_MODE)


def install(path, data):
    """Writes a temporary file beside ``path`` and renames it over ``path`` (atomic).

    The temporary name starts with a dot and does not end in .py, so a proxy reloading at
    that moment never loads it.
    """
    directory, name = os.path.split(path)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix='.%s.' % name, suffix='.tmp')
    try:
        with os.fdopen(descriptor, 'wb') as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        fix_ownership(temporary)
        os.rename(temporary, path)
    except BaseException:
        if os.path.lexists(temporary):
            os.remove(temporary)
        raise


def inspect(module, data):
    """Runs the proxy's --inspect on ``data`` as <name>.py; returns (passed, report)."""
    params = module.params
    directory = tempfile.mkdtemp(dir=module.tmpdir)
    candidate = os.path.join(directory, params['name'] + '.py')
    with open(candidate, 'wb') as stream:
        stream.write(data)
    command = [params['python'], params['proxy'], '--inspect', candidate, '--plugins-dir', params['plugins_dir']]
    # the environment the proxy has under systemd: no PYTHONPATH but the one it is given
    rc, stdout, stderr = module.run_command(
        command, environ_update=dict(PYTHONPATH=os.pathsep.join(params['python_path']), LANG='C.UTF-8'))
    try:
        report = json.loads(stdout)
    except ValueError:
        report = None
    if rc not in (0, 1) or not isinstance(report, dict):
        module.fail_json(msg='the proxy could not check the plugin (%s --inspect): %s'
                         % (params['proxy'], (stderr or stdout).strip()), rc=rc, cmd=command,
                         stdout=stdout, stderr=stderr)
    return rc == 0, report


def check_failure(params, report):
    """The message of a plugin that failed the check."""
    problems = list(report['errors'])
    if report['collisions']:
        problems.append('unit class name(s) %s also defined by another plugin file in %s; the proxy would '
                        'load only one of them' % (', '.join(report['collisions']), params['plugins_dir']))
    return 'plugin %s failed the check, nothing was installed: %s' % (params['name'], '\n'.join(problems))


def unit_keys(units):
    """What the engine discovers of each unit, comparable between two versions of a plugin."""
    return sorted((unit['type'], unit['name'], unit['description'], sorted(unit['properties'].items()))
                  for unit in units)


def input_errors(params):
    errors = []
    if not NAME_PATTERN.fullmatch(params['name']):
        errors.append('name %r: letters, digits and underscores, not starting with a digit '
                      '(the proxy imports the file as a Python module of that name)' % params['name'])
    if params['src'] is not None:
        errors.append('src is a file on the controller, read by the action plugin of this module; run the '
                      'module as ovirt_ext.deploy.scheduler_plugin from a play, or give content')
    return errors


def run(module):
    params = module.params
    fail_on_input_errors(module, input_errors(params))
    path = os.path.join(params['plugins_dir'], params['name'] + '.py')
    if not os.path.isdir(params['plugins_dir']) and not module.check_mode:
        module.fail_json(msg='the plugin directory %s does not exist; is the scheduler proxy installed?'
                         % params['plugins_dir'])
    current = None
    try:
        current = read_installed(path)
    except (IOError, OSError) as error:
        module.fail_json(msg='cannot read %s: %s' % (path, error))
    before = current.decode('utf-8', 'replace') if current is not None else ''
    plan = Plan()

    if params['state'] == 'absent':
        if current is not None:
            plan.add('remove %s' % path, lambda: os.remove(path))
        return carry_out(module, plan, before, '', path=path, units=[],
                         reload_required=bool(plan.steps), restart_required=bool(plan.steps))

    wanted = params['content'].encode('utf-8')
    units, checked = [], os.path.isfile(params['proxy'])
    if checked:
        passed, report = inspect(module, wanted)
        if not passed:
            module.fail_json(msg=check_failure(params, report), **report)
        units = report['units']
    elif not module.check_mode:
        module.fail_json(msg='the proxy %s is not installed; it checks the plugin before it is installed'
                         % params['proxy'])
    else:
        module.warn('the plugin was not checked: the proxy %s is not installed yet' % params['proxy'])

    content_changed = current != wanted
    if content_changed:
        plan.add('%s %s' % ('install' if current is None else 'replace', path), lambda: install(path, wanted))
    elif needs_ownership_fix(path):
        plan.add('set owner root:root and mode 0644 on %s' % path, lambda: fix_ownership(path))

    restart_required = content_changed and not checked   # unknown units: assume they changed
    if content_changed and checked:
        units_before = inspect(module, current)[1]['units'] if current is not None else []
        restart_required = unit_keys(units_before) != unit_keys(units)
    result = carry_out(module, plan, before, params['content'], path=path, units=units,
                       reload_required=content_changed, restart_required=restart_required)
    if 'diff' in result:
        result['diff'].update(before_header=path, after_header=path)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            src=dict(type='path'),
            content=dict(type='str'),
            plugins_dir=dict(type='path', default='/usr/share/ovirt-scheduler-proxy/plugins'),
            proxy=dict(type='path', default='/usr/share/ovirt-scheduler-proxy/ovirt_scheduler_proxy.py'),
            python=dict(type='path', default='/usr/bin/python3'),
            python_path=dict(type='list', elements='path', default=[]),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
        ),
        mutually_exclusive=[('src', 'content')],
        required_if=[('state', 'present', ('src', 'content'), True)],
        supports_check_mode=True,
    )
    module.exit_json(**run(module))


if __name__ == '__main__':
    main()
