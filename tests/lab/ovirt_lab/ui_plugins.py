"""UI plugin discovery of the WebAdmin host page, and the plugin resource rules.

Follows ``PluginDataManager``, ``PluginData``, ``WebAdminHostPageServlet`` and
``PluginResourceServlet`` of ovirt-engine:

* descriptors are the readable regular ``*.json`` files of ``<usr_dir>/ui-plugins``; each is paired
  with ``<etc_dir>/ui-plugins/<file name with ".json" replaced by "-config.json">``;
* files are JSON with ``//`` and ``/* */`` comments (Jackson ``ALLOW_COMMENTS``); content after the
  first JSON value is ignored, as Jackson does by default;
* :meth:`UiPluginRegistry.reload` is what every GET of the host page does: an incremental,
  mtime-based reload, validation with one WARN line per problem, the descriptor ``config`` and the
  user ``config`` shallow-merged, and the plugins sorted by the user file's ``order``;
* :meth:`UiPluginRegistry.resource` is the resource servlet: it never reloads, it uses the data of
  the last reload.
"""

import copy
import json
import logging
import os

UI_PLUGIN_DIR = "ui-plugins"
JSON_SUFFIX = ".json"
CONFIG_SUFFIX = "-config.json"
MISSING_FILE_LAST_MODIFIED = -1
DEFAULT_ORDER = 2**31 - 1  # Integer.MAX_VALUE
PATH_MAX = 512  # ServletUtils.PATH_MAX

_log = logging.getLogger("ovirt_lab.ui_plugins")


class JsonReadError(Exception):
    pass


class _PluginData:
    """A cached descriptor/configuration pair (``PluginData``)."""

    def __init__(self, descriptor, descriptor_mtime, configuration, configuration_mtime):
        self.descriptor = descriptor
        self.descriptor_mtime = descriptor_mtime
        self.configuration = configuration
        self.configuration_mtime = configuration_mtime

    def validation_errors(self):
        """``(in_descriptor, message)`` for every failed check, in the engine's order."""
        descriptor, configuration = self.descriptor, self.configuration
        checks = [
            (True, _required_text(descriptor, "name"), "Required non-empty string attribute: name"),
            (True, _required_text(descriptor, "url"), "Required non-empty string attribute: url"),
            (True, _optional(descriptor, "config", _is_object), "Optional attribute must be object: config"),
            (True, _optional(descriptor, "resourcePath", _is_non_blank_text),
             "Optional attribute must be non-empty string: resourcePath"),
            (True, _optional(descriptor, "lazyLoad", _is_boolean), "Optional attribute must be boolean: lazyLoad"),
            (False, _optional(configuration, "config", _is_object), "Optional attribute must be object: config"),
            (False, _optional(configuration, "enabled", _is_boolean), "Optional attribute must be boolean: enabled"),
            (False, _optional(configuration, "order", _is_integral), "Optional attribute must be integer: order"),
        ]
        return [(in_descriptor, message) for in_descriptor, passed, message in checks if not passed]

    @property
    def name(self):
        return self.descriptor["name"]

    @property
    def resource_path(self):
        return _field(self.descriptor, "resourcePath")

    @property
    def order(self):
        order = _field(self.configuration, "order")
        return DEFAULT_ORDER if order is None else _java_int_value(order)

    def definition(self):
        """What ``getPluginDefinitionsArray`` sends to the browser for this plugin."""
        merged = {}
        for node in (self.descriptor, self.configuration):
            config = _field(node, "config")
            if isinstance(config, dict):
                merged.update(copy.deepcopy(config))
        lazy_load = _field(self.descriptor, "lazyLoad")
        enabled = _field(self.configuration, "enabled")
        return {
            "name": self.name,
            "url": self.descriptor["url"],
            "config": merged,
            "lazyLoad": True if lazy_load is None else lazy_load,
            "enabled": True if enabled is None else enabled,
        }


_MISSING = object()


def _field(node, name):
    """``JsonNode.path(name)`` for a present field (``None`` stands for a missing one)."""
    return node.get(name) if isinstance(node, dict) else None


def _optional(node, name, check):
    return not isinstance(node, dict) or name not in node or check(node[name])


def _required_text(node, name):
    return isinstance(node, dict) and name in node and _is_non_blank_text(node[name])


def _is_non_blank_text(value):
    return isinstance(value, str) and _java_trim(value) != ""


def _is_object(value):
    return isinstance(value, dict)


def _is_boolean(value):
    return isinstance(value, bool)


def _is_integral(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _java_trim(text):
    return text.strip("".join(map(chr, range(33))))


def _java_int_value(number):
    # JsonNode.intValue keeps the low 32 bits of a long or BigInteger.
    return (number + 2**31) % 2**32 - 2**31


def _strip_comments(text):
    """Replace ``//`` and ``/* */`` comments outside strings by spaces."""
    out, index, length, in_string = [], 0, len(text), False
    while index < length:
        char = text[index]
        if in_string:
            out.append(char)
            if char == "\\" and index + 1 < length:
                out.append(text[index + 1])
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("//", index):
            end = text.find("\n", index)
            index = length if end < 0 else end
            continue
        elif text.startswith("/*", index):
            end = text.find("*/", index + 2)
            if end < 0:
                raise JsonReadError("Unexpected end-of-input in a comment")
            out.append(" ")
            index = end + 2
            continue
        else:
            out.append(char)
        index += 1
    return "".join(out)


def _reject_constant(name):
    raise JsonReadError(f"Non-standard token '{name}'")


def parse_json_with_comments(text):
    """The first JSON value of ``text``, read as Jackson reads it for the UI plugin files."""
    text = _strip_comments(text).lstrip(" \t\r\n")
    if not text:
        raise JsonReadError("No content to map due to end-of-input")
    decoder = json.JSONDecoder(parse_constant=_reject_constant)
    try:
        value, _end = decoder.raw_decode(text)
    except json.JSONDecodeError as error:
        raise JsonReadError(str(error)) from None
    return value


def _mtime_ms(path):
    return os.stat(path).st_mtime_ns // 1_000_000


def _is_json_file(path):
    return os.path.isfile(path) and os.access(path, os.R_OK) and os.path.basename(path).endswith(JSON_SUFFIX)


def is_sane(path, logger=_log):
    """``ServletUtils.isSane``: not longer than PATH_MAX (in UTF-16 units), no ``..``, ``//``, ``./``."""
    length = len(path.encode("utf-16-le")) // 2
    if length > PATH_MAX:
        logger.error("The path is %s characters long, which is longer than the maximum allowed %s.", length, PATH_MAX)
        return False
    if ".." in path or "//" in path or "./" in path:
        logger.error("The path contains potentially dangerous directory navigation sequences.")
        return False
    return True


class UiPluginRegistry:
    def __init__(self, usr_dir, etc_dir, logger=None):
        self.data_dir = os.path.join(os.path.abspath(usr_dir), UI_PLUGIN_DIR)
        self.config_dir = os.path.join(os.path.abspath(etc_dir), UI_PLUGIN_DIR)
        self.log = logger or _log
        self._cache = {}  # descriptor path -> _PluginData

    def reload(self):
        """Reload what changed and return the plugin definitions of the host page, in load order."""
        self._reload_data()
        current = sorted(self._cache.items())  # a stable base order, then the engine's sort by order
        plugins = sorted((data for _key, data in current), key=lambda data: data.order)
        return [data.definition() for data in plugins]

    def _reload_data(self):
        try:
            names = os.listdir(self.data_dir)
        except OSError:
            self.log.warning("Cannot list UI plugin descriptor files in '%s'", self.data_dir)
            return
        descriptors = [os.path.join(self.data_dir, name) for name in names]
        updates, seen = {}, set()
        for descriptor_path in filter(_is_json_file, descriptors):
            data = self._reload_one(descriptor_path)
            if data is None:
                continue
            updates[descriptor_path] = data
            seen.add(descriptor_path)
        # A cached plugin whose file still exists stays, even when its new content is invalid.
        removed = {path for path in self._cache if path not in seen and not os.path.exists(path)}
        self._cache.update(updates)
        for path in removed:
            del self._cache[path]

    def _reload_one(self, descriptor_path):
        """The up-to-date data of one descriptor, ``None`` when it is unusable this time."""
        config_path = os.path.join(
            self.config_dir, os.path.basename(descriptor_path).replace(JSON_SUFFIX, CONFIG_SUFFIX)
        )
        current = self._cache.get(descriptor_path)
        descriptor_mtime = _mtime_ms(descriptor_path)
        config_mtime = _mtime_ms(config_path) if _is_json_file(config_path) else MISSING_FILE_LAST_MODIFIED
        if current is None:
            reload_descriptor = reload_config = True
        else:
            reload_descriptor = descriptor_mtime > current.descriptor_mtime
            reload_config = (
                config_mtime > current.configuration_mtime
                or reload_descriptor
                or (config_mtime == MISSING_FILE_LAST_MODIFIED
                    and current.configuration_mtime != MISSING_FILE_LAST_MODIFIED)
            )
        if not (reload_descriptor or reload_config):
            return current

        if reload_descriptor:
            self.log.info("Reading UI plugin descriptor '%s'", descriptor_path)
            descriptor = self._read_json(descriptor_path)
            if descriptor is _MISSING:
                return None
        else:
            descriptor = current.descriptor
        self.log.info("Reading UI plugin configuration '%s'", config_path)
        configuration = self._read_json(config_path) if _is_json_file(config_path) else _MISSING
        if configuration is _MISSING:
            configuration = {}

        data = _PluginData(descriptor, descriptor_mtime, configuration, config_mtime)
        errors = data.validation_errors()
        for in_descriptor, message in errors:
            path = descriptor_path if in_descriptor else config_path
            self.log.warning("Validation error in '%s': %s", path, message)
        return None if errors else data

    def _read_json(self, path):
        try:
            with open(path, "rb") as source:
                return parse_json_with_comments(source.read().decode("utf-8-sig"))
        except (OSError, UnicodeDecodeError, JsonReadError) as error:
            self.log.warning("Cannot read/parse JSON file '%s': %s", path, error)
            return _MISSING

    def resource(self, name, relpath):
        """The file to serve for ``/ovirt-engine/webadmin/plugin/<name>/<relpath>``, else ``None`` (404).

        ``name`` and ``relpath`` are the decoded path info split at its first ``/`` after leading
        slashes are removed, as the servlet splits it. Uses the data of the last :meth:`reload`.
        The servlet answers with ``Cache-Control: no-cache``.
        """
        request_uri = f"/ovirt-engine/webadmin/plugin/{name}/{relpath}"
        if not name.strip() or not relpath.strip():
            self.log.error("Missing UI plugin name and/or relative file path for request '%s'", request_uri)
            return None
        data = next((data for _key, data in sorted(self._cache.items()) if data.name == name), None)
        if data is None:
            self.log.error("No data available for UI plugin '%s'", name)
            return None
        if data.resource_path is None:
            self.log.error("Local resource path not specified for UI plugin '%s'", name)
            return None
        file_path = data.resource_path + "/" + relpath
        if not is_sane(file_path, self.log):
            self.log.error("Requested file path '%s' is not sane", file_path)
            return None
        # java.io.File(parent, child) appends the child (even an absolute one) and drops a trailing '/'.
        full_path = self.data_dir + "/" + file_path.strip("/")
        if os.path.isdir(full_path):
            self.log.error("Requested file path '%s' denotes a directory instead of file", file_path)
            return None
        if not (os.path.exists(full_path) and os.access(full_path, os.R_OK)):
            self.log.error(
                "Can't read file \"%s\" for request \"%s\", will send a 404 error response.", full_path, request_uri
            )
            return None
        return full_path
