"""Driving the lab engine and running the collection's modules as Ansible runs them.

- ``start_lab(state_dir, bin_dir, vms)``: a lab engine started in-process, wrapped in ``Lab``;
- ``lab.run(module, args, check_mode=..., diff=...)``: runs
  ``python -m ansible_collections.ovirt_ext.deploy.plugins.modules.NAME args.json`` and
  returns its JSON result; API modules get an ``auth`` with a token of the session;
- engine-host modules find ``engine-config`` first in PATH: a wrapper that runs the lab's
  tool on the engine's state dir.

Used by the module tests (conftest.py) and the benchmark (tests/bench).
"""

import json
import os
import ssl
import subprocess
import sys
import urllib.request

import ovirtsdk4 as sdk
from collection_link import COLLECTIONS, REPO, use_checkout_collection   # tests/: conftest or bench

LAB_SOURCES = os.path.join(REPO, 'tests', 'lab')
MODULES = 'ansible_collections.ovirt_ext.deploy.plugins.modules.'
ADMIN = dict(username='admin@internal', password='ovirt-lab')

use_checkout_collection()
if LAB_SOURCES not in sys.path:
    sys.path.insert(0, LAB_SOURCES)

from ovirt_lab.engine import LabEngine  # noqa: E402  (needs LAB_SOURCES on the path)


class Lab(object):
    """A running lab engine plus the helpers the module tests need."""

    def __init__(self, engine, bin_dir):
        self.engine = engine
        self.bin_dir = bin_dir
        self.token = None

    # -- the lab's own controls ------------------------------------------------------------------

    def _control(self, method, path, payload=None):
        root = self.engine.url.split('/ovirt-engine/')[0]
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(root + path, data=data, method=method)
        context = ssl.create_default_context(cafile=self.engine.ca_file)
        with urllib.request.urlopen(request, context=context, timeout=30) as answer:
            return json.loads(answer.read() or b'{}')

    def stats(self):
        return self._control('GET', '/lab/stats')

    def reset_stats(self):
        self._control('POST', '/lab/stats/reset', {})

    def requests(self):
        """API requests since the last reset, by method."""
        return self.stats()['requests']

    def writes(self):
        counts = self.requests()
        return counts['POST'] + counts['PUT'] + counts['DELETE']

    def latency(self, milliseconds):
        self._control('POST', '/lab/latency', dict(ms=milliseconds))

    def faults(self, **settings):
        self._control('POST', '/lab/faults', settings)

    def clear_faults(self):
        self._control('POST', '/lab/faults', dict(count=0))

    # -- modules -----------------------------------------------------------------------------------

    def auth(self, **overrides):
        auth = dict(url=self.engine.url, token=self.token, ca_file=self.engine.ca_file)
        auth.update(overrides)
        return auth

    def environment(self):
        env = dict(os.environ)
        env.update(PYTHONPATH=COLLECTIONS, PATH=self.bin_dir + os.pathsep + env.get('PATH', ''),
                   OVIRT_LAB_STATE_DIR=self.engine.state_dir, LANG='C.UTF-8')
        for name in ('OVIRT_URL', 'OVIRT_USERNAME', 'OVIRT_PASSWORD', 'OVIRT_TOKEN', 'OVIRT_CAFILE'):
            env.pop(name, None)
        return env

    def run(self, module, args, check_mode=False, diff=False, api=True, env=None, timeout=600,
            package=MODULES):
        """Run a module as Ansible does; return its result (``failed`` set when it failed)."""
        args = dict(args)
        if api:
            args.setdefault('auth', self.auth())
        args.update(_ansible_check_mode=check_mode, _ansible_diff=diff)
        path = os.path.join(self.engine.state_dir, 'module-args.json')
        with open(path, 'w') as handle:
            json.dump(dict(ANSIBLE_MODULE_ARGS=args), handle)
        environment = self.environment()
        environment.update(env or {})
        process = subprocess.run([sys.executable, '-m', package + module, path], env=environment, check=False,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                                 timeout=timeout)
        try:
            return json.loads(process.stdout)
        except ValueError:
            raise AssertionError('%s printed no JSON (rc %d):\n%s\n%s'
                                 % (module, process.returncode, process.stdout, process.stderr))

    def engine_config(self, *arguments):
        """Run the lab's engine-config as the wrapper does; return its stdout."""
        return subprocess.run([os.path.join(self.bin_dir, 'engine-config')] + list(arguments),
                              env=self.environment(), stdout=subprocess.PIPE, universal_newlines=True,
                              check=True).stdout

    # -- direct engine access, for setting up and checking ------------------------------------------

    def connection(self):
        return sdk.Connection(url=self.engine.url, token=self.token, ca_file=self.engine.ca_file)

    def restart(self):
        """Restart the engine (it re-reads engine-config; tokens are gone) and log in again."""
        self.engine.restart()
        self.login()

    def vm(self, name):
        connection = self.connection()
        try:
            return connection.system_service().vms_service().list(search='name=%s' % name)[0]
        finally:
            connection.close(logout=False)

    def login(self):
        connection = sdk.Connection(url=self.engine.url, ca_file=self.engine.ca_file, **ADMIN)
        self.token = connection.authenticate()
        connection.close(logout=False)


def write_engine_config_wrapper(bin_dir):
    path = os.path.join(bin_dir, 'engine-config')
    with open(path, 'w') as handle:
        handle.write('#!/bin/sh\n'
                     '# The engine host\'s engine-config, played by the lab\'s tool on the lab state dir.\n'
                     'PYTHONPATH=%s exec %s -m ovirt_lab.engine_config "$@"\n' % (LAB_SOURCES, sys.executable))
    os.chmod(path, 0o755)


def start_lab(state_dir, bin_dir, vms):
    """A lab engine on a free port with ``vms`` VMs, an engine-config wrapper, and a token."""
    write_engine_config_wrapper(bin_dir)
    lab = Lab(LabEngine(state_dir=state_dir, vms=vms, port=0).start(), bin_dir)
    lab.login()
    return lab
