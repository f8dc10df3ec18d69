"""The lab's VDSM: the hook runner of ``vdsm.common.hooks`` and a small ``vdsmd`` agent.

:func:`run_hooks` runs the scripts of one hook point exactly as ``_runHooksDir`` does (see the
function). The agent (``python -m ovirt_lab.vdsm --listen ADDR --port N --hooks-root DIR
--state-dir DIR``) is what the lab engine talks to instead of VDSM's JSON-RPC: plain HTTP with JSON
bodies.

* ``POST /vm/start`` ``{"vm_id", "vm_name", "custom_properties": {name: value}, "memory_mb",
  "cpus"}``: builds the libvirt domain XML, runs ``before_vm_start`` then ``after_vm_start``, keeps
  the XML ``before_vm_start`` produced at ``<state_dir>/vms/<vm_id>.xml``. Answers 200
  ``{"status": "ok"}``, or 200 ``{"status": "error", "message": ...}`` when the start fails (the
  message is the stderr of the last failing ``before_vm_start`` script, final newline removed).
* ``POST /vm/stop`` ``{"vm_id"}``: runs ``before_vm_destroy`` and ``after_vm_destroy`` and forgets
  the VM (its XML file is removed, as the domain is gone from a real host).
* ``GET /caps/hooks``: the ``hooks`` part of ``getCapabilities``,
  ``{hook_point: {script: {"checksum": sha256}}}``.
* ``GET /vms``: the running VMs, ``[{"vm_id", "vm_name"}]``.

Running VMs are the XML files in ``<state_dir>/vms``, so they survive an agent restart, as qemu
processes survive a vdsmd restart. When the agent runs as root and the ``vdsm`` user exists, every
hook but ``before_vdsm_start``/``after_vdsm_stop`` runs as ``vdsm``, as the man page says.
``python -m ovirt_lab.vdsm --init-tree ROOT`` creates the hook tree (one directory per hook point,
root-owned, 0755), as the vdsm package does.
"""

import argparse
import atexit
import functools
import glob
import hashlib
import json
import logging
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

_log = logging.getLogger("ovirt_lab.vdsm")


class HookPoint(NamedTuple):
    payload: str  # "domxml" (file in $_hook_domxml) or "json" (file in $_hook_json)
    aborts: bool  # a failing script fails the operation (VDSM raises HookError)


def _points(payload, aborts, *names):
    return {name: HookPoint(payload, aborts) for name in names}


# Every hook point of vdsm/common/hooks.py, with its payload and whether an error aborts.
HOOK_POINTS = {
    **_points("domxml", True,
              "before_vm_start", "before_vm_cont", "before_vm_pause", "before_vm_hibernate",
              "before_vm_dehibernate", "before_vm_migrate_source", "before_vm_migrate_destination",
              "before_device_create", "before_device_destroy", "before_device_migrate_source",
              "before_device_migrate_destination", "before_update_device", "before_nic_hotplug",
              "before_nic_hotunplug", "before_disk_hotplug", "before_disk_hotunplug",
              "before_memory_hotplug", "before_set_num_of_cpus"),
    **_points("domxml", False,
              "after_vm_start", "after_vm_cont", "after_vm_pause", "after_vm_hibernate",
              "after_vm_dehibernate", "after_vm_migrate_source", "after_vm_migrate_destination",
              "before_vm_destroy", "after_vm_destroy", "before_vm_set_ticket", "after_vm_set_ticket",
              "after_device_create", "after_device_destroy", "after_device_migrate_source",
              "after_device_migrate_destination", "after_update_device", "after_update_device_fail",
              "after_nic_hotplug", "after_nic_hotplug_fail", "after_nic_hotunplug",
              "after_nic_hotunplug_fail", "after_disk_hotplug", "after_disk_hotunplug",
              "after_memory_hotplug", "after_set_num_of_cpus", "before_vdsm_start", "after_vdsm_stop"),
    **_points("json", True,
              "after_disk_prepare", "before_network_setup", "before_get_vm_stats",
              "before_get_all_vm_stats", "before_get_caps", "before_get_stats"),
    **_points("json", False,
              "after_network_setup", "after_network_setup_fail", "after_get_vm_stats",
              "after_get_all_vm_stats", "after_get_caps", "after_get_stats", "after_hostdev_list_by_caps"),
}
# before_vm_start runs every script, hands the final XML over, and only then fails.
_FAILS_AFTER_COLLECTING = {"before_vm_start"}
RUN_DIR = "/run/vdsm"


@dataclass(frozen=True)
class HookResult:
    final_payload: str  # the payload file after the last script; None when VDSM discards it
    errors: list  # [(script path, rc, stderr text)] of every script that exited non-zero
    aborted: bool  # the operation fails (an aborting hook point had an error)
    message: str = ""  # the text of VDSM's HookError when aborted


@dataclass(frozen=True)
class _HookUser:
    name: str
    uid: int
    gid: int
    groups: tuple
    home: str

    @classmethod
    def lookup(cls, name):
        entry = pwd.getpwnam(name)
        return cls(name, entry.pw_uid, entry.pw_gid, tuple(os.getgrouplist(name, entry.pw_gid)), entry.pw_dir)

    def can_execute(self, path):
        """``access(X_OK)`` as this user: the owner, group or other bits, whichever class applies."""
        info = os.stat(path)
        if self.uid == 0:
            return bool(info.st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))
        if info.st_uid == self.uid:
            return bool(info.st_mode & stat.S_IXUSR)
        if info.st_gid in self.groups:
            return bool(info.st_mode & stat.S_IXGRP)
        return bool(info.st_mode & stat.S_IXOTH)


def _resolve_user(as_user):
    return None if as_user is None else _HookUser.lookup(as_user)


def _scripts(hooks_root, hook_point, user):
    """The hook scripts of a point, in run order: non-dot entries that are regular files
    executable by the user running them."""
    candidates = glob.glob(os.path.join(glob.escape(hooks_root), hook_point, "*"))
    executable = (lambda path: os.access(path, os.X_OK)) if user is None else user.can_execute
    return sorted(path for path in candidates if os.path.isfile(path) and executable(path))


@functools.cache
def hooking_path():
    """A directory holding only ``hooking.py``: what VDSM puts on the hooks' PYTHONPATH (adding
    the ovirt_lab package directory itself would let hooks import the lab's other modules)."""
    directory = tempfile.mkdtemp(prefix="ovirt-lab-hooking-")
    os.chmod(directory, 0o755)  # hooks run as the vdsm user
    target = os.path.join(directory, "hooking.py")
    shutil.copyfile(os.path.join(os.path.dirname(os.path.abspath(__file__)), "hooking.py"), target)
    os.chmod(target, 0o644)
    atexit.register(shutil.rmtree, directory, True)
    return directory


def run_hooks(hooks_root, hook_point, payload_text, env_vars, payload_kind=None, as_user=None):
    """Run the scripts of ``<hooks_root>/<hook_point>/`` the way ``vdsm.common.hooks`` does.

    * scripts: the point's non-dot entries that are regular files executable by the user running
      them (``as_user``, else the current user), sorted by full path; with none, nothing runs and
      the payload comes back unchanged;
    * the payload is written to one temporary file shared by all scripts, named by
      ``$_hook_domxml`` (``payload_kind`` "domxml") or ``$_hook_json`` ("json"; default: the
      point's own kind); the file's content after the last script is the result;
    * environment: this process's environment, then ``env_vars`` (VDSM passes the device/ticket
      params, every VM custom property under its own name, and ``vmId``), then ``PYTHONPATH``
      extended with a directory where ``import hooking`` works;
    * scripts run with no arguments and no timeout; stdout is discarded, stderr is kept and logged
      as ``'%s: rc=%s err=%s'``;
    * rc 0 is success; any other rc is an error; rc 2 also stops the remaining scripts; rc > 2 is
      logged as unexpected and processing continues;
    * errors abort the operation only on aborting points (:data:`HOOK_POINTS`); then the data is
      discarded, except for ``before_vm_start``, whose final XML is still returned.
    """
    point = HOOK_POINTS[hook_point]
    kind = payload_kind or point.payload
    user = _resolve_user(as_user)
    scripts = _scripts(hooks_root, hook_point, user)
    if not scripts:
        return HookResult(payload_text, [], False)

    data_fd, data_path = tempfile.mkstemp()
    try:
        os.write(data_fd, (payload_text or "").encode("utf-8"))
        os.close(data_fd)
        if user is not None:
            os.chown(data_path, user.uid, user.gid)
        env = _hook_environment(env_vars, user, kind, data_path)
        errors, last_stderr = [], ""
        for script in scripts:
            rc, stderr = _run_script(script, env, user)
            _log.info("%s: rc=%s err=%s", script, rc, stderr)
            last_stderr = stderr.decode("utf-8", "replace")
            if rc != 0:
                errors.append((script, rc, last_stderr))
            if rc == 2:
                break
            if rc > 2:
                _log.warning("hook returned unexpected return code %s", rc)

        aborted = bool(errors) and point.aborts
        if aborted and hook_point not in _FAILS_AFTER_COLLECTING:
            return HookResult(None, errors, True, last_stderr)
        with open(data_path, encoding="utf-8") as data:
            final_payload = data.read()
        return HookResult(final_payload, errors, aborted, errors[-1][2] if aborted else "")
    finally:
        os.unlink(data_path)


def _hook_environment(env_vars, user, kind, data_path):
    env = os.environ.copy()
    if user is not None:
        env.update(HOME=user.home, USER=user.name, LOGNAME=user.name)
    env.update({name: str(value) for name, value in env_vars.items()})
    # VDSM appends to whatever is there, so an empty PYTHONPATH yields a leading ':'.
    env["PYTHONPATH"] = ":".join(env.get("PYTHONPATH", "").split(":") + [hooking_path()])
    env["_hook_domxml" if kind == "domxml" else "_hook_json"] = data_path
    return env


def _run_script(script, env, user):
    identity = {} if user is None else {"user": user.uid, "group": user.gid, "extra_groups": list(user.groups)}
    process = subprocess.Popen(
        [script], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, **identity
    )
    _stdout, stderr = process.communicate()
    return process.returncode, stderr


def installed_hooks(hooks_root, as_user=None):
    """``hooks.installed()``: ``{hook_point: {script name: {"checksum": sha256 hex}}}`` for every
    directory that has at least one script; an unreadable script has an empty checksum."""
    user = _resolve_user(as_user)
    report = {}
    for point in sorted(os.listdir(hooks_root)):
        scripts = {os.path.basename(path): {"checksum": _checksum(path)} for path in _scripts(hooks_root, point, user)}
        if scripts:
            report[point] = scripts
    return report


def _checksum(path):
    try:
        with open(path, "rb") as script:
            return hashlib.sha256(script.read()).hexdigest()
    except OSError:
        return ""


def init_tree(root):
    """Create ``root`` and one directory per hook point, 0755 (and root-owned when run as root)."""
    for directory in [root, *(os.path.join(root, point) for point in sorted(HOOK_POINTS))]:
        os.makedirs(directory, exist_ok=True)
        os.chmod(directory, 0o755)
        if os.geteuid() == 0:
            os.chown(directory, 0, 0)


def _mac_address(vm_id):
    # oVirt's default MAC pool starts with 56:6f.
    tail = uuid.UUID(vm_id).bytes[-4:]
    return "56:6f:" + ":".join(f"{byte:02x}" for byte in tail)


_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def build_domain_xml(vm_id, vm_name, memory_mb, cpus, custom_properties):
    """A libvirt domain XML shaped like the one the engine sends for a VM: ovirt-vm metadata with
    the custom properties, smbios, q35 machine, and the usual devices (one bridged virtio NIC)."""
    memory_kib = int(memory_mb) * 1024
    max_cpus = max(16, int(cpus))
    custom = "".join(
        f"\n        <ovirt-vm:{name}>{escape(str(value))}</ovirt-vm:{name}>"
        for name, value in custom_properties.items()
        if _XML_NAME.fullmatch(name)
    )
    channels = "/var/lib/libvirt/qemu/channels/" + vm_id
    return f"""<?xml version='1.0' encoding='utf-8'?>
<domain xmlns:ovirt-tune="http://ovirt.org/vm/tune/1.0" xmlns:ovirt-vm="http://ovirt.org/vm/1.0" type="kvm">
  <name>{escape(vm_name)}</name>
  <uuid>{vm_id}</uuid>
  <memory>{memory_kib}</memory>
  <currentMemory>{memory_kib}</currentMemory>
  <maxMemory slots="16">{memory_kib * 4}</maxMemory>
  <vcpu current="{int(cpus)}">{max_cpus}</vcpu>
  <metadata>
    <ovirt-tune:qos/>
    <ovirt-vm:vm>
      <ovirt-vm:minGuaranteedMemoryMb type="int">{int(memory_mb)}</ovirt-vm:minGuaranteedMemoryMb>
      <ovirt-vm:launchPaused>false</ovirt-vm:launchPaused>
      <ovirt-vm:resumeBehavior>auto_resume</ovirt-vm:resumeBehavior>
      <ovirt-vm:custom>{custom}
      </ovirt-vm:custom>
    </ovirt-vm:vm>
  </metadata>
  <sysinfo type="smbios">
    <system>
      <entry name="manufacturer">oVirt</entry>
      <entry name="product">OS-NAME:</entry>
      <entry name="version">OS-VERSION:</entry>
      <entry name="family">oVirt</entry>
      <entry name="serial">HOST-SERIAL:</entry>
      <entry name="uuid">{vm_id}</entry>
    </system>
  </sysinfo>
  <os>
    <type arch="x86_64" machine="pc-q35-rhel8.6.0">hvm</type>
    <smbios mode="sysinfo"/>
    <bios useserial="yes"/>
  </os>
  <features>
    <acpi/>
  </features>
  <cpu match="exact">
    <model>Skylake-Client-noTSX-IBRS</model>
    <topology cores="1" threads="1" sockets="{max_cpus}"/>
    <numa>
      <cell id="0" cpus="0-{int(cpus) - 1}" memory="{memory_kib}"/>
    </numa>
  </cpu>
  <clock offset="variable" adjustment="0">
    <timer name="rtc" tickpolicy="catchup"/>
    <timer name="pit" tickpolicy="delay"/>
    <timer name="hpet" present="no"/>
  </clock>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <channel type="unix">
      <target type="virtio" name="ovirt-guest-agent.0"/>
      <source mode="bind" path={quoteattr(channels + ".ovirt-guest-agent.0")}/>
    </channel>
    <channel type="unix">
      <target type="virtio" name="org.qemu.guest_agent.0"/>
      <source mode="bind" path={quoteattr(channels + ".org.qemu.guest_agent.0")}/>
    </channel>
    <controller type="usb" model="qemu-xhci" index="0" ports="8"/>
    <controller type="virtio-serial" index="0" ports="16"/>
    <controller type="scsi" model="virtio-scsi" index="0"/>
    <rng model="virtio">
      <backend model="random">/dev/urandom</backend>
    </rng>
    <memballoon model="virtio">
      <stats period="5"/>
    </memballoon>
    <video>
      <model type="qxl" vram="32768" heads="1" ram="65536" vgamem="16384"/>
    </video>
    <graphics type="vnc" port="-1" autoport="yes" passwd="*****" passwdValidTo="1970-01-01T00:00:01" keymap="en-us">
      <listen type="network" network="vdsm-ovirtmgmt"/>
    </graphics>
    <interface type="bridge">
      <model type="virtio"/>
      <link state="up"/>
      <source bridge="ovirtmgmt"/>
      <mac address="{_mac_address(vm_id)}"/>
      <mtu size="1500"/>
      <filterref filter="vdsm-no-mac-spoofing"/>
    </interface>
    <console type="unix">
      <source path="/var/run/ovirt-vmconsole-console/{vm_id}.sock" mode="bind"/>
      <target type="serial" port="0"/>
    </console>
  </devices>
</domain>
"""


class RequestError(Exception):
    """A request the agent cannot act on (answered 400)."""


class VdsmAgent:
    """VM start/stop with hooks, and the host's hook report."""

    def __init__(self, hooks_root, state_dir, hook_user=None):
        self.hooks_root = hooks_root
        self.vms_dir = os.path.join(state_dir, "vms")
        self.hook_user = hook_user
        self._lock = threading.Lock()
        self._busy = set()  # VMs with a start or stop in progress
        os.makedirs(self.vms_dir, exist_ok=True)

    def _paths(self, vm_id):
        base = os.path.join(self.vms_dir, vm_id)
        return base + ".xml", base + ".json"

    def _claim(self, vm_id, must_run):
        with self._lock:
            running = os.path.exists(self._paths(vm_id)[0])
            if vm_id in self._busy or running != must_run:
                return False
            self._busy.add(vm_id)
            return True

    def _release(self, vm_id):
        with self._lock:
            self._busy.discard(vm_id)

    def start_vm(self, request):
        vm_id = _vm_id(request)
        vm_name = str(request.get("vm_name") or vm_id)
        custom = {str(k): str(v) for k, v in (request.get("custom_properties") or {}).items()}
        memory_mb, cpus = _positive_int(request, "memory_mb", 1024), _positive_int(request, "cpus", 1)
        if not self._claim(vm_id, must_run=False):
            return {"status": "error", "message": "Virtual machine already exists"}
        try:
            env = {**custom, "vmId": vm_id}
            domain = build_domain_xml(vm_id, vm_name, memory_mb, cpus, custom)
            before = run_hooks(self.hooks_root, "before_vm_start", domain, env, as_user=self.hook_user)
            if before.aborted:
                return {"status": "error", "message": before.message.rstrip("\n")}
            xml_path, meta_path = self._paths(vm_id)
            _write_atomically(meta_path, json.dumps({"vm_id": vm_id, "vm_name": vm_name, "custom_properties": custom}))
            _write_atomically(xml_path, before.final_payload)
            run_hooks(self.hooks_root, "after_vm_start", before.final_payload, env, as_user=self.hook_user)
            return {"status": "ok"}
        finally:
            self._release(vm_id)

    def stop_vm(self, request):
        vm_id = _vm_id(request)
        if not self._claim(vm_id, must_run=True):
            return {"status": "error", "message": "Virtual machine does not exist"}
        try:
            xml_path, meta_path = self._paths(vm_id)
            with open(xml_path, encoding="utf-8") as domain:
                domain_xml = domain.read()
            env = {**self._metadata(vm_id)["custom_properties"], "vmId": vm_id}
            run_hooks(self.hooks_root, "before_vm_destroy", "", env, as_user=self.hook_user)
            os.unlink(xml_path)
            os.unlink(meta_path)
            run_hooks(self.hooks_root, "after_vm_destroy", domain_xml, env, as_user=self.hook_user)
            return {"status": "ok"}
        finally:
            self._release(vm_id)

    def _metadata(self, vm_id):
        with open(self._paths(vm_id)[1], encoding="utf-8") as meta:
            return json.load(meta)

    def running_vms(self):
        vms = []
        for name in sorted(os.listdir(self.vms_dir)):
            if name.endswith(".xml"):
                meta = self._metadata(name[: -len(".xml")])
                vms.append({"vm_id": meta["vm_id"], "vm_name": meta["vm_name"]})
        return vms

    def hooks(self):
        return installed_hooks(self.hooks_root, as_user=self.hook_user)


def _vm_id(request):
    try:
        return str(uuid.UUID(str(request["vm_id"])))
    except (KeyError, ValueError) as error:
        raise RequestError("vm_id must be a UUID") from error


def _positive_int(request, field, default):
    value = request.get(field, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise RequestError(f"{field} must be a positive integer")
    return value


def _write_atomically(path, text):
    fd, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as target:
        target.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


class _Handler(BaseHTTPRequestHandler):
    agent = None  # set by make_server
    routes = {
        ("POST", "/vm/start"): lambda agent, body: agent.start_vm(body),
        ("POST", "/vm/stop"): lambda agent, body: agent.stop_vm(body),
        ("GET", "/caps/hooks"): lambda agent, body: agent.hooks(),
        ("GET", "/vms"): lambda agent, body: agent.running_vms(),
    }

    def do_GET(self):  # noqa: N802
        self._dispatch("GET")

    def do_POST(self):  # noqa: N802
        self._dispatch("POST")

    def _dispatch(self, method):
        route = self.routes.get((method, self.path.split("?", 1)[0]))
        if route is None:
            self._answer(HTTPStatus.NOT_FOUND, {"status": "error", "message": f"no such endpoint: {method} {self.path}"})
            return
        try:
            body = self._body() if method == "POST" else {}
            self._answer(HTTPStatus.OK, route(self.agent, body))
        except RequestError as error:
            self._answer(HTTPStatus.BAD_REQUEST, {"status": "error", "message": str(error)})

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError as error:
            raise RequestError(f"body is not JSON: {error}") from error
        if not isinstance(body, dict):
            raise RequestError("body must be a JSON object")
        return body

    def _answer(self, status, payload):
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        _log.info("%s - %s", self.address_string(), format % args)


def make_server(agent, address, port):
    """A threading HTTP server for ``agent`` (port 0 picks a free port: ``server.server_port``)."""
    handler = type("VdsmHandler", (_Handler,), {"agent": agent})
    server = ThreadingHTTPServer((address, port), handler)
    server.daemon_threads = True
    return server


def _default_hook_user(name):
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(name)
    except KeyError:
        return None
    return name


def _prepare_run_dir(hook_user):
    # /run/vdsm (P_VDSM_RUN) belongs to vdsm: hooks keep launch flags there (hooking.py).
    user = _HookUser.lookup(hook_user)
    os.makedirs(RUN_DIR, exist_ok=True)
    os.chown(RUN_DIR, user.uid, user.gid)
    os.chmod(RUN_DIR, 0o755)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ovirt_lab.vdsm", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--init-tree", metavar="ROOT", help="create the hook tree under ROOT and exit")
    parser.add_argument("--listen", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=54321)
    parser.add_argument("--hooks-root", default="/usr/libexec/vdsm/hooks")
    parser.add_argument("--state-dir", default="/var/lib/vdsm-lab")
    parser.add_argument("--hook-user", default="vdsm", help="user running the hooks when the agent runs as root")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s (%(threadName)s) [%(name)s] %(message)s"
    )
    if args.init_tree:
        init_tree(args.init_tree)
        return 0

    hook_user = _default_hook_user(args.hook_user)
    if hook_user is not None:
        _prepare_run_dir(hook_user)
    agent = VdsmAgent(args.hooks_root, args.state_dir, hook_user=hook_user)
    run_hooks(args.hooks_root, "before_vdsm_start", "", {})
    server = make_server(agent, args.listen, args.port)
    # shutdown() waits for serve_forever() to return, so it cannot run in the signal handler itself.
    signal.signal(signal.SIGTERM, lambda signum, frame: threading.Thread(target=server.shutdown).start())
    _log.info("lab vdsmd listening on %s:%s, hooks in %s", args.listen, server.server_port, args.hooks_root)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        run_hooks(args.hooks_root, "after_vdsm_stop", "", {})
    _log.info("lab vdsmd stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
