"""hooking - helpers for VDSM hook scripts (the lab's implementation of the documented API).

Hooks import it as a top-level module (``import hooking``): the lab hook runner puts a directory
holding only this file on ``PYTHONPATH``, as VDSM adds the directory of ``vdsm.hook``. So this
module must stay standalone (standard library only, no package imports).

A VM hook finds the domain XML in the file named by ``$_hook_domxml``, a JSON hook its data in
``$_hook_json``; rewriting that file is how a hook changes the data.

Return codes: 0 - the hook ended successfully; 1 - the hook failed, other hooks should be
processed; 2 - the hook failed, no further hooks should be processed; >2 - reserved.
"""

import json
import os
import subprocess
import sys
from xml.dom import minidom

# VDSM's run directory (P_VDSM_RUN); the lab lets tests point it elsewhere.
_RUN_DIR = os.environ.get("OVIRT_LAB_VDSM_RUN_DIR", "/run/vdsm")


def read_domxml():
    """The domain (or device) XML as an ``xml.dom.minidom`` Document."""
    with open(os.environ["_hook_domxml"], "rb") as source:
        return minidom.parseString(source.read().decode("utf-8"))


def write_domxml(domxml):
    with open(os.environ["_hook_domxml"], "wb") as target:
        target.write(domxml.toxml(encoding="utf-8"))


def read_json():
    with open(os.environ["_hook_json"]) as source:
        return json.loads(source.read())


def write_json(data):
    with open(os.environ["_hook_json"], "w") as target:
        target.write(json.dumps(data))


def log(message):
    sys.stderr.write(message + "\n")


def exit_hook(message, return_code=2):
    """Print ``message`` and a newline on stderr and exit with ``return_code`` (2: stop the chain)."""
    sys.stderr.write(message + "\n")
    sys.exit(return_code)


def tobool(value):
    """``vdsm.common.conv.tobool``: True for a bool True, "true" in any case, or a non-zero integer
    string; False for anything else, including values it cannot interpret (an int is one)."""
    try:
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if value.lower() == "true":
            return True
        return bool(int(value))
    except (AttributeError, TypeError, ValueError):
        return False


def execCmd(command, sudo=False, cwd=None, data=None, raw=False, env=None, nice=None, setsid=False):  # noqa: N802
    """Run ``command`` (a list) and return ``(rc, out, err)``, like ``vdsm.common.commands.execCmd``.

    ``out``/``err`` are bytes, split into lines unless ``raw``. ``data`` (bytes or str) is sent on
    stdin; ``sudo`` runs through ``sudo -n``; ``nice`` through ``nice -n``; ``setsid`` in a new session.
    """
    command = list(command)
    if nice is not None:
        command = ["nice", "-n", str(nice), *command]
    if sudo:
        command = ["sudo", "-n", *command]
    if isinstance(data, str):
        data = data.encode("utf-8")
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
        start_new_session=setsid,
    )
    out, err = process.communicate(data)
    if not raw:
        out, err = out.splitlines(), err.splitlines()
    return process.returncode, out, err


def _launch_flags_path(vm_id):
    return os.path.join(_RUN_DIR, vm_id, "launchflags")


def load_vm_launch_flags_from_file(vm_id):
    """The libvirt launch flags a hook saved for the VM, 0 (``VIR_DOMAIN_NONE``) when none."""
    path = _launch_flags_path(vm_id)
    if os.path.isfile(path):
        with open(path) as source:
            return int(source.readline())
    return 0


def dump_vm_launch_flags_to_file(vm_id, flags):
    path = _launch_flags_path(vm_id)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as target:
        target.write(str(flags))
