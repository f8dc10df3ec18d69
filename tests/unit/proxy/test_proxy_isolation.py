"""Each plugin call runs in a process of its own, with a timeout, and a misbehaving plugin
only fails its own run."""
import os
import time

HOSTS = ['h1', 'h2', 'h3']

MISBEHAVING = '''
    import os
    import signal
    import sys


    class good(object):
        def do_filter(self, hosts, vm, args):
            print(hosts)

        def do_score(self, hosts, vm, args):
            print([(host, 1) for host in hosts])


    class crash(object):
        def do_filter(self, hosts, vm, args):
            raise ValueError('boom')

        def do_score(self, hosts, vm, args):
            raise ValueError('boom')

        def do_balance(self, hosts, args):
            raise ValueError('boom')


    class exit_3(object):
        def do_filter(self, hosts, vm, args):
            print(hosts)
            sys.exit(3)


    class exit_message(object):
        def do_filter(self, hosts, vm, args):
            sys.exit('bye')


    class segfault(object):
        def do_filter(self, hosts, vm, args):
            os.kill(os.getpid(), signal.SIGSEGV)


    class junk(object):
        def do_filter(self, hosts, vm, args):
            print('this is not a literal')


    class noisy(object):
        def do_filter(self, hosts, vm, args):
            print(hosts)
            sys.stderr.write('careful\\n')


    class wrong_shape(object):
        def do_filter(self, hosts, vm, args):
            print({'h1': True})

        def do_score(self, hosts, vm, args):
            print([(host, 'high') for host in hosts])

        def do_balance(self, hosts, args):
            print(['vm-1'])


    class silent(object):
        def do_filter(self, hosts, vm, args):
            pass


    class flood(object):
        def do_filter(self, hosts, vm, args):
            sys.stdout.write('x' * (5 * 1024 * 1024))
'''


def test_failing_filters_are_reported_and_ignored(write_plugin, start_proxy):
    write_plugin('misbehaving', MISBEHAVING)
    engine = start_proxy().client()
    failing = ['crash', 'exit_3', 'exit_message', 'segfault', 'junk', 'noisy', 'wrong_shape',
               'silent', 'flood']
    reply = engine.runFilters(['good'] + failing, HOSTS, 'vm-1', {})
    assert reply['result_code'] == 1
    assert reply['result'] == HOSTS
    assert 'errors' not in reply
    errors = dict(reply['plugin_errors'])
    assert sorted(errors) == sorted(failing)
    assert errors['crash'] == ['exited with status 1: ValueError: boom']
    assert errors['exit_3'] == ['exited with status 3']
    assert errors['exit_message'] == ['exited with status 1: bye']
    assert errors['segfault'] == ['killed by signal 11']
    assert errors['junk'] == ["printed something that is not a Python literal: 'this is not a literal'"]
    assert errors['noisy'] == ['wrote to stderr: careful']
    assert errors['wrong_shape'] == ["the result is not a list of host IDs: {'h1': True}"]
    assert errors['silent'] == ['printed no result']
    assert errors['flood'] == ['wrote more than 4194304 bytes to stdout']

    reply = engine.runFilters(['crash', 'junk'], HOSTS, 'vm-1', {})
    assert reply['result'] == HOSTS
    assert reply['errors'] == ['all filters failed']

    reply = engine.runCostFunctions([['good', 2], ['crash', 1], ['wrong_shape', 1]], HOSTS, 'vm-1', {})
    assert reply['result'] == [[host, 2] for host in HOSTS]
    assert sorted(reply['plugin_errors']) == ['crash', 'wrong_shape']
    assert 'errors' not in reply

    for balance in ('crash', 'wrong_shape'):
        reply = engine.runLoadBalancing(balance, HOSTS, {})
        assert reply['result_code'] == 1
        assert reply['result'] == ['', []]
        assert list(reply['plugin_errors']) == [balance]


HANGING = '''
    import subprocess
    import time


    class hang(object):
        def do_filter(self, hosts, vm, args):
            child = subprocess.Popen(['sleep', '60'])
            with open(args['pid_file'], 'w') as pid_file:
                pid_file.write(str(child.pid))
            time.sleep(60)

        def do_score(self, hosts, vm, args):
            time.sleep(60)

        def do_balance(self, hosts, args):
            time.sleep(60)


    class quick(object):
        def do_filter(self, hosts, vm, args):
            print(hosts[:1])

        def do_score(self, hosts, vm, args):
            print([(hosts[0], 5)])
'''


def is_running(pid):
    """True unless the process is gone or a zombie (nobody may reap it in a container)."""
    try:
        with open('/proc/%d/stat' % pid) as stat:
            return stat.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def test_hanging_plugins_are_killed_at_the_timeout(write_plugin, start_proxy, tmp_path):
    write_plugin('hanging', HANGING)
    engine = start_proxy('--timeout', '1').client()
    pid_file = tmp_path / 'grandchild.pid'

    started = time.monotonic()
    reply = engine.runFilters(['hang', 'quick'], HOSTS, 'vm-1', {'pid_file': str(pid_file)})
    assert time.monotonic() - started < 2
    assert reply == {'result_code': 1, 'result': ['h1'],
                     'plugin_errors': {'hang': ['timed out after 1 s and was killed']}}
    # the timeout kills the plugin's whole process group, not only the plugin process
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 2
    while is_running(grandchild) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not is_running(grandchild)

    started = time.monotonic()
    reply = engine.runCostFunctions([['hang', 1], ['quick', 1]], HOSTS, 'vm-1', {})
    assert time.monotonic() - started < 2
    assert reply == {'result_code': 1, 'result': [['h1', 5]],
                     'plugin_errors': {'hang': ['timed out after 1 s and was killed']},
                     'errors': ['Waiting on score functions timed out']}

    started = time.monotonic()
    reply = engine.runLoadBalancing('hang', HOSTS, {})
    assert time.monotonic() - started < 2
    assert reply == {'result_code': 1, 'result': ['', []],
                     'plugin_errors': {'hang': ['timed out after 1 s and was killed']}}

    assert engine.runFilters(['quick'], HOSTS, 'vm-1', {}) == {'result_code': 0, 'result': ['h1']}


PER_CALL_STATE = '''
    import os


    class who(object):
        calls = 0

        def __init__(self):
            self.fresh = True

        def do_score(self, hosts, vm, args):
            type(self).calls += 1
            print([(hosts[0], os.getpid()), (hosts[1], os.getppid()), (hosts[2], type(self).calls)])


    class environment(object):
        def do_filter(self, hosts, vm, args):
            print([os.environ.get('OVIRT_URL'), str(os.environ.get('NOTIFY_SOCKET'))])
'''


def test_every_call_runs_in_a_new_process_with_a_new_instance(write_plugin, start_proxy):
    write_plugin('state', PER_CALL_STATE)
    proxy = start_proxy()
    engine = proxy.client()
    first, second = (dict(engine.runCostFunctions([['who', 1]], HOSTS, 'vm-1', {})['result'])
                     for _call in range(2))
    assert first['h1'] != second['h1']                    # a process per call
    assert proxy.process.pid not in (first['h1'], first['h2'])
    assert first['h2'] == second['h2']                    # forked by the same plugin host
    assert first['h3'] == second['h3'] == 1               # class state does not leak between calls


def test_plugins_get_the_proxy_environment(write_plugin, start_proxy):
    write_plugin('state', PER_CALL_STATE)
    engine = start_proxy(env={'OVIRT_URL': 'https://engine/ovirt-engine/api',
                              'NOTIFY_SOCKET': '/nonexistent'}).client()
    hosts = ['https://engine/ovirt-engine/api', 'None', '/nonexistent']
    # OVIRT_* are passed on; the systemd notification socket is not
    assert engine.runFilters(['environment'], hosts, 'vm-1', {})['result'] == hosts[:2]


PARALLEL = '''
    import os
    import time


    class slow_filter(object):
        def do_filter(self, hosts, vm, args):
            marker = os.path.join(args['running_dir'], str(os.getpid()))
            open(marker, 'w').close()
            with open(args['log'], 'a') as log:
                log.write('%d\\n' % len(os.listdir(args['running_dir'])))
            time.sleep(0.3)
            os.unlink(marker)
            print(hosts)


    for number in range(4):
        globals()['slow_%d' % number] = type('slow_%d' % number, (slow_filter,), {})
'''


def test_units_of_a_request_run_in_parallel_within_the_bound(write_plugin, start_proxy, tmp_path):
    write_plugin('parallel', PARALLEL)
    running_dir = tmp_path / 'running'
    running_dir.mkdir()
    concurrency_log = tmp_path / 'concurrency.log'
    engine = start_proxy('--parallel', '2').client()
    started = time.monotonic()
    reply = engine.runFilters(['slow_0', 'slow_1', 'slow_2', 'slow_3'], HOSTS, 'vm-1',
                              {'running_dir': str(running_dir), 'log': str(concurrency_log)})
    elapsed = time.monotonic() - started
    assert reply == {'result_code': 0, 'result': HOSTS}
    assert max(int(line) for line in concurrency_log.read_text().split()) == 2
    assert 0.6 <= elapsed < 1.5, elapsed   # two rounds of two, not four one by one
    assert not os.listdir(str(running_dir))
