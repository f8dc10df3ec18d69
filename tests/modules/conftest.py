"""Module tests: each module runs as Ansible runs it, against a lab engine started in-process.

``lab`` is one lab engine per test worker (see lab_driver.py for what it offers).
"""

import pytest

from lab_driver import start_lab

VM_COUNT = 12


@pytest.fixture(scope='session')
def lab(tmp_path_factory):
    lab = start_lab(str(tmp_path_factory.mktemp('lab-engine')), str(tmp_path_factory.mktemp('bin')), VM_COUNT)
    yield lab
    lab.engine.stop()


# Definitions the VM custom property tests rely on, set once per lab and seen after a restart.
USER_DEFINED = {
    '4.7': 'numa_mode=^(strict|interleave)$;hook_flag=^(on|off)$',
    '4.8': 'numa_mode=^(strict|interleave)$;hook_flag=^(on|off)$;prod_only=^[a-z]+$',
}


@pytest.fixture(scope='session')
def defined_lab(lab):
    """The lab with USER_DEFINED in UserDefinedVMProperties, loaded by an engine restart."""
    for version, spec in USER_DEFINED.items():
        lab.engine_config('-s', 'UserDefinedVMProperties=%s' % spec, '--cver=%s' % version)
    lab.restart()
    return lab


@pytest.fixture
def clean_lab(lab):
    """The lab with counters at zero and no faults or latency, before and after the test."""
    lab.clear_faults()
    lab.latency(0)
    lab.reset_stats()
    yield lab
    lab.clear_faults()
    lab.latency(0)
