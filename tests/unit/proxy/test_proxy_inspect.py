"""--inspect FILE: one plugin file checked with the proxy's loader before it is installed."""
import json
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

PROXY = Path(__file__).resolve().parents[3] / 'roles/scheduler_proxy/files/ovirt_scheduler_proxy.py'

GOOD = '''
    print('printed while importing')


    class keep_all(object):
        """The class docstring is not the description."""

        properties_validation = 'maximum_vm_count=[0-9]*;safe=True|False'

        def do_filter(self, hosts, vm, args):
            """Keeps every host."""
            print(hosts)

        def do_score(self, hosts, vm, args):
            print([(host, 1) for host in hosts])


    class mover(object):
        def do_balance(self, hosts, args):
            """Moves nothing."""
'''


@pytest.fixture
def candidate(tmp_path):
    """candidate('name', source) writes the file to check, outside the plugin directory."""
    def write(name, source):
        path = tmp_path / 'new' / (name + '.py')
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(source))
        return path
    return write


@pytest.fixture
def inspect(proxy_python, plugins_dir):
    """inspect(path, *args) runs --inspect; returns (exit status, report, stderr)."""
    def run(path, *args):
        command = [proxy_python, str(PROXY), '--inspect', str(path), '--plugins-dir', str(plugins_dir)]
        process = subprocess.run(command + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 universal_newlines=True, timeout=60, check=False)
        return process.returncode, json.loads(process.stdout), process.stderr
    return run


def test_a_good_plugin_reports_its_units(candidate, inspect, plugins_dir):
    status, report, stderr = inspect(candidate('good', GOOD))
    assert status == 0
    assert report == {'errors': [], 'collisions': [], 'units': [
        {'name': 'keep_all', 'type': 'filter', 'description': 'Keeps every host.',
         'properties': {'maximum_vm_count': '[0-9]*', 'safe': 'True|False'}},
        {'name': 'keep_all', 'type': 'weight', 'description': '',
         'properties': {'maximum_vm_count': '[0-9]*', 'safe': 'True|False'}},
        {'name': 'mover', 'type': 'load_balancing', 'description': 'Moves nothing.', 'properties': {}},
    ]}
    assert 'printed while importing' in stderr   # never mixed into the report
    assert list(plugins_dir.iterdir()) == []      # nothing written there, not even __pycache__


def test_an_import_error_fails_with_the_plugins_own_traceback(candidate, inspect):
    status, report, _stderr = inspect(candidate('broken', '''
        import os


        def helper():
            return os.environ['NOT_SET_ANYWHERE_' + 'AT_ALL']


        LIMIT = helper()
    '''))
    assert status == 1
    assert report['units'] == []
    [error] = report['errors']
    assert 'broken.py skipped, it failed to load' in error
    assert "LIMIT = helper()" in error and "KeyError: 'NOT_SET_ANYWHERE_AT_ALL'" in error


def test_a_syntax_error_is_reported(candidate, inspect):
    status, report, _stderr = inspect(candidate('typo', 'class typo(object:\n    pass\n'))
    assert status == 1
    assert 'SyntaxError' in report['errors'][0]


@pytest.mark.parametrize('source, problem', [
    ('class helper(object):\n    pass\n', 'provides no unit'),
    ('from json import JSONDecoder as do_filter\n', 'provides no unit'),
])
def test_a_file_without_unit_class_fails(candidate, inspect, source, problem):
    status, report, _stderr = inspect(candidate('empty', source))
    assert status == 1
    assert report['units'] == [] and problem in report['errors'][0]


@pytest.mark.parametrize('validation, problem', [
    ('count=[0-9', "the regex of 'count' does not compile"),
    ('count', "'count' is not key=regex"),
    ('max count=[0-9]*', "'max count=[0-9]*' is not key=regex"),
    ('a=1;;b=2', "'' is not key=regex"),
])
def test_bad_properties_validation_fails(candidate, inspect, validation, problem):
    status, report, _stderr = inspect(candidate('odd', '''
        class odd(object):
            properties_validation = %r

            def do_filter(self, hosts, vm, args):
                print(hosts)
    ''' % validation))
    assert status == 1
    assert [unit['name'] for unit in report['units']] == ['odd']
    assert any(problem in error for error in report['errors']), report['errors']


def test_a_properties_validation_that_is_not_a_string_fails(candidate, inspect):
    status, report, _stderr = inspect(candidate('odd', '''
        class odd(object):
            properties_validation = {'count': '[0-9]*'}

            def do_filter(self, hosts, vm, args):
                print(hosts)
    '''))
    assert status == 1
    assert 'properties_validation must be a string' in report['errors'][0]


def test_a_class_name_defined_by_another_plugin_file_collides(candidate, inspect, write_plugin):
    write_plugin('installed', '''
        import sys

        if sys.version_info >= (3,):
            class keep_all(object):
                def do_filter(self, hosts, vm, args):
                    print(hosts)
    ''')
    write_plugin('unreadable', 'class (:\n')   # another file that does not parse is no collision
    status, report, _stderr = inspect(candidate('good', GOOD))
    assert status == 1
    assert report['collisions'] == ['keep_all'] and report['errors'] == []


def test_the_installed_version_of_the_same_file_is_no_collision(candidate, inspect, write_plugin):
    write_plugin('good', GOOD)
    status, report, _stderr = inspect(candidate('good', GOOD.replace('Keeps every host.', 'New text.')))
    assert status == 0
    assert report['units'][0]['description'] == 'New text.'   # the candidate, not the installed file


def test_plugins_import_helpers_beside_the_installed_plugins(candidate, inspect, write_plugin):
    write_plugin('shared_helpers', 'LIMIT = 3\n')
    status, report, _stderr = inspect(candidate('uses_helper', '''
        from shared_helpers import LIMIT


        class limited(object):
            def do_filter(self, hosts, vm, args):
                print(hosts[:LIMIT])
    '''))
    assert status == 0 and [unit['name'] for unit in report['units']] == ['limited']


def test_a_module_name_taken_by_the_standard_library_fails(candidate, inspect):
    status, report, _stderr = inspect(candidate('json', GOOD))
    assert status == 1
    assert "the module name 'json' is already taken" in report['errors'][0]


def test_a_plugin_that_ends_the_process_while_loading_fails(candidate, inspect):
    status, report, _stderr = inspect(candidate('quits', 'import os\nos._exit(3)\n'))
    assert status == 1
    assert report['errors'] == ['the process loading %s exited with status 3 before it reported'
                                % candidate('quits', 'import os\nos._exit(3)\n')]


def test_a_plugin_that_hangs_while_loading_fails_after_the_timeout(candidate, inspect):
    started = time.monotonic()
    status, report, _stderr = inspect(candidate('hangs', '''
        import signal
        import time

        signal.signal(signal.SIGALRM, signal.SIG_IGN)   # defeats the loader's own timer
        time.sleep(60)
    '''), '--timeout', '0.5')
    assert status == 1
    assert report['errors'] and 'took longer than 0.5 s' in report['errors'][0]
    assert time.monotonic() - started < 10


def test_a_missing_file_or_plugin_directory(tmp_path, inspect, candidate, proxy_python):
    status, report, _stderr = inspect(tmp_path / 'missing.py')
    assert status == 1 and 'is not a *.py file' in report['errors'][0]
    # no plugin directory yet: nothing to collide with
    process = subprocess.run([proxy_python, str(PROXY), '--inspect', str(candidate('good', GOOD)),
                              '--plugins-dir', str(tmp_path / 'none')],
                             stdout=subprocess.PIPE, universal_newlines=True, timeout=60, check=False)
    assert process.returncode == 0 and json.loads(process.stdout)['collisions'] == []
