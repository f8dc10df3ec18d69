"""UI plugin discovery and resources as the WebAdmin servlets do them (reference §1)."""

import json
import logging
import os
import sys
from pathlib import Path

import pytest

LAB = str(Path(__file__).resolve().parents[1])
if LAB not in sys.path:
    sys.path.insert(0, LAB)

from ovirt_lab.ui_plugins import UiPluginRegistry, parse_json_with_comments  # noqa: E402


class Tree:
    """/usr/share/ovirt-engine and /etc/ovirt-engine of a test engine."""

    def __init__(self, root):
        self.usr = root / "usr"
        self.etc = root / "etc"
        self.plugins = self.usr / "ui-plugins"
        self.configs = self.etc / "ui-plugins"
        self.plugins.mkdir(parents=True)
        self.configs.mkdir(parents=True)
        self.registry = UiPluginRegistry(str(self.usr), str(self.etc))
        self._clock = 1_700_000_000

    def _write(self, path, content, mtime=None):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        # Explicit, increasing mtimes: a reload decision never depends on the file system's clock.
        self._clock += 10
        stamp = self._clock if mtime is None else mtime
        os.utime(path, (stamp, stamp))
        return path

    def descriptor(self, file_name, content, mtime=None):
        return self._write(self.plugins / file_name, content, mtime)

    def config(self, file_name, content, mtime=None):
        return self._write(self.configs / file_name, content, mtime)

    def resource(self, relpath, text="x"):
        return self._write(self.plugins / relpath, text)


@pytest.fixture
def tree(tmp_path):
    return Tree(tmp_path)


def names(plugins):
    return [plugin["name"] for plugin in plugins]


def test_definition_fields_defaults_and_shallow_merge(tree):
    tree.descriptor("hello.json", {
        "name": "HelloWorld", "url": "/ovirt-engine/webadmin/plugin/HelloWorld/start.html",
        "resourcePath": "hello-files", "config": {"a": 1, "nested": {"x": 1, "y": 2}}, "enabled": False, "order": 1,
    })
    tree.config("hello-config.json", {"config": {"nested": {"x": 9}, "b": 2}})
    assert tree.registry.reload() == [{
        "name": "HelloWorld",
        "url": "/ovirt-engine/webadmin/plugin/HelloWorld/start.html",
        "config": {"a": 1, "nested": {"x": 9}, "b": 2},
        "lazyLoad": True,
        "enabled": True,  # enabled and order count only in the -config.json file
    }]


def test_order_enabled_and_lazy_load(tree):
    tree.descriptor("a.json", {"name": "A", "url": "a.html"})
    tree.descriptor("b.json", {"name": "B", "url": "b.html", "lazyLoad": False})
    tree.descriptor("c.json", {"name": "C", "url": "c.html"})
    tree.config("b-config.json", {"order": 1, "enabled": False})
    tree.config("c-config.json", {"order": 0})
    plugins = tree.registry.reload()
    assert names(plugins) == ["C", "B", "A"]
    assert plugins[1]["enabled"] is False and plugins[1]["lazyLoad"] is False


def test_only_readable_regular_json_files_are_descriptors(tree):
    tree.descriptor("plugin.json", {"name": "P", "url": "p.html"})
    tree.descriptor("notes.txt", {"name": "T", "url": "t.html"})
    (tree.plugins / "dir.json").mkdir()
    (tree.plugins / "link.json").symlink_to(tree.plugins / "plugin.json")  # symlinks are followed
    assert names(tree.registry.reload()) == ["P", "P"]


def test_config_file_name_comes_from_the_descriptor_file_name(tree):
    tree.descriptor("my.plugin.json", {"name": "Other", "url": "u"})
    tree.config("my.plugin-config.json", {"config": {"k": "v"}})
    tree.config("Other-config.json", {"config": {"wrong": True}})
    assert tree.registry.reload()[0]["config"] == {"k": "v"}


def test_comments_and_trailing_content_are_accepted():
    text = '// header\n{"name": "A", /* inline */ "url": "http://x//y"} trailing'
    assert parse_json_with_comments(text) == {"name": "A", "url": "http://x//y"}


@pytest.mark.parametrize(
    ("descriptor", "config", "messages"),
    [
        ({"url": "u"}, {}, ["descriptor: Required non-empty string attribute: name"]),
        ({"name": "  ", "url": ""}, {}, ["descriptor: Required non-empty string attribute: name",
                                         "descriptor: Required non-empty string attribute: url"]),
        ({"name": "A", "url": "u", "config": [], "resourcePath": "", "lazyLoad": "no"}, {},
         ["descriptor: Optional attribute must be object: config",
          "descriptor: Optional attribute must be non-empty string: resourcePath",
          "descriptor: Optional attribute must be boolean: lazyLoad"]),
        ({"name": "A", "url": "u"}, {"config": 1, "enabled": "true", "order": 1.5},
         ["config: Optional attribute must be object: config",
          "config: Optional attribute must be boolean: enabled",
          "config: Optional attribute must be integer: order"]),
    ],
)
def test_validation_errors_are_logged_and_the_plugin_skipped(tree, caplog, descriptor, config, messages):
    descriptor_path = tree.descriptor("bad.json", descriptor)
    config_path = tree.config("bad-config.json", config)
    tree.descriptor("good.json", {"name": "Good", "url": "g"})
    with caplog.at_level(logging.INFO, logger="ovirt_lab.ui_plugins"):
        assert names(tree.registry.reload()) == ["Good"]
    paths = {"descriptor": descriptor_path, "config": config_path}
    expected = [f"Validation error in '{paths[where]}': {text}" for where, text in (m.split(": ", 1) for m in messages)]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == expected
    assert f"Reading UI plugin descriptor '{descriptor_path}'" in caplog.messages


def test_unparsable_files(tree, caplog):
    broken = tree.descriptor("broken.json", '{"name": "A", "url": ')
    tree.descriptor("ok.json", {"name": "Ok", "url": "u"})
    tree.config("ok-config.json", "{not json")
    with caplog.at_level(logging.WARNING, logger="ovirt_lab.ui_plugins"):
        plugins = tree.registry.reload()
    assert names(plugins) == ["Ok"] and plugins[0]["config"] == {}  # a broken config file means no config
    assert any(m.startswith(f"Cannot read/parse JSON file '{broken}': ") for m in caplog.messages)
    assert len(caplog.messages) == 2


def test_missing_directory(tmp_path, caplog):
    registry = UiPluginRegistry(str(tmp_path / "usr"), str(tmp_path / "etc"))
    with caplog.at_level(logging.WARNING, logger="ovirt_lab.ui_plugins"):
        assert registry.reload() == []
    assert caplog.messages == [f"Cannot list UI plugin descriptor files in '{tmp_path / 'usr' / 'ui-plugins'}'"]


def test_reload_is_incremental_and_mtime_based(tree, caplog):
    path = tree.descriptor("p.json", {"name": "P", "url": "v1"})
    assert tree.registry.reload()[0]["url"] == "v1"
    with caplog.at_level(logging.INFO, logger="ovirt_lab.ui_plugins"):
        tree.registry.reload()
    assert caplog.messages == []  # nothing changed, nothing read

    old = path.stat().st_mtime
    tree.descriptor("p.json", {"name": "P", "url": "older"}, mtime=old - 100)
    assert tree.registry.reload()[0]["url"] == "v1"  # an older mtime is not a change
    tree.descriptor("p.json", {"name": "P", "url": "v2"})
    assert tree.registry.reload()[0]["url"] == "v2"

    tree.config("p-config.json", {"config": {"c": 1}})
    assert tree.registry.reload()[0]["config"] == {"c": 1}
    (tree.configs / "p-config.json").unlink()
    assert tree.registry.reload()[0]["config"] == {}

    path.unlink()
    assert tree.registry.reload() == []


def test_a_cached_plugin_survives_a_broken_update(tree):
    tree.descriptor("p.json", {"name": "P", "url": "v1"})
    tree.registry.reload()
    tree.descriptor("p.json", {"name": "P"})
    assert tree.registry.reload()[0]["url"] == "v1"


def test_resources(tree):
    tree.descriptor("hello.json", {"name": "HelloWorld", "url": "u", "resourcePath": "hello-files"})
    tree.descriptor("bare.json", {"name": "Bare", "url": "u"})
    served = tree.resource("hello-files/js/start.html")
    (tree.plugins / "hello-files" / "dir").mkdir()
    tree.registry.reload()
    registry = tree.registry
    assert registry.resource("HelloWorld", "js/start.html") == str(served)
    assert registry.resource("HelloWorld", "js/start.html/") == str(served)  # java.io.File drops a trailing '/'
    assert registry.resource("hello", "js/start.html") is None  # the descriptor name, not the file name
    assert registry.resource("Bare", "x.html") is None
    assert registry.resource("HelloWorld", "dir") is None
    assert registry.resource("HelloWorld", "missing.html") is None
    assert registry.resource("HelloWorld", "") is None
    for insane in ("../hello.json", "js//start.html", "./js/start.html", "js/x..y", "a" * 500):
        assert registry.resource("HelloWorld", insane) is None


def test_resources_use_the_last_loaded_data(tree, caplog):
    tree.descriptor("late.json", {"name": "Late", "url": "u", "resourcePath": "late"})
    served = tree.resource("late/app.js")
    with caplog.at_level(logging.ERROR, logger="ovirt_lab.ui_plugins"):
        assert tree.registry.resource("Late", "app.js") is None
    assert caplog.messages == ["No data available for UI plugin 'Late'"]
    tree.registry.reload()
    assert tree.registry.resource("Late", "app.js") == str(served)


def test_insane_path_log_lines(tree, caplog):
    tree.descriptor("p.json", {"name": "P", "url": "u", "resourcePath": "res"})
    tree.registry.reload()
    with caplog.at_level(logging.ERROR, logger="ovirt_lab.ui_plugins"):
        tree.registry.resource("P", "../etc/passwd")
    assert caplog.messages == [
        "The path contains potentially dangerous directory navigation sequences.",
        "Requested file path 'res/../etc/passwd' is not sane",
    ]
