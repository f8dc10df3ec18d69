"""SIGHUP reloads the plugins without dropping calls in flight; a dead plugin host is replaced."""
import os
import signal
import threading
import time

HOSTS = ['h1', 'h2', 'h3']

SLOW_VERSION_1 = '''
    import os
    import time


    class slow(object):
        def do_filter(self, hosts, vm, args):
            with open(args['started'], 'w') as started:
                started.write(str(os.getppid()))
            time.sleep(1)
            print(hosts[:1])
'''

SLOW_VERSION_2 = '''
    class slow(object):
        def do_filter(self, hosts, vm, args):
            print(hosts[:2])
'''

PLUGIN_HOST_PID = '''
    import os


    class plugin_host(object):
        def do_score(self, hosts, vm, args):
            print([(hosts[0], os.getppid())])
'''


def wait_until(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, 'timed out waiting'
        time.sleep(0.02)


def is_gone(pid):
    try:
        with open('/proc/%d/stat' % pid) as stat:
            return stat.read().rsplit(')', 1)[1].split()[0] == 'Z'
    except FileNotFoundError:
        return True


def test_sighup_reloads_while_a_call_is_in_flight(plugins_dir, write_plugin, start_proxy, tmp_path):
    write_plugin('slow', SLOW_VERSION_1)
    write_plugin('removed', PLUGIN_HOST_PID)
    proxy = start_proxy()
    started = tmp_path / 'started'
    in_flight = {}

    def call_in_flight():
        in_flight['reply'] = proxy.client().runFilters(['slow'], HOSTS, 'vm-1', {'started': str(started)})

    caller = threading.Thread(target=call_in_flight)
    caller.start()
    wait_until(started.exists)
    old_plugin_host = int(started.read_text())

    write_plugin('slow', SLOW_VERSION_2)
    write_plugin('added', PLUGIN_HOST_PID.replace('plugin_host', 'added'))
    os.unlink(str(plugins_dir / 'removed.py'))
    proxy.signal(signal.SIGHUP)
    engine = proxy.client()
    wait_until(lambda: 'added' in engine.discover()['scores'])

    assert engine.discover()['scores'] == {'added': ['', '']}
    assert engine.runFilters(['slow'], HOSTS, 'vm-1', {}) == {'result_code': 0, 'result': ['h1', 'h2']}
    assert caller.is_alive()   # the old call is still running on the old plugin host
    caller.join(10)
    assert in_flight['reply'] == {'result_code': 0, 'result': ['h1']}
    # once its last call is done, the old plugin host stops
    wait_until(lambda: is_gone(old_plugin_host))
    assert proxy.process.poll() is None


def test_a_failed_reload_keeps_the_plugins_in_service(write_plugin, start_proxy):
    write_plugin('plugin_host', PLUGIN_HOST_PID)
    proxy = start_proxy()
    engine = proxy.client()
    write_plugin('kills_its_importer', 'import os\nos._exit(3)\n')
    proxy.signal(signal.SIGHUP)
    proxy.wait_for_log(r'reload failed, the plugins loaded before stay in service: '
                       r'the plugin host exited while loading plugins \(status 3\)')
    assert engine.discover()['scores'] == {'plugin_host': ['', '']}
    assert engine.runCostFunctions([['plugin_host', 1]], HOSTS, 'vm-1', {})['result_code'] == 0


def test_a_plugin_host_that_dies_is_replaced(write_plugin, start_proxy):
    write_plugin('plugin_host', PLUGIN_HOST_PID)
    proxy = start_proxy()
    engine = proxy.client()
    first = engine.runCostFunctions([['plugin_host', 1]], HOSTS, 'vm-1', {})['result'][0][1]
    os.kill(first, signal.SIGKILL)
    proxy.wait_for_log(r'plugin host %d exited unexpectedly' % first)

    def replaced():
        reply = engine.runCostFunctions([['plugin_host', 1]], HOSTS, 'vm-1', {})
        return reply['result_code'] == 0 and reply['result'][0][1] != first
    wait_until(replaced)
    assert proxy.process.poll() is None


def test_sigterm_stops_the_proxy_and_its_plugin_host(write_plugin, start_proxy):
    write_plugin('plugin_host', PLUGIN_HOST_PID)
    proxy = start_proxy()
    plugin_host = proxy.client().runCostFunctions([['plugin_host', 1]], HOSTS, 'vm-1', {})['result'][0][1]
    assert proxy.stop() == 0
    wait_until(lambda: is_gone(plugin_host))
    assert 'stopping' in proxy.log
