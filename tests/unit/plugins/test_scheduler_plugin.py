"""scheduler_plugin: the module run as Ansible runs it (a subprocess with an args file), with a
temporary plugin directory and the real proxy daemon; and its action plugin through
ansible-playbook, for src on the controller."""
import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from collection_link import COLLECTIONS, REPO

PROXY = os.path.join(REPO, 'roles', 'scheduler_proxy', 'files', 'ovirt_scheduler_proxy.py')
MODULE = 'ansible_collections.ovirt_ext.deploy.plugins.modules.scheduler_plugin'

FILTER = textwrap.dedent('''\
    class keep_all(object):
        properties_validation = 'maximum_vm_count=[0-9]*'

        def do_filter(self, hosts_ids, vm_id, args_map):
            """Keeps every host."""
            print(hosts_ids)
''')
# the same unit with other code behind it: the engine does not need to discover it again
FILTER_NEW_CODE = FILTER.replace('print(hosts_ids)', 'print(list(hosts_ids))')
# the unit's description changes: the engine must discover it again
FILTER_NEW_TEXT = FILTER.replace('Keeps every host.', 'Keeps all hosts.')


@pytest.fixture
def run_module(tmp_path, plugins_dir):
    """run_module(check_mode=False, diff=False, env=None, **args) -> the module's JSON result."""
    def run(check_mode=False, diff=False, env=None, **args):
        args.setdefault('plugins_dir', str(plugins_dir))
        args.setdefault('proxy', PROXY)
        args.setdefault('python', sys.executable)
        args.update(_ansible_check_mode=check_mode, _ansible_diff=diff,
                    _ansible_remote_tmp=str(tmp_path / 'remote_tmp'), _ansible_keep_remote_files=False)
        path = tmp_path / 'args.json'
        path.write_text(json.dumps(dict(ANSIBLE_MODULE_ARGS=args)))
        environment = dict(os.environ, PYTHONPATH=COLLECTIONS, LANG='C.UTF-8')
        environment.update(env or {})
        process = subprocess.run([sys.executable, '-m', MODULE, str(path)], env=environment, check=False,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                                 timeout=120)
        try:
            return json.loads(process.stdout)
        except ValueError as error:
            raise AssertionError('no JSON (rc %d):\n%s\n%s' % (process.returncode, process.stdout, process.stderr)) from error
    return run


def listing(directory):
    return sorted(entry.name for entry in directory.iterdir())


def test_install_check_then_nothing_to_do(run_module, plugins_dir):
    preview = run_module(name='keep_all', content=FILTER, check_mode=True, diff=True)
    assert preview['changed'] is True and not preview.get('failed')
    assert preview['plan'] == ['install %s/keep_all.py' % plugins_dir]
    assert preview['diff']['before'] == '' and preview['diff']['after'] == FILTER
    assert listing(plugins_dir) == []

    result = run_module(name='keep_all', content=FILTER)
    assert result['changed'] is True
    assert result['reload_required'] is True and result['restart_required'] is True
    assert result['units'] == [{'name': 'keep_all', 'type': 'filter', 'description': 'Keeps every host.',
                                'properties': {'maximum_vm_count': '[0-9]*'}}]
    path = plugins_dir / 'keep_all.py'
    assert result['path'] == str(path)
    assert path.read_text() == FILTER
    assert listing(plugins_dir) == ['keep_all.py']   # no temporary file left, no __pycache__
    status = path.stat()
    assert stat.S_IMODE(status.st_mode) == 0o644
    if os.geteuid() == 0:
        assert (status.st_uid, status.st_gid) == (0, 0)

    again = run_module(name='keep_all', content=FILTER)
    assert again['changed'] is False and again['plan'] == []
    assert again['reload_required'] is False and again['restart_required'] is False
    assert again['units'] == result['units']


def test_new_code_behind_the_same_units_needs_only_a_reload(run_module, plugins_dir):
    run_module(name='keep_all', content=FILTER)
    result = run_module(name='keep_all', content=FILTER_NEW_CODE, diff=True)
    assert result['changed'] is True and result['plan'] == ['replace %s/keep_all.py' % plugins_dir]
    assert result['reload_required'] is True and result['restart_required'] is False
    assert result['diff']['before'] == FILTER and result['diff']['after'] == FILTER_NEW_CODE

    result = run_module(name='keep_all', content=FILTER_NEW_TEXT)
    assert result['reload_required'] is True and result['restart_required'] is True


def test_a_plugin_that_does_not_import_fails_with_its_traceback(run_module, plugins_dir):
    run_module(name='keep_all', content=FILTER)
    broken = 'import ovirt_module_that_is_not_there\n' + FILTER
    result = run_module(name='keep_all', content=broken)
    assert result['failed'] is True
    assert 'plugin keep_all failed the check, nothing was installed' in result['msg']
    assert 'import ovirt_module_that_is_not_there' in result['msg']
    assert "No module named 'ovirt_module_that_is_not_there'" in result['msg']
    assert (plugins_dir / 'keep_all.py').read_text() == FILTER   # the installed version stays


@pytest.mark.parametrize('content, words', [
    ('class helper(object):\n    pass\n', 'provides no unit'),
    ('class typo(object:\n', 'SyntaxError'),
    (FILTER.replace('[0-9]*', '[0-9'), "the regex of 'maximum_vm_count' does not compile"),
    (FILTER.replace('maximum_vm_count=', 'maximum vm count='), 'is not key=regex'),
])
def test_invalid_plugins_are_not_installed(run_module, plugins_dir, content, words):
    result = run_module(name='candidate', content=content)
    assert result['failed'] is True and words in result['msg'], result['msg']
    assert listing(plugins_dir) == []


def test_a_class_name_that_another_plugin_defines_is_refused(run_module, plugins_dir):
    run_module(name='keep_all', content=FILTER)
    result = run_module(name='keep_all_copy', content=FILTER)
    assert result['failed'] is True and result['collisions'] == ['keep_all']
    assert 'keep_all also defined by another plugin file' in result['msg']
    assert listing(plugins_dir) == ['keep_all.py']


def test_python_path_reaches_the_check(run_module, tmp_path):
    library = tmp_path / 'library'
    library.mkdir()
    (library / 'site_helpers.py').write_text('LIMIT = 2\n')
    content = 'from site_helpers import LIMIT\n' + FILTER
    assert run_module(name='keep_all', content=content)['failed'] is True
    result = run_module(name='keep_all', content=content, python_path=[str(library)])
    assert result['changed'] is True and not result.get('failed')


def test_wrong_mode_is_fixed_without_a_reload(run_module, plugins_dir):
    run_module(name='keep_all', content=FILTER)
    path = plugins_dir / 'keep_all.py'
    path.chmod(0o666)
    result = run_module(name='keep_all', content=FILTER)
    assert result['changed'] is True
    assert result['plan'] == ['set owner root:root and mode 0644 on %s' % path]
    assert result['reload_required'] is False and result['restart_required'] is False
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_absent_removes_only_that_file(run_module, plugins_dir):
    run_module(name='keep_all', content=FILTER)
    (plugins_dir / 'helper.py').write_text('VALUE = 1\n')
    (plugins_dir / 'keep_all.txt').write_text('notes\n')

    preview = run_module(name='keep_all', state='absent', check_mode=True, diff=True)
    assert preview['changed'] is True and preview['diff'] == {'before': FILTER, 'after': ''}
    assert (plugins_dir / 'keep_all.py').exists()

    result = run_module(name='keep_all', state='absent')
    assert result['changed'] is True and result['units'] == []
    assert result['reload_required'] is True and result['restart_required'] is True
    assert listing(plugins_dir) == ['helper.py', 'keep_all.txt']

    again = run_module(name='keep_all', state='absent')
    assert again['changed'] is False and again['reload_required'] is False


def test_missing_proxy_fails_but_check_mode_warns(run_module, tmp_path):
    missing = str(tmp_path / 'no-proxy.py')
    result = run_module(name='keep_all', content=FILTER, proxy=missing)
    assert result['failed'] is True and 'is not installed' in result['msg']
    preview = run_module(name='keep_all', content=FILTER, proxy=missing, check_mode=True,
                         plugins_dir=str(tmp_path / 'not-yet'))
    assert preview['changed'] is True and preview['units'] == [] and preview['restart_required'] is True
    assert 'the plugin was not checked' in json.dumps(preview['warnings'])   # 2.19 returns structured warnings


def test_missing_plugin_directory_fails(run_module, tmp_path):
    result = run_module(name='keep_all', content=FILTER, plugins_dir=str(tmp_path / 'missing'))
    assert result['failed'] is True and 'does not exist' in result['msg']


@pytest.mark.parametrize('args, words', [
    (dict(name='max-vms', content=FILTER), "name 'max-vms'"),
    (dict(name='2fast', content=FILTER), "name '2fast'"),
    (dict(name='keep_all', src='/tmp/keep_all.py'), 'src is a file on the controller'),
    (dict(name='keep_all'), 'state is present but any of the following are missing: src, content'),
])
def test_bad_arguments(run_module, args, words):
    result = run_module(**args)
    assert result['failed'] is True and words in result['msg'], result['msg']


def test_the_action_plugin_reads_src_on_the_controller(tmp_path, plugins_dir):
    (tmp_path / 'files').mkdir()
    (tmp_path / 'files' / 'keep_all.py').write_text(FILTER)
    playbook = tmp_path / 'play.yml'
    playbook.write_text(textwrap.dedent('''\
        - hosts: localhost
          gather_facts: false
          module_defaults:
            group/ovirt_ext.deploy.engine_host:
              plugins_dir: %s
              proxy: %s
              python: %s
          tasks:
            - name: From the files directory beside the play
              ovirt_ext.deploy.scheduler_plugin:
                name: keep_all
                src: keep_all.py
              register: from_src
            - name: Given inline
              ovirt_ext.deploy.scheduler_plugin:
                name: keep_all
                content: "{{ lookup('file', 'files/keep_all.py', rstrip=false) }}"
              register: from_content
            - name: A missing source
              ovirt_ext.deploy.scheduler_plugin:
                name: other
                src: missing.py
              register: from_missing
              ignore_errors: true
            - name: Report
              ansible.builtin.copy:
                content: "{{ [from_src, from_content, from_missing] | to_json }}"
                dest: %s
                mode: "0644"
        ''' % (plugins_dir, PROXY, sys.executable, tmp_path / 'results.json')))
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_LOCALHOST_WARNING='false',
                       ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
    environment.pop('ANSIBLE_CONFIG', None)
    process = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
                              '-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=' + sys.executable,
                              str(playbook)], cwd=str(tmp_path), env=environment, check=False,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=300)
    assert process.returncode == 0, process.stdout
    from_src, from_content, from_missing = json.loads((tmp_path / 'results.json').read_text())
    assert from_src['changed'] is True and from_src['units'][0]['name'] == 'keep_all'
    assert (plugins_dir / 'keep_all.py').read_text() == FILTER
    assert from_content['changed'] is False
    assert from_missing['failed'] is True and 'cannot read src missing.py' in from_missing['msg']
