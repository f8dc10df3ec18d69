"""The lab's engine-config: options, output lines and exit codes of the real tool (reference §4.2)."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

LAB = str(Path(__file__).resolve().parents[1])
if LAB not in sys.path:
    sys.path.insert(0, LAB)

from ovirt_lab import engine_config  # noqa: E402
from ovirt_lab.config_store import ConfigStore  # noqa: E402

SPEC = "((([a-z_A-Z0-9])+)=(([^;])*)(;(([a-z_A-Z0-9])+)=(([^;])*))*;?)?"


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("OVIRT_LAB_STATE_DIR", str(tmp_path))
    return tmp_path


def run(*args, stdin=None):
    out = io.StringIO()
    rc = engine_config.main(list(args), stdin=stdin or io.StringIO(""), stdout=out)
    return rc, out.getvalue()


def stored(state_dir, key, version=None):
    return ConfigStore(str(state_dir / "engine-config.json")).get(key, version)


def test_list_shows_keys_with_descriptions_and_types(state_dir):
    rc, out = run("-l")
    assert rc == 0
    lines = out.splitlines()
    assert lines[0] == 'UserDefinedVMProperties: "User defined VM properties" (Value Type: UserDefinedVMProperties)'
    assert "ExternalSchedulerEnabled: External scheduler enabled - if disabled, the VM scheduler will not consider" \
        " the external filters and load balancers. (Value Type: Boolean)" in lines
    assert not any(line.startswith("PredefinedVMProperties") for line in lines)
    assert run("-l", "--only-reloadable") == (0, "")


def test_get_prints_every_version_or_just_the_value(state_dir):
    rc, out = run("-g", "UserDefinedVMProperties")
    assert rc == 0
    assert out.splitlines()[0] == "UserDefinedVMProperties:  version: 4.2"
    assert len(out.splitlines()) == 7
    assert run("-g", "ExternalSchedulerServiceURL") == (
        0, "ExternalSchedulerServiceURL: http://localhost:18781/ version: general\n"
    )
    assert run("-g", "ExternalSchedulerConnectionTimeout", "--cver=general") == (0, "100\n")
    assert run("--get=ExternalSchedulerResponseTimeout") == (0, "ExternalSchedulerResponseTimeout: 120000 version: general\n")


def test_set_then_get_with_both_cver_forms(state_dir):
    assert run("-s", "UserDefinedVMProperties=hugepages=^[0-9]+$;qemu_cmdline=^.*$", "--cver=4.7") == (0, "")
    assert run("-g", "UserDefinedVMProperties", "--cver", "4.7") == (0, "hugepages=^[0-9]+$;qemu_cmdline=^.*$\n")
    assert run("-s", "UserDefinedVMProperties=a=1", "--cver", "4.8") == (0, "")
    assert stored(state_dir, "UserDefinedVMProperties", "4.8") == "a=1"
    assert stored(state_dir, "UserDefinedVMProperties", "4.6") == ""


def test_set_general_key_needs_no_version(state_dir):
    assert run("-s", "ExternalSchedulerEnabled=true") == (0, "")
    assert stored(state_dir, "ExternalSchedulerEnabled") == "true"
    # No Boolean value helper exists in the tool: any string is accepted.
    assert run("-s", "ExternalSchedulerEnabled=yes") == (0, "")
    assert run("-s", "ExternalSchedulerEnabled=true", "--cver=4.7") == (
        1, "Error setting ExternalSchedulerEnabled's value. No such entry with version 4.7.\n"
    )


def test_syntax_validator_message(state_dir):
    rc, out = run("-s", "UserDefinedVMProperties=bad-key=1", "--cver=4.7")
    assert rc == 1
    assert out == (
        "Cannot set value bad-key=1 to key UserDefinedVMProperties. Invalid syntax, user defined VM properties"
        f" specification should conform to {SPEC}\n"
    )
    assert stored(state_dir, "UserDefinedVMProperties", "4.7") == ""


def test_unknown_version_is_refused(state_dir):
    assert run("-s", "UserDefinedVMProperties=a=1", "--cver=4.9") == (
        1, "Error setting UserDefinedVMProperties's value. No such entry with version 4.9.\n"
    )
    assert run("-g", "UserDefinedVMProperties", "--cver=4.9") == (
        1, "Error fetching UserDefinedVMProperties value: no such entry with version '4.9'.\n"
    )


def test_predefined_properties_are_not_exposed(state_dir):
    assert run("-s", "PredefinedVMProperties=a=1", "--cver=4.7") == (
        1, "Error setting PredefinedVMProperties's value. No such entry with version 4.7.\n"
    )
    assert run("-g", "PredefinedVMProperties") == (
        1, "Error fetching PredefinedVMProperties value: no such entry. Please verify key name and property file support.\n"
    )
    assert run("-s", "NoSuchKey=1") == (1, "Error setting NoSuchKey's value. No such entry.\n")


def test_missing_version_fails_without_a_terminal(state_dir):
    rc, out = run("-s", "UserDefinedVMProperties=a=1")
    assert rc == 1
    lines = out.splitlines()
    assert lines[:3] == ["Please select a version:", "1. 4.2", "2. 4.3"]
    assert lines[7] == "7. 4.8"
    assert "--cver" in lines[8]
    assert stored(state_dir, "UserDefinedVMProperties", "4.2") == ""


def test_missing_version_prompts_on_a_terminal(state_dir):
    rc, out = run("-s", "UserDefinedVMProperties=a=1", stdin=Terminal("x\n9\n6\n"))
    assert rc == 0
    assert out.count("Please select a version:") == 3
    assert stored(state_dir, "UserDefinedVMProperties", "4.7") == "a=1"


def test_merge_appends_new_items_only(state_dir):
    run("-s", "UserDefinedVMProperties=a=1", "--cver=4.7")
    assert run("-m", "UserDefinedVMProperties=b=2;a=1", "--cver=4.7") == (0, "")
    assert stored(state_dir, "UserDefinedVMProperties", "4.7") == "a=1;b=2"
    assert run("-m", "UserDefinedVMProperties=b=2", "--cver=4.7") == (
        0, "Merge operation cancelled as value is unchanged.\n"
    )
    # Items are compared as whole strings: a new regex for a known name is appended.
    assert run("--merge", "UserDefinedVMProperties=a=^9$", "--cver=4.7") == (0, "")
    assert stored(state_dir, "UserDefinedVMProperties", "4.7") == "a=1;b=2;a=^9$"
    assert run("-m", "UserDefinedVMProperties=c=3", "--cver=4.8") == (0, "")
    assert stored(state_dir, "UserDefinedVMProperties", "4.8") == "c=3"


def test_merge_refusals(state_dir):
    assert run("-m", "ExternalSchedulerServiceURL=http://x/") == (
        0, "ExternalSchedulerServiceURL does not support merge of values.\n"
    )
    assert run("-m", "UserDefinedVMProperties=a=1", "--cver=4.9") == (
        1, "setValue: error merging %s value. No such entry%s.\n"
    )
    rc, out = run("-m", "UserDefinedVMProperties=a-b=1", "--cver=4.7")
    assert rc == 1 and "Invalid syntax, user defined VM properties" in out


def test_value_type_validation(state_dir):
    assert run("-s", "ExternalSchedulerConnectionTimeout=abc") == (
        1, "Cannot set value abc to key ExternalSchedulerConnectionTimeout. \n"
    )
    assert run("-s", "ExternalSchedulerConnectionTimeout=+250") == (0, "")
    assert run("-s", "CustomDeviceProperties={type=interface;prop={speed=^[0-9]+$}}", "--cver=4.8") == (0, "")
    rc, out = run("-s", "CustomDeviceProperties={type=nic;prop={a=b}}", "--cver=4.8")
    assert rc == 1 and "Invalid syntax, custom device properties specification should conform to" in out
    rc, out = run("-s", "UserDefinedNetworkCustomProperties=ethtool_opts=(", "--cver=4.8")
    assert rc == 1 and out.endswith("The entered value is in imporper format. ( must be a valid regex expression\n")


def test_all_and_diff(state_dir):
    run("-s", "ExternalSchedulerEnabled=true")
    rc, out = run("-a")
    assert rc == 0
    assert "ExternalSchedulerEnabled: true version: general" in out.splitlines()
    assert run("-d") == (0, "Name: ExternalSchedulerEnabled\nVersion: general\nCurrent: true\nDefault: false\n\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Error: at least 1 argument needed for configuration utility to run."),
        (("get",), "First argument must be an action, and start with '-' or '--'"),
        (("-x",), "Action verb must come first, and '-x' is not an action.\nPlease tell me what to do: list? get? set? get-all?"),
        (("--set=A=1",), "Action verb must come first, and '--set=A=1' is not an action.\nPlease tell me what to do: list? get? set? get-all?"),
        (("-s", "UserDefinedVMProperties"), "Argument for set/merge action must be in format of key=value."),
        (("-g",), "Missing key for get action."),
        (("-g", "A=1"), "Illegal second argument: A=1."),
        (("-s", "--cver=4.7", "A=1"), "Missing key or value for set action, make sure arguments are in proper order."),
    ],
)
def test_argument_errors(state_dir, args, message):
    assert run(*args) == (1, message + "\n")


def test_command_line_entry_point(state_dir):
    env = {**os.environ, "PYTHONPATH": LAB}
    tool = [sys.executable, "-m", "ovirt_lab.engine_config"]
    done = subprocess.run([*tool, "-s", "UserDefinedVMProperties=x=1"], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 1 and done.stdout.startswith("Please select a version:\n")
    done = subprocess.run([*tool, "-g", "UserDefinedVMProperties", "--cver=4.2"], env=env,
                          capture_output=True, text=True, timeout=30, check=False)
    assert (done.returncode, done.stdout) == (0, "\n")
