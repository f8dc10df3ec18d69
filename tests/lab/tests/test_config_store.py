"""The option table and the engine's VM custom-property rules (reference §4.2, §4.3)."""

import json
import os
import sys
from pathlib import Path

import pytest

LAB = str(Path(__file__).resolve().parents[1])
if LAB not in sys.path:
    sys.path.insert(0, LAB)

from ovirt_lab.config_store import (  # noqa: E402
    CLUSTER_VERSIONS,
    VM_PROPERTIES_SPEC,
    ConfigStore,
    effective_custom_properties,
    parse_properties_spec,
    stored_custom_properties,
    validate_vm_properties,
)

PREDEFINED_HEAD = (
    "sap_agent=^(true|false)$;sndbuf=^[0-9]+$;"
    "vhost=^(([a-zA-Z0-9_-]*):(true|false))(,(([a-zA-Z0-9_-]*):(true|false)))*$;"
    "viodiskcache=^(none|writeback|writethrough)$;hugepages=^[0-9]+$;"
    "scsi_hostdev=^(scsi_generic|scsi_block|scsi_hd|virtio_blk_pci)$;nvram_template=^.*$;"
    "extra_cpu_flags=^([+-]?[a-zA-Z0-9_-]+)(,[+-]?[a-zA-Z0-9_-]+)*$"
)


@pytest.fixture
def store(tmp_path):
    return ConfigStore(str(tmp_path / "engine-config.json"))


def test_cluster_levels_are_those_of_the_engine_database():
    assert CLUSTER_VERSIONS == ["4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8"]


def test_defaults(store):
    assert store.versions("UserDefinedVMProperties") == CLUSTER_VERSIONS
    assert all(store.get("UserDefinedVMProperties", v) == "" for v in CLUSTER_VERSIONS)
    assert all(store.get("PredefinedVMProperties", v) == PREDEFINED_HEAD for v in ("4.6", "4.7", "4.8"))
    assert "mdev_type" in store.get("PredefinedVMProperties", "4.5")
    assert store.get("ExternalSchedulerEnabled") == "false"
    assert store.get("ExternalSchedulerServiceURL") == "http://localhost:18781/"
    assert store.get("ExternalSchedulerConnectionTimeout") == "100"
    assert store.get("ExternalSchedulerResponseTimeout") == "120000"
    assert store.versions("ExternalSchedulerEnabled") == []
    assert store.get("CustomDeviceProperties", "4.8").startswith("{type=interface;prop={SecurityGroups=")
    assert store.get("UserDefinedNetworkCustomProperties", "4.2") == ""
    assert {"UserDefinedVMProperties", "PredefinedVMProperties", "ExternalSchedulerEnabled"} <= set(store.keys())


def test_set_persists_atomically_and_only_existing_rows(store, tmp_path):
    store.set("UserDefinedVMProperties", "foo=^[0-9]+$", "4.7")
    store.set("ExternalSchedulerEnabled", "true")
    reread = ConfigStore(store.path)
    assert reread.get("UserDefinedVMProperties", "4.7") == "foo=^[0-9]+$"
    assert reread.get("UserDefinedVMProperties", "4.8") == ""
    assert reread.get_bool("ExternalSchedulerEnabled") is True
    assert os.listdir(tmp_path) == ["engine-config.json"]  # no temporary file left behind
    assert json.loads(Path(store.path).read_text())["ExternalSchedulerEnabled"] == {"general": "true"}
    with pytest.raises(KeyError):
        store.set("UserDefinedVMProperties", "x=1", "4.9")
    with pytest.raises(KeyError):
        store.set("ExternalSchedulerEnabled", "true", "4.7")
    with pytest.raises(KeyError):
        store.get("NoSuchKey")


def test_set_keeps_changes_written_by_another_process(store):
    other = ConfigStore(store.path)
    other.set("UserDefinedVMProperties", "a=1", "4.2")
    store.set("UserDefinedVMProperties", "b=2", "4.3")
    assert ConfigStore(store.path).get("UserDefinedVMProperties", "4.2") == "a=1"


def test_values_are_read_once_like_an_engine_at_start(store):
    ConfigStore(store.path).set("ExternalSchedulerEnabled", "true")
    assert store.get_bool("ExternalSchedulerEnabled") is False


def test_boolean_option_uses_java_parse_boolean(store):
    store.set("ExternalSchedulerEnabled", "TRUE")
    assert store.get_bool("ExternalSchedulerEnabled") is True
    store.set("ExternalSchedulerEnabled", "yes")
    assert store.get_bool("ExternalSchedulerEnabled") is False


def test_parse_properties_spec():
    assert parse_properties_spec("") == {}
    assert parse_properties_spec("a=^[0-9]+$;b=x=y;") == {"a": "^[0-9]+$", "b": "x=y"}
    assert parse_properties_spec("bare") == {"bare": "([^;])*"}
    assert parse_properties_spec("a=1;a=2") == {"a": "2"}


def test_vm_properties_are_predefined_plus_user_defined(store):
    store.set("UserDefinedVMProperties", "hugepages=^1$;qemu_cmdline=^.*$", "4.7")
    definitions = ConfigStore(store.path).vm_properties("4.7")
    assert definitions["hugepages"] == "^1$"  # user-defined wins
    assert definitions["sap_agent"] == "^(true|false)$"
    assert "qemu_cmdline" not in ConfigStore(store.path).vm_properties("4.8")


DEFINITIONS = {"speed": "[0-9]+", "mode": "^(fast|slow)$", "name": "abc"}


def test_valid_properties_give_no_message():
    assert validate_vm_properties(DEFINITIONS, [("speed", "10"), ("mode", "fast")]) == []
    assert validate_vm_properties(DEFINITIONS, []) == []


def test_syntax_error_alone():
    messages = validate_vm_properties(DEFINITIONS, [("bad-name", "1"), ("nope", "x")], action="add")
    assert messages == ["Cannot add VM if custom properties are in invalid format. Please check the input."]
    assert validate_vm_properties(DEFINITIONS, [("speed", "1;2")]) == [
        "Cannot edit VM if custom properties are in invalid format. Please check the input."
    ]


def test_undefined_then_illegal_values_grouped():
    messages = validate_vm_properties(
        DEFINITIONS, [("foo", "1"), ("speed", "12a"), ("bar", "2"), ("name", "xabc")], action="edit", entity_type="VM"
    )
    assert messages == [
        "Cannot edit VM if some of the specified custom properties are not configured by the system."
        " The keys are: foo,bar",
        "Cannot edit VM if some of the specified custom properties have illegal values. The keys are: speed,name",
    ]


def test_values_must_match_the_whole_regex():
    assert validate_vm_properties(DEFINITIONS, [("name", "abc")]) == []
    assert validate_vm_properties(DEFINITIONS, [("name", "abcd")]) != []
    assert validate_vm_properties({"x": "("}, [("x", "(")]) != []  # an uncompilable regex never matches


def test_run_action_text():
    assert validate_vm_properties({}, [("foo", "1")], action="run") == [
        "Cannot run VM if some of the specified custom properties are not configured by the system. The keys are: foo"
    ]


def test_repeated_name_keeps_its_last_value_and_entries_without_value_are_dropped():
    assert effective_custom_properties([("speed", "x"), ("speed", "5"), ("mode", None)]) == {"speed": "5"}
    assert validate_vm_properties(DEFINITIONS, [("speed", "x"), ("speed", "5")]) == []
    assert validate_vm_properties(DEFINITIONS, [("speed", "5"), ("speed", "x")]) != []
    assert validate_vm_properties(DEFINITIONS, [("undefined", None)]) == []


def test_spec_text_is_the_engines():
    assert VM_PROPERTIES_SPEC == "((([a-z_A-Z0-9])+)=(([^;])*)(;(([a-z_A-Z0-9])+)=(([^;])*))*;?)?"


def test_stored_properties_show_predefined_first_and_names_in_both_sets_twice(store):
    store.set("UserDefinedVMProperties", "hugepages=^[0-9]+$;qemu_cmdline=^.*$", "4.7")
    predefined, user_defined = ConfigStore(store.path).vm_property_sets("4.7")
    custom = [("qemu_cmdline", "[]"), ("hugepages", "2"), ("sap_agent", "true")]
    assert stored_custom_properties(predefined, user_defined, custom) == [
        ("hugepages", "2"), ("sap_agent", "true"), ("qemu_cmdline", "[]"), ("hugepages", "2")
    ]
