"""The example plugins (max_vms, even_vm_distribution, overloaded_host_balancer) served by the
proxy, against a stand-in for ovirtsdk4 that answers from a JSON file, and against the real
SDK when the engine cannot be reached."""
import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

FAKE_SDK = '''
    """Stand-in for the parts of ovirtsdk4 that the examples use; the engine is a JSON file."""
    import json
    import os


    class Error(Exception):
        pass


    class Struct(object):
        def __init__(self, **fields):
            self.__dict__.update(fields)


    class Connection(object):
        def __init__(self, url=None, username=None, password=None, ca_file=None, insecure=False):
            with open(os.environ['FAKE_ENGINE']) as engine:
                self.engine = json.load(engine)
            self.record('open %s %s %s %s %s' % (url, username, password, ca_file, insecure))
            if password != 'secret':
                raise Error('Error during SSO authentication access_denied')

        def record(self, line):
            with open(os.environ['FAKE_ENGINE'] + '.log', 'a') as log:
                log.write(line + '\\n')

        def system_service(self):
            return self

        def hosts_service(self):
            return self

        def vms_service(self):
            return Vms(self)

        def list(self):
            return [Struct(id=host['id'], name=host['name'], summary=Struct(active=host['active']))
                    for host in self.engine['hosts']]

        def close(self, logout=True):
            self.record('close')

        def __enter__(self):
            return self

        def __exit__(self, *exception):
            self.close()


    class Vms(object):
        def __init__(self, connection):
            self.connection = connection

        def list(self, search=None, max=None):
            self.connection.record('search vms %s max %s' % (search, max))
            host_name = search.split()[0][len('host='):]
            return [Struct(id=vm_id) for vm_id in self.connection.engine['vms'].get(host_name, [])][:max]
'''

ENGINE = {
    'hosts': [
        {'id': 'h1', 'name': 'host1', 'active': 1},
        {'id': 'h2', 'name': 'host2', 'active': 2},
        {'id': 'h3', 'name': 'host3', 'active': 0},
        {'id': 'h4', 'name': 'host4', 'active': 3},
        {'id': 'other', 'name': 'elsewhere', 'active': 0},
    ],
    'vms': {'host4': ['vm-41', 'vm-42', 'vm-43'], 'host2': ['vm-21', 'vm-22']},
}
HOSTS = ['h1', 'h2', 'h3', 'h4', 'unknown']
ENVIRONMENT = {'OVIRT_URL': 'https://engine/ovirt-engine/api', 'OVIRT_USERNAME': 'admin@internal',
               'OVIRT_PASSWORD': 'secret', 'OVIRT_CAFILE': '/etc/pki/ovirt-engine/ca.pem'}


@pytest.fixture
def examples_dir(plugins_dir, proxy_module):
    for example in (Path(proxy_module.SCRIPT).parent / 'examples').glob('*.py'):
        shutil.copy(str(example), str(plugins_dir))
    return plugins_dir


@pytest.fixture
def fake_engine(tmp_path):
    sdk_dir = tmp_path / 'fake_sdk' / 'ovirtsdk4'
    sdk_dir.mkdir(parents=True)
    (sdk_dir / '__init__.py').write_text(textwrap.dedent(FAKE_SDK))
    engine = tmp_path / 'engine.json'
    engine.write_text(json.dumps(ENGINE))
    environment = dict(ENVIRONMENT, FAKE_ENGINE=str(engine), PYTHONPATH=str(sdk_dir.parent))
    return environment, tmp_path / 'engine.json.log'


def test_examples_register_their_units(examples_dir, fake_engine, start_proxy):
    environment, _engine = fake_engine
    units = start_proxy(env=environment).client().discover()
    assert units['filters']['max_vms'][1] == 'maximum_vm_count=[0-9]*'
    assert units['scores']['even_vm_distribution'][1] == ''
    assert units['balance']['overloaded_host_balancer'][1] == 'maximum_vm_count=[0-9]*'
    assert all(units[kind][name][0] for kind, name in [('filters', 'max_vms'),
                                                       ('scores', 'even_vm_distribution'),
                                                       ('balance', 'overloaded_host_balancer')])


def test_examples_against_the_fake_engine(examples_dir, fake_engine, start_proxy):
    environment, engine_log = fake_engine
    engine = start_proxy(env=environment).client()

    assert engine.runFilters(['max_vms'], HOSTS, 'vm-1', {'maximum_vm_count': '2'}) == {
        'result_code': 0, 'result': ['h1', 'h3']}
    assert engine.runFilters(['max_vms'], HOSTS, 'vm-1', {}) == {
        'result_code': 0, 'result': ['h1', 'h2', 'h3', 'h4']}
    assert engine.runCostFunctions([['even_vm_distribution', 2]], HOSTS, 'vm-1', {}) == {
        'result_code': 0, 'result': [['h1', 2], ['h2', 4], ['h3', 0], ['h4', 6]]}
    assert engine.runLoadBalancing('overloaded_host_balancer', HOSTS, {'maximum_vm_count': '2'}) == {
        'result_code': 0, 'result': ['vm-41', ['h1', 'h3']]}
    assert engine.runLoadBalancing('overloaded_host_balancer', HOSTS, {'maximum_vm_count': '5'}) == {
        'result_code': 0, 'result': ['', []]}

    log = engine_log.read_text().splitlines()
    assert log.count('open https://engine/ovirt-engine/api admin@internal secret '
                     '/etc/pki/ovirt-engine/ca.pem False') == 5
    assert log.count('close') == 5   # every connection is closed
    assert 'search vms host=host4 and status=up max 1' in log


def test_examples_report_errors_on_stderr(examples_dir, fake_engine, start_proxy):
    environment, _engine = fake_engine
    engine = start_proxy(env=dict(environment, OVIRT_PASSWORD='wrong')).client()
    reply = engine.runFilters(['max_vms'], HOSTS, 'vm-1', {})
    assert reply['result'] == HOSTS
    assert reply['plugin_errors'] == {
        'max_vms': ['wrote to stderr: max_vms: Error during SSO authentication access_denied']}
    reply = engine.runLoadBalancing('overloaded_host_balancer', HOSTS, {'maximum_vm_count': 'x'})
    assert reply['plugin_errors']['overloaded_host_balancer'][0].startswith(
        'wrote to stderr: overloaded_host_balancer: invalid literal for int()')


def test_examples_with_the_real_sdk_and_no_engine(examples_dir, start_proxy, proxy_python):
    if subprocess.call([proxy_python, '-c', 'import ovirtsdk4'], stderr=subprocess.DEVNULL):
        pytest.skip('ovirtsdk4 is not installed for %s' % proxy_python)
    engine = start_proxy(env={'OVIRT_URL': 'https://127.0.0.1:1/ovirt-engine/api',
                              'OVIRT_USERNAME': 'admin@internal', 'OVIRT_PASSWORD': 'secret',
                              'OVIRT_INSECURE': 'true'}).client()
    assert len(engine.discover()['filters']) == 1
    reply = engine.runCostFunctions([['even_vm_distribution', 1]], HOSTS, 'vm-1', {})
    assert reply['result'] == []
    [message] = reply['plugin_errors']['even_vm_distribution']
    assert message.startswith('wrote to stderr: even_vm_distribution: ')


def test_examples_without_engine_settings(examples_dir, fake_engine, start_proxy):
    environment, _engine = fake_engine
    engine = start_proxy(env=dict(environment, OVIRT_URL=None)).client()
    reply = engine.runFilters(['max_vms'], HOSTS, 'vm-1', {})
    assert reply['plugin_errors'] == {
        'max_vms': ['wrote to stderr: max_vms: OVIRT_URL is not set in the scheduler proxy environment']}
