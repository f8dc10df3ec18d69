"""Benchmark of the scheduler proxy (roles/scheduler_proxy/files/ovirt_scheduler_proxy.py).

Measures, in one run, on 127.0.0.1 only, with plugins it writes to a temporary directory:
  1. runFilters with 3 filters and runCostFunctions with 2 weights over 100 hosts: p50 and p95
     latency over 200 calls through the proxy, beside the naive baseline that upstream used (a
     new `python3 -c "import module; module.Class().method(...)"` interpreter per plugin per
     call, all plugins of a call started at once), and the ratio of the p50s. Proxy and
     baseline calls alternate, and both must give the same results. The proxy's latency is
     what the engine's connection sees: from sending the request to having read the whole
     response, on a kept-alive connection. Marshalling the request and parsing the response are
     the engine's own work, done outside the clock; the p50 with Python's xmlrpc.client doing
     them (about a millisecond more for 100 hosts) is printed beside it.
  2. A filter that hangs: the call must return within the timeout plus one second.
  3. 1000 calls to plugins that crash, print junk or write to stderr: the proxy must still
     answer afterwards, and its memory (RSS, from /proc) and open file descriptors, and those
     of its plugin host process, must stay flat.
Targets: p50 at least 5 times lower than the baseline, the hang bound, the proxy up, RSS growth
under 2 MiB per process. Prints the figures and exits with status 1 if a target is missed.
Standard library only; runs in well under two minutes and stops by itself.

Usage: python tests/bench/bench_proxy.py [--calls 200] [--hosts 100] [--bad-calls 1000] [--timeout 2]
"""
import argparse
import ast
import math
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
import xmlrpc.client
from http.client import HTTPConnection
from pathlib import Path

PROXY = Path(__file__).resolve().parents[2] / 'roles/scheduler_proxy/files/ovirt_scheduler_proxy.py'
TARGET_RATIO = 5.0
RSS_GROWTH_LIMIT_KIB = 2048
SETTLE_SECONDS = 0.5

# One file per unit, as plugins are usually shipped. Each is trivial, so the figures measure
# the cost of running a plugin, not the plugin's own work.
PLUGINS = {
    'cpu_filter': '''
        class cpu_filter(object):
            def do_filter(self, hosts, vm, args):
                """Drops hosts whose ID ends in 0."""
                print([host for host in hosts if not host.endswith('0')])
    ''',
    'memory_filter': '''
        class memory_filter(object):
            def do_filter(self, hosts, vm, args):
                """Drops hosts whose ID ends in 7."""
                print([host for host in hosts if not host.endswith('7')])
    ''',
    'label_filter': '''
        class label_filter(object):
            def do_filter(self, hosts, vm, args):
                """Keeps every host."""
                print(list(hosts))
    ''',
    'load_weight': '''
        class load_weight(object):
            def do_score(self, hosts, vm, args):
                """Scores hosts by their position."""
                print([(host, index % 7) for index, host in enumerate(hosts)])
    ''',
    'spread_weight': '''
        class spread_weight(object):
            def do_score(self, hosts, vm, args):
                """Scores hosts by the last digit of their ID."""
                print([(host, int(host[-1], 16)) for host in hosts])
    ''',
    'hang': '''
        import time


        class hang(object):
            def do_filter(self, hosts, vm, args):
                time.sleep(3600)
    ''',
    'crasher': '''
        class crasher(object):
            def do_filter(self, hosts, vm, args):
                raise RuntimeError('crashed on purpose')
    ''',
    'junk': '''
        class junk(object):
            def do_filter(self, hosts, vm, args):
                print('<html>this is not a Python literal</html>' * 50)
    ''',
    'stderr_writer': '''
        import sys


        class stderr_writer(object):
            def do_filter(self, hosts, vm, args):
                print(hosts)
                sys.stderr.write('warning: something odd\\n' * 20)
    ''',
    'plugin_host_pid': '''
        import os


        class plugin_host_pid(object):
            def do_score(self, hosts, vm, args):
                print([(hosts[0], os.getppid())])
    ''',
}
FILTERS = ['cpu_filter', 'memory_filter', 'label_filter']
WEIGHTS = [['load_weight', 2], ['spread_weight', 1]]
BAD_FILTERS = ['crasher', 'junk', 'stderr_writer']


class Proxy(object):
    """The proxy under test, started on a free loopback port."""

    def __init__(self, plugins_dir, timeout, log_path):
        self.log_path = log_path
        with open(str(log_path), 'w') as log:
            self.process = subprocess.Popen(
                [sys.executable, str(PROXY), '--plugins-dir', str(plugins_dir),
                 '--listen', '127.0.0.1:0', '--timeout', str(timeout)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 30
        while True:
            match = re.search(r'serving XML-RPC on (http://\S+)', log_path.read_text())
            if match:
                self.url = match.group(1)
                break
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit('the proxy did not start:\n' + log_path.read_text())
            time.sleep(0.05)

    def client(self):
        return xmlrpc.client.ServerProxy(self.url, allow_none=True)

    def wire_client(self):
        return WireClient(self.url)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class WireClient(object):
    """Calls the proxy on one kept-alive connection, as the engine does, and times the exchange
    on the wire apart from the marshalling around it."""

    def __init__(self, url):
        address = urllib.parse.urlsplit(url)
        self.path = address.path or '/'
        self.connection = HTTPConnection(address.hostname, address.port)

    def call(self, method, *params):
        """The result, the milliseconds on the wire and the milliseconds with marshalling."""
        started = time.perf_counter()
        body = xmlrpc.client.dumps(params, method, allow_none=True).encode('utf-8')
        sent = time.perf_counter()
        self.connection.request('POST', self.path, body, {'Content-Type': 'text/xml'})
        response = self.connection.getresponse().read()
        answered = time.perf_counter()
        (result,), _method = xmlrpc.client.loads(response)
        return result, (answered - sent) * 1000, (time.perf_counter() - started) * 1000


def run_naive(plugins_dir, units, method, args):
    """Upstream's way: a new interpreter per plugin, all of a call's plugins started at once."""
    processes = [subprocess.Popen(
        [sys.executable, '-c', 'import %s; %s.%s().%s(*%r)' % (unit, unit, unit, method, args)],
        cwd=str(plugins_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE) for unit in units]
    outputs = []
    for process in processes:
        stdout, stderr = process.communicate()
        outputs.append(None if process.returncode or stderr else ast.literal_eval(stdout.decode()))
    return outputs


def naive_filters(plugins_dir, hosts):
    accepted = set(hosts)
    for output in run_naive(plugins_dir, FILTERS, 'do_filter', [hosts, 'vm-1', {}]):
        accepted &= set(output)
    return [host for host in hosts if host in accepted]


def naive_scores(plugins_dir, hosts):
    totals = {}
    outputs = run_naive(plugins_dir, [name for name, _factor in WEIGHTS], 'do_score', [hosts, 'vm-1', {}])
    for (_name, factor), output in zip(WEIGHTS, outputs):
        for host, score in output:
            totals[host] = totals.get(host, 0) + factor * score
    return [[host, totals[host]] for host in hosts if host in totals]


def measured(function):
    """function as a call for timed_calls, timed as a whole."""
    def call():
        started = time.perf_counter()
        result = function()
        milliseconds = (time.perf_counter() - started) * 1000
        return result, milliseconds, milliseconds
    return call


def timed_calls(count, calls):
    """`count` rounds of the calls, after a short warm-up; per call, its latencies in milliseconds
    (each call returns its result and the latencies it measured) and its last result. The calls
    alternate, so a load change on the machine affects them alike."""
    for _round in range(5):
        for call in calls:
            call()
    latencies = [[] for _call in calls]
    for _index in range(count):
        results = []
        for call, series in zip(calls, latencies):
            result, *milliseconds = call()
            results.append(result)
            series.append(milliseconds)
    return [list(zip(*series)) for series in latencies], results


def percentile(values, percent):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def settled_usage(pids):
    """RSS (KiB) and open fds per process, once the plugin host has forked its spare processes."""
    time.sleep(SETTLE_SECONDS)
    return {name: (process_memory_kib(pid), open_fds(pid)) for name, pid in pids.items()}


def process_memory_kib(pid):
    with open('/proc/%d/status' % pid) as status:
        return int(re.search(r'^VmRSS:\s+(\d+) kB', status.read(), re.MULTILINE).group(1))


def open_fds(pid):
    return len(os.listdir('/proc/%d/fd' % pid))


def compare_latency(label, proxy_call, naive_call, calls, targets):
    """proxy_call returns the result, the latency on the wire and with marshalling."""
    ((proxy_ms, marshalled_ms), (naive_ms, _same)), (proxy_result, naive_result) = timed_calls(
        calls, [proxy_call, measured(naive_call)])
    assert proxy_result['result_code'] == 0, proxy_result
    assert proxy_result['result'] == naive_result, 'the proxy and the baseline disagree'
    ratio = percentile(naive_ms, 50) / percentile(proxy_ms, 50)
    print('%-30s proxy p50 %6.1f ms  p95 %6.1f ms | new interpreter per plugin p50 %6.1f ms  '
          'p95 %6.1f ms | p50 %.1fx lower' % (label, percentile(proxy_ms, 50), percentile(proxy_ms, 95),
                                              percentile(naive_ms, 50), percentile(naive_ms, 95), ratio))
    print('%-30s (proxy p50 with xmlrpc.client marshalling: %.1f ms, %.1fx lower)'
          % ('', percentile(marshalled_ms, 50), percentile(naive_ms, 50) / percentile(marshalled_ms, 50)))
    targets.append(('%s: p50 at least %gx lower than the baseline' % (label, TARGET_RATIO),
                    ratio >= TARGET_RATIO))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--calls', type=int, default=200, help='calls per latency series (200)')
    parser.add_argument('--hosts', type=int, default=100, help='hosts per call (100)')
    parser.add_argument('--bad-calls', type=int, default=1000,
                        help='calls to misbehaving plugins (1000)')
    parser.add_argument('--timeout', type=float, default=2.0, help='proxy timeout in seconds (2)')
    options = parser.parse_args()

    hosts = ['%08x-0000-4000-8000-%012x' % (index, index) for index in range(options.hosts)]
    targets = []
    with tempfile.TemporaryDirectory(prefix='bench-proxy-') as work:
        plugins_dir = Path(work) / 'plugins'
        plugins_dir.mkdir()
        for name, source in PLUGINS.items():
            (plugins_dir / (name + '.py')).write_text(textwrap.dedent(source))
        proxy = Proxy(plugins_dir, options.timeout, Path(work) / 'proxy.log')
        try:
            engine = proxy.client()
            print('scheduler proxy benchmark: %d hosts, %d calls per series, Python %s, %d CPUs'
                  % (options.hosts, options.calls, platform.python_version(), os.cpu_count()))
            wire = proxy.wire_client()
            compare_latency('runFilters (3 filters)',
                            lambda: wire.call('runFilters', FILTERS, hosts, 'vm-1', {}),
                            lambda: naive_filters(plugins_dir, hosts), options.calls, targets)
            compare_latency('runCostFunctions (2 weights)',
                            lambda: wire.call('runCostFunctions', WEIGHTS, hosts, 'vm-1', {}),
                            lambda: naive_scores(plugins_dir, hosts), options.calls, targets)

            started = time.monotonic()
            reply = engine.runFilters(['hang', 'cpu_filter'], hosts, 'vm-1', {})
            hang_seconds = time.monotonic() - started
            limit = options.timeout + 1
            print('hanging filter (timeout %g s): returned in %.2f s with %s'
                  % (options.timeout, hang_seconds, reply['plugin_errors']['hang']))
            targets.append(('a hanging plugin returns within timeout + 1 s (%g s)' % limit,
                            hang_seconds <= limit))

            plugin_host = engine.runCostFunctions([['plugin_host_pid', 1]], hosts, 'vm-1', {})['result'][0][1]
            pids = {'proxy': proxy.process.pid, 'plugin host': plugin_host}
            for _warm_up in range(100):   # warm-up: allocator pools and caches reach their working size
                engine.runFilters(BAD_FILTERS, hosts, 'vm-1', {})
            before = settled_usage(pids)
            started = time.monotonic()
            for _call in range(options.bad_calls):
                reply = engine.runFilters(BAD_FILTERS, hosts, 'vm-1', {})
                assert reply['errors'] == ['all filters failed'] and len(reply['plugin_errors']) == 3
            elapsed = time.monotonic() - started
            up = proxy.process.poll() is None and 'cpu_filter' in engine.discover()['filters']
            after = settled_usage(pids)
            print('%d calls to crashing, junk-printing and stderr-writing plugins (%d plugin runs) in '
                  '%.1f s: proxy %s' % (options.bad_calls, 3 * options.bad_calls, elapsed,
                                        'still up' if up else 'DOWN'))
            for name in pids:
                print('  %-11s RSS %6.1f MiB -> %6.1f MiB, open fds %d -> %d'
                      % (name, before[name][0] / 1024, after[name][0] / 1024, before[name][1], after[name][1]))
            targets.append(('the proxy is up after %d misbehaving calls' % options.bad_calls, up))
            for name in pids:
                targets.append(('%s RSS grows less than %d KiB, no fd leak' % (name, RSS_GROWTH_LIMIT_KIB),
                                after[name][0] - before[name][0] < RSS_GROWTH_LIMIT_KIB
                                and after[name][1] <= before[name][1]))
        finally:
            proxy.stop()

    print('targets:')
    for description, met in targets:
        print('  %-8s %s' % ('met' if met else 'MISSED', description))
    return 0 if all(met for _target, met in targets) else 1


if __name__ == '__main__':
    sys.exit(main())
