"""VDSM's hook runner with real hook scripts (reference §5)."""

import hashlib
import json
import logging
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from xml.dom import minidom

import pytest

LAB = str(Path(__file__).resolve().parents[1])
if LAB not in sys.path:
    sys.path.insert(0, LAB)

from ovirt_lab import hooking  # noqa: E402
from ovirt_lab.vdsm import HOOK_POINTS, build_domain_xml, init_tree, installed_hooks, run_hooks  # noqa: E402

VM_ID = "7f3e0c5a-58a4-4d0b-9d59-2f8c1a6b9e10"
DOMAIN = build_domain_xml(VM_ID, "vm0001", 1024, 2, {"hugepages": "1024"})


@pytest.fixture
def hooks(tmp_path):
    root = tmp_path / "hooks"
    init_tree(str(root))
    return root


def script(root, point, name, body, mode=0o755, interpreter="/bin/sh"):
    path = root / point / name
    path.write_text(f"#!{interpreter}\n{body}\n")
    path.chmod(mode)
    return path


def python_script(root, point, name, body, mode=0o755):
    return script(root, point, name, body, mode, interpreter=sys.executable)


def test_every_hook_point_of_the_reference():
    assert len(HOOK_POINTS) == 58  # one per hook function of vdsm/common/hooks.py
    assert HOOK_POINTS["before_vm_start"].aborts and not HOOK_POINTS["after_vm_start"].aborts
    assert not HOOK_POINTS["before_vm_destroy"].aborts and not HOOK_POINTS["before_vm_set_ticket"].aborts
    assert HOOK_POINTS["after_disk_prepare"] == ("json", True)
    assert HOOK_POINTS["after_get_caps"] == ("json", False)


def test_init_tree(tmp_path):
    root = tmp_path / "hooks"
    init_tree(str(root))
    assert sorted(os.listdir(root)) == sorted(HOOK_POINTS)
    assert stat.S_IMODE((root / "before_vm_start").stat().st_mode) == 0o755


def test_order_and_which_entries_run(hooks):
    log = hooks.parent / "order.log"
    for name in ("50_b", "10_a", "90_c"):
        script(hooks, "before_vm_start", name, f"echo {name} >> {log}")
    script(hooks, "before_vm_start", "20_not_executable", f"echo bad >> {log}", mode=0o644)
    script(hooks, "before_vm_start", ".30_hidden", f"echo bad >> {log}")
    (hooks / "before_vm_start" / "40_directory").mkdir()
    result = run_hooks(str(hooks), "before_vm_start", DOMAIN, {})
    assert result == (result.__class__(DOMAIN, [], False))
    assert log.read_text().split() == ["10_a", "50_b", "90_c"]


def test_no_script_returns_the_payload_untouched(hooks):
    assert run_hooks(str(hooks), "after_vm_start", "<domain/>", {}).final_payload == "<domain/>"


def test_environment(hooks):
    python_script(hooks, "before_vm_start", "50_env", f"""
import json, os
keys = ("hugepages", "vmId", "_hook_domxml", "PYTHONPATH", "LAB_MARK")
with open({str(hooks.parent / "env.json")!r}, "w") as out:
    json.dump({{k: os.environ.get(k) for k in keys}}, out)
""")
    os.environ["LAB_MARK"] = "inherited"
    try:
        run_hooks(str(hooks), "before_vm_start", DOMAIN, {"hugepages": "1024", "vmId": VM_ID})
    finally:
        del os.environ["LAB_MARK"]
    env = json.loads((hooks.parent / "env.json").read_text())
    assert env["hugepages"] == "1024" and env["vmId"] == VM_ID and env["LAB_MARK"] == "inherited"
    hooking_dir = env["PYTHONPATH"].split(":")[-1]
    assert os.listdir(hooking_dir) == ["hooking.py"]
    assert not os.path.exists(env["_hook_domxml"])  # the payload file is removed afterwards


def test_xml_rewritten_through_hooking_and_shared_between_scripts(hooks):
    python_script(hooks, "before_vm_start", "10_add_feature", """
import hooking
domxml = hooking.read_domxml()
features = domxml.getElementsByTagName("features")[0]
features.appendChild(domxml.createElement("hyperv"))
hooking.write_domxml(domxml)
print("stdout is discarded")
""")
    python_script(hooks, "before_vm_start", "20_check", """
import hooking, os
assert hooking.read_domxml().getElementsByTagName("hyperv"), "first hook's change missing"
hooking.log("hugepages=" + os.environ["hugepages"])
""")
    result = run_hooks(str(hooks), "before_vm_start", DOMAIN, {"hugepages": "1024"})
    assert result.errors == [] and not result.aborted
    document = minidom.parseString(result.final_payload)
    assert document.getElementsByTagName("hyperv")
    assert document.getElementsByTagName("ovirt-vm:hugepages")[0].firstChild.data == "1024"


def test_json_hook(hooks):
    python_script(hooks, "after_get_caps", "50_caps", """
import hooking
caps = hooking.read_json()
caps["lab"] = True
hooking.write_json(caps)
""")
    result = run_hooks(str(hooks), "after_get_caps", json.dumps({"hooks": {}}), {})
    assert json.loads(result.final_payload) == {"hooks": {}, "lab": True}


def test_rc1_is_an_error_but_the_chain_continues(hooks, caplog):
    bad = script(hooks, "before_vm_start", "10_fail", "echo first failure >&2; exit 1")
    script(hooks, "before_vm_start", "20_rewrite", 'echo "<domain>rewritten</domain>" > "$_hook_domxml"')
    with caplog.at_level(logging.INFO, logger="ovirt_lab.vdsm"):
        result = run_hooks(str(hooks), "before_vm_start", DOMAIN, {})
    assert result.errors == [(str(bad), 1, "first failure\n")]
    assert result.aborted and result.message == "first failure\n"
    assert result.final_payload == "<domain>rewritten</domain>\n"  # before_vm_start still hands it over
    assert f"{bad}: rc=1 err=b'first failure\\n'" in caplog.messages


def test_rc2_stops_the_chain(hooks):
    log = hooks.parent / "ran.log"
    script(hooks, "before_vm_start", "10_stop", "echo stop >&2; exit 2")
    script(hooks, "before_vm_start", "20_never", f"echo ran > {log}")
    result = run_hooks(str(hooks), "before_vm_start", DOMAIN, {})
    assert [rc for _script, rc, _stderr in result.errors] == [2] and result.aborted
    assert not log.exists()


def test_rc_above_2_is_unexpected_and_processing_continues(hooks, caplog):
    log = hooks.parent / "ran.log"
    script(hooks, "before_vm_start", "10_odd", "exit 7")
    script(hooks, "before_vm_start", "20_next", f"echo ran > {log}")
    with caplog.at_level(logging.WARNING, logger="ovirt_lab.vdsm"):
        result = run_hooks(str(hooks), "before_vm_start", DOMAIN, {})
    assert log.exists() and result.aborted
    assert caplog.messages == ["hook returned unexpected return code 7"]


def test_log_only_points_never_abort(hooks):
    script(hooks, "after_vm_start", "10_fail", "echo oops >&2; exit 1")
    result = run_hooks(str(hooks), "after_vm_start", DOMAIN, {})
    assert not result.aborted and result.final_payload == DOMAIN and len(result.errors) == 1
    script(hooks, "before_vm_destroy", "10_fail", "exit 2")
    assert not run_hooks(str(hooks), "before_vm_destroy", "", {}).aborted


def test_other_aborting_points_discard_the_data(hooks):
    script(hooks, "before_vm_migrate_source", "10_change", 'echo changed > "$_hook_domxml"; echo first >&2; exit 1')
    script(hooks, "before_vm_migrate_source", "20_ok", "echo last >&2")
    result = run_hooks(str(hooks), "before_vm_migrate_source", DOMAIN, {})
    assert result.aborted and result.final_payload is None
    assert result.message == "last\n"  # VDSM raises with the stderr of the last script that ran


def test_installed_hooks_report(hooks):
    first = script(hooks, "before_vm_start", "50_qemucmdline", "exit 0")
    script(hooks, "before_vm_start", "README", "not a hook", mode=0o644)
    script(hooks, "after_vm_destroy", "50_vhostmd", "exit 0")
    report = installed_hooks(str(hooks))
    assert set(report) == {"before_vm_start", "after_vm_destroy"}
    assert report["before_vm_start"] == {
        "50_qemucmdline": {"checksum": hashlib.sha256(first.read_bytes()).hexdigest()}
    }


def test_hooks_run_as_the_hook_user():
    if os.geteuid() != 0:
        pytest.skip("switching users needs root")
    base = tempfile.mkdtemp(prefix="lab-hooks-")
    try:
        os.chmod(base, 0o755)
        root = Path(base) / "hooks"
        init_tree(str(root))
        script(root, "before_vm_start", "10_whoami", 'id -un > "$_hook_domxml"; echo "$USER" >> "$_hook_domxml"')
        script(root, "before_vm_start", "20_owner_only", "exit 1", mode=0o744)  # root may run it, nobody not
        result = run_hooks(str(root), "before_vm_start", DOMAIN, {}, as_user="nobody")
        assert result.errors == []
        assert result.final_payload.split() == ["nobody", "nobody"]
        assert set(installed_hooks(str(root), as_user="nobody")["before_vm_start"]) == {"10_whoami"}
        assert set(installed_hooks(str(root))["before_vm_start"]) == {"10_whoami", "20_owner_only"}
    finally:
        shutil.rmtree(base)


def test_hooking_helpers(tmp_path, monkeypatch):
    assert [hooking.tobool(v) for v in ("true", "TRUE", "1", "0", "no", None, True, 1)] == [
        True, True, True, False, False, False, True, False
    ]
    monkeypatch.setattr(hooking, "_RUN_DIR", str(tmp_path))
    assert hooking.load_vm_launch_flags_from_file(VM_ID) == 0
    hooking.dump_vm_launch_flags_to_file(VM_ID, 4)
    assert hooking.load_vm_launch_flags_from_file(VM_ID) == 4
    assert hooking.execCmd(["sh", "-c", "cat; echo err >&2"], data="a\nb\n") == (0, [b"a", b"b"], [b"err"])
    assert hooking.execCmd(["sh", "-c", "exit 3"], raw=True) == (3, b"", b"")
    with pytest.raises(SystemExit) as stopped:
        hooking.exit_hook("bye")
    assert stopped.value.code == 2
