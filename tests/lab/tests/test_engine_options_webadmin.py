"""System options for VM custom properties, and the WebAdmin host page with UI plugin resources."""

import json
import re

import ovirtsdk4 as sdk
import pytest


def option(connection, name, version=None):
    service = connection.system_service().options_service().option_service(name)
    value = service.get(version=version) if version else service.get()
    return [(v.version, v.value) for v in value.values]


def test_user_defined_vm_properties_option(lab, conn):
    assert option(conn, "UserDefinedVMProperties", "4.7") == [("4.7", "")]
    assert [version for version, _value in option(conn, "UserDefinedVMProperties")] == [
        "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8"]
    predefined = dict(option(conn, "PredefinedVMProperties", "4.8"))["4.8"]
    assert "sap_agent=^(true|false)$" in predefined and "hugepages=^[0-9]+$" in predefined


def test_option_shows_the_value_loaded_at_engine_start(lab, conn):
    lab.config().set("UserDefinedVMProperties", "foo=^[a-z]+$", "4.8")
    assert option(conn, "UserDefinedVMProperties", "4.8") == [("4.8", "")]
    lab.engine.restart()
    assert option(lab.connect(), "UserDefinedVMProperties", "4.8") == [("4.8", "foo=^[a-z]+$")]


@pytest.mark.parametrize("name, version", [("UserDefinedVMProperties", "4.9"), ("NoSuchOption", None)])
def test_unknown_option_or_version_is_404(conn, name, version):
    with pytest.raises(sdk.NotFoundError):
        option(conn, name, version)


@pytest.fixture
def plugin_lab(make_lab, tmp_path):
    usr, etc = tmp_path / "usr", tmp_path / "etc"
    (usr / "ui-plugins" / "hello-files").mkdir(parents=True)
    (etc / "ui-plugins").mkdir(parents=True)
    (usr / "ui-plugins" / "hello.json").write_text(json.dumps({
        "name": "HelloWorld", "url": "/ovirt-engine/webadmin/plugin/HelloWorld/start.html",
        "resourcePath": "hello-files", "config": {"greeting": "hi", "colour": "blue"}}))
    (usr / "ui-plugins" / "hello-files" / "start.html").write_text("<html>hello</html>")
    (etc / "ui-plugins" / "hello-config.json").write_text(json.dumps({"config": {"colour": "red"}, "order": 5}))
    return make_lab(usr_dir=str(usr), etc_dir=str(etc)), usr


def plugin_definitions(lab):
    status, headers, body = lab.raw("GET", "/ovirt-engine/webadmin/", token=False)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    return json.loads(re.search(r"var pluginDefinitions = (.*);", body.decode()).group(1))


def test_host_page_embeds_plugin_definitions(plugin_lab):
    lab, _plugins = plugin_lab
    assert plugin_definitions(lab) == [{
        "name": "HelloWorld", "url": "/ovirt-engine/webadmin/plugin/HelloWorld/start.html",
        "config": {"greeting": "hi", "colour": "red"}, "lazyLoad": True, "enabled": True}]


def test_plugin_resources_are_served_after_a_page_load(plugin_lab):
    lab, usr = plugin_lab
    path = "/ovirt-engine/webadmin/plugin/HelloWorld/start.html"
    assert lab.raw("GET", path, token=False)[0] == 404  # the resource servlet only knows the last page load
    plugin_definitions(lab)
    status, headers, body = lab.raw("GET", path, token=False)
    assert (status, headers["Cache-Control"], body) == (200, "no-cache", b"<html>hello</html>")
    assert headers["Content-Type"] == "text/html"
    for bad in ("HelloWorld/../hello.json", "Nope/start.html", "HelloWorld/missing.html", "HelloWorld/"):
        assert lab.raw("GET", f"/ovirt-engine/webadmin/plugin/{bad}", token=False)[0] == 404


def test_host_page_reloads_changed_descriptors(plugin_lab):
    lab, usr = plugin_lab
    (usr / "ui-plugins" / "second.json").write_text(json.dumps({"name": "Second", "url": "second.html"}))
    assert [d["name"] for d in plugin_definitions(lab)] == ["HelloWorld", "Second"]
