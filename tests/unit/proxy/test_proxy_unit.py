"""The systemd unit of the proxy: EL8 (systemd 239) compatible, hardened, and consistent with the
daemon's command line."""
import shlex
from pathlib import Path

import pytest

# directives that systemd 239 does not know, with the version that added them
NEWER_THAN_239 = {'ProtectHostname': 242, 'RestrictSUIDSGID': 242, 'ProtectKernelLogs': 244,
                  'ProtectClock': 245, 'ProtectProc': 247, 'ProcSubset': 247, 'PrivateIPC': 248}


@pytest.fixture(scope='module')
def unit(proxy_module):
    """{directive: [values]} of the [Service] section, and the whole text."""
    text = (Path(proxy_module.SCRIPT).parent / 'ovirt-scheduler-proxy.service').read_text()
    directives = {}
    for line in text.splitlines():
        if '=' in line and not line.startswith('#'):
            key, _equals, value = line.partition('=')
            directives.setdefault(key, []).append(value)
    return directives


def test_no_directive_needs_a_newer_systemd_than_el8(unit):
    assert not set(unit) & set(NEWER_THAN_239)


def test_service_identity_reload_and_environment(unit):
    assert unit['Type'] == ['notify']
    assert unit['User'] == ['ovirt'] and unit['Group'] == ['ovirt']
    assert unit['ExecReload'] == ['/bin/kill -HUP $MAINPID']
    assert unit['EnvironmentFile'] == ['-/etc/ovirt-scheduler-proxy/engine.env']


def test_hardening(unit):
    for directive, value in [('NoNewPrivileges', 'yes'), ('ProtectSystem', 'strict'),
                             ('ProtectHome', 'yes'), ('PrivateTmp', 'yes'),
                             ('ReadOnlyPaths', '-/usr/share/ovirt-scheduler-proxy/plugins')]:
        assert unit[directive] == [value], directive


def test_exec_start_uses_system_python_and_valid_flags(unit, proxy_module):
    [command] = unit['ExecStart']
    python, script, *arguments = shlex.split(command)
    assert python == '/usr/bin/python3'
    assert Path(script).name == Path(proxy_module.SCRIPT).name
    arguments = proxy_module.build_parser().parse_args(arguments)
    assert arguments.config == '/etc/ovirt-scheduler-proxy/proxy.conf'


def test_plugin_processes_may_lower_their_priority(unit):
    """The filter line that allows sched_setscheduler comes after the one that denies @resources,
    so it takes effect; without it the plugin processes exit at normal priority, more slowly."""
    filters = unit['SystemCallFilter']
    assert filters.index('sched_setscheduler') > filters.index('~@privileged @resources')
