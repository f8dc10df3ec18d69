"""Run the ovirt.ovirt collection's own modules against the lab engine (see fidelity/*.yml)."""

import os
import subprocess
import sys
from pathlib import Path

from ovirt_lab.engine import LabEngine

HERE = Path(__file__).parent


def test_ovirt_ovirt_modules_behave_as_documented(tmp_path):
    with LabEngine(state_dir=tmp_path / "engine", vms=4) as engine:
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0",
                   ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
        result = subprocess.run(
            [Path(sys.executable).with_name("ansible-playbook"), str(HERE / "fidelity" / "ovirt_ovirt.yml"),
             "-e", f"lab_url={engine.url}", "-e", f"lab_ca={engine.ca_file}"],
            env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
