"""Fixtures for the scheduler proxy tests: plugin files in a temporary directory and proxies
started as real processes on 127.0.0.1 with a free port.

PROXY_PYTHON=/path/to/python runs the proxy with another interpreter than the tests, for
example EL8's Python 3.6."""
import contextlib
import importlib.util
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import xmlrpc.client
from pathlib import Path

import pytest

PROXY = Path(__file__).resolve().parents[3] / 'roles/scheduler_proxy/files/ovirt_scheduler_proxy.py'
PYTHON = os.environ.get('PROXY_PYTHON', sys.executable)
START_TIMEOUT = 20


class RunningProxy(object):
    """A proxy process; its log (stderr) is collected line by line in the background."""

    def __init__(self, plugins_dir, args, env):
        environment = {key: value for key, value in os.environ.items()
                       if key not in ('JOURNAL_STREAM', 'NOTIFY_SOCKET')}
        for key, value in (env or {}).items():   # None removes the variable
            if value is None:
                environment.pop(key, None)
            else:
                environment[key] = value
        command = [PYTHON, str(PROXY), '--listen', '127.0.0.1:0']
        if plugins_dir is not None:
            command += ['--plugins-dir', str(plugins_dir)]
        self.process = subprocess.Popen(command + list(args), env=environment, universal_newlines=True,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        self.lines = []
        self.url = None
        self._serving = threading.Event()
        threading.Thread(target=self._collect_log, daemon=True).start()
        if not self._serving.wait(START_TIMEOUT) or self.url is None:
            self.stop()
            raise AssertionError('the proxy did not start:\n' + self.log)

    def _collect_log(self):
        for line in self.process.stderr:
            self.lines.append(line)
            match = re.search(r'serving XML-RPC on (http://\S+)', line)
            if match:
                self.url = match.group(1)
                self._serving.set()
        self._serving.set()   # the process ended

    @property
    def log(self):
        return ''.join(self.lines)

    def client(self):
        return xmlrpc.client.ServerProxy(self.url, allow_none=True)

    def wait_for_log(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.log):
                return
            time.sleep(0.02)
        raise AssertionError('%r not logged within %s s:\n%s' % (pattern, timeout, self.log))

    def signal(self, signum):
        self.process.send_signal(signum)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@pytest.fixture
def write_plugin(plugins_dir):
    """write_plugin('name', source) writes plugins_dir/name.py from an indented source."""
    def write(name, source):
        path = plugins_dir / (name + '.py')
        path.write_text(textwrap.dedent(source))
        return path
    return write


@contextlib.contextmanager
def proxies(default_plugins):
    """Yields start(*args, env=None, plugins=default_plugins); stops every proxy it started."""
    started = []

    def start(*args, env=None, plugins=default_plugins):
        proxy = RunningProxy(plugins, args, env)
        started.append(proxy)
        return proxy
    try:
        yield start
    finally:
        for proxy in started:
            proxy.stop()


@pytest.fixture
def start_proxy(plugins_dir):
    """start_proxy(*args, env=None, plugins=plugins_dir) starts a proxy for one test; env adds
    to the test's environment (a None value removes the variable)."""
    with proxies(plugins_dir) as start:
        yield start


@pytest.fixture(scope='module')
def shared_plugins_dir(tmp_path_factory):
    return tmp_path_factory.mktemp('plugins')


@pytest.fixture(scope='module')
def start_shared_proxy(shared_plugins_dir):
    """Like start_proxy, for a proxy that the tests of a module share."""
    with proxies(shared_plugins_dir) as start:
        yield start


@pytest.fixture(scope='session')
def proxy_python():
    """The interpreter that runs the proxy."""
    return PYTHON


@pytest.fixture(scope='session')
def proxy_module():
    """The proxy imported in-process, for tests of its pure functions."""
    spec = importlib.util.spec_from_file_location('ovirt_scheduler_proxy', str(PROXY))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
