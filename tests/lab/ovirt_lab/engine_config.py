"""The ``engine-config`` tool of the lab engine: ``python -m ovirt_lab.engine_config ARGS``.

It follows ``EngineConfigCLIParser``, ``EngineConfigLogic`` and the value helpers of
``backend/manager/tools``: the same argument parsing quirks, the same lines on stdout (errors
included, as ``EngineConfigExecutor`` prints them with ``System.out.println``), exit code 0 on
success and 1 on any error. Rows live in ``$OVIRT_LAB_STATE_DIR/engine-config.json`` (default
``/var/lib/ovirt-lab-engine``) instead of the database; a change is seen by the lab engine at its
next start, as on a real engine.

Modelled actions: ``-g/--get``, ``-s/--set``, ``-m/--merge``, ``-l/--list``, ``-a/--all``,
``-d/--diff``. Only the keys the lab models are exposed (see ``EXPOSED_KEYS``); every other key is
unknown to the tool, as ``PredefinedVMProperties`` is on a real engine.

One deliberate difference: without ``--cver`` a per-version key makes the real tool prompt
"Please select a version:" and read the answer from the console. When stdin is not a terminal the
lab prints the same prompt and then fails (exit 1) instead of waiting, so automation that forgets
``--cver`` fails fast in the lab rather than hanging on a real engine.
"""

import os
import re
import sys
from dataclasses import dataclass

from .config_store import GENERAL, VM_PROPERTIES_SPEC, ConfigStore, java_split, syntax_error_in_properties

DEFAULT_STATE_DIR = "/var/lib/ovirt-lab-engine"
STATE_FILE_NAME = "engine-config.json"

ACTIONS = {
    "-a": "all", "--all": "all",
    "-l": "list", "--list": "list",
    "-g": "get", "--get": "get",
    "-s": "set", "--set": "set",
    "-h": "help", "--help": "help",
    "-r": "reload", "--reload": "reload",
    "-m": "merge", "--merge": "merge",
    "-d": "diff", "--diff": "diff",
}
ONLY_RELOADABLE_OPTIONS = ("-o", "--only-reloadable")
NOT_AN_ACTION = "Action verb must come first, and '{}' is not an action.\nPlease tell me what to do: list? get? set? get-all?"


@dataclass(frozen=True)
class KeyInfo:
    """One entry of engine-config.properties (descriptions verbatim, quotes included)."""

    description: str
    value_type: str
    mergable: bool = False


# In the order of engine-config.properties, which is the order of -l, -a and -d.
EXPOSED_KEYS = {
    "UserDefinedVMProperties": KeyInfo('"User defined VM properties"', "UserDefinedVMProperties", mergable=True),
    "CustomDeviceProperties": KeyInfo('"Definition of custom properties per each device type"', "DeviceCustomProperties"),
    "UserDefinedNetworkCustomProperties": KeyInfo('"User defined network custom properties."', "CustomProperties"),
    "ExternalSchedulerServiceURL": KeyInfo("The URL of the external scheduler proxy", "String"),
    "ExternalSchedulerConnectionTimeout": KeyInfo(
        "The timeout used connecting to the external scheduler proxy (0 to disable)", "Integer"
    ),
    "ExternalSchedulerEnabled": KeyInfo(
        "External scheduler enabled - if disabled, the VM scheduler will not consider the external filters"
        " and load balancers.",
        "Boolean",
    ),
    "ExternalSchedulerResponseTimeout": KeyInfo("The response timeout of the external scheduler proxy", "Integer"),
}

# DevicePropertiesUtils: one "{type=...;prop={...}}" block per device type, types in the order of
# VmDeviceGeneralType (UNKNOWN excluded), each at most once.
DEVICE_TYPES = [
    "disk", "interface", "video", "graphics", "sound", "controller", "balloon", "channel", "redir",
    "redirdev", "console", "rng", "smartcard", "watchdog", "hostdev", "memory", "tpm",
]
DEVICE_PROPERTIES_SPEC = r"\{type=(" + "|".join(DEVICE_TYPES) + r");prop=\{" + VM_PROPERTIES_SPEC + r"\}\}[;]?"
_DEVICE_PROPERTIES_VALIDATION = re.compile(
    "".join(r"((\{type=(" + t + r");prop=\{" + VM_PROPERTIES_SPEC + r"\}\}[;]?)?)" for t in DEVICE_TYPES)
)
_JAVA_INT = re.compile(r"[+-]?[0-9]+")


class ToolError(Exception):
    """An error the real tool prints on stdout before exiting with 1."""


class Console:
    def __init__(self, stdin, stdout):
        self.stdin = stdin
        self.stdout = stdout

    def write(self, text):
        self.stdout.write(text)

    def line(self, text=""):
        self.stdout.write(text + "\n")


def validation_error(key, value):
    """The details of a rejected value, ``None`` when the key's value helper accepts it."""
    value_type = EXPOSED_KEYS[key].value_type
    if value_type == "UserDefinedVMProperties" and syntax_error_in_properties(value):
        return "Invalid syntax, user defined VM properties specification should conform to " + VM_PROPERTIES_SPEC
    if value_type == "DeviceCustomProperties" and _DEVICE_PROPERTIES_VALIDATION.fullmatch(value) is None:
        return "Invalid syntax, custom device properties specification should conform to " + DEVICE_PROPERTIES_SPEC
    if value_type == "CustomProperties":
        return _custom_properties_error(value)
    if value_type == "Integer" and not _is_java_int(value):
        return ""
    # String and Boolean: there is no Boolean value helper, so any string is accepted.
    return None


def _custom_properties_error(value):
    # CustomPropertiesValueHelper compiles each regex (with Java's engine; Python's here).
    for pair in java_split(value, ";"):
        name, separator, regex = pair.partition("=")
        if not separator:
            return (
                f"The entered value is in imporper format. {pair} cannot be used for custom properties"
                " definition.\nA string of key=value pair should be used instead, where the value should be"
                " a correct regex expression"
            )
        try:
            re.compile(regex)
        except re.error:
            return f"The entered value is in imporper format. {regex} must be a valid regex expression"
    return None


def _is_java_int(value):
    return _JAVA_INT.fullmatch(value) is not None and -(2**31) <= int(value) < 2**31


@dataclass
class Arguments:
    action: str
    key: str = None
    value: str = None
    version: str = None
    only_reloadable: bool = False


def parse_arguments(args):
    """``EngineConfigCLIParser.parse``: ``ToolError`` carries the message the tool prints."""
    if not args:
        raise ToolError("Error: at least 1 argument needed for configuration utility to run.")
    first = args[0]
    if not first.startswith("-"):
        raise ToolError("First argument must be an action, and start with '-' or '--'")
    verb, key = _split_at_equals(first)
    action = ACTIONS.get(verb)
    if key:
        if verb not in ("--get", "--help"):
            raise ToolError(NOT_AN_ACTION.format(f"{verb}={key}"))
    elif action is None:
        raise ToolError(NOT_AN_ACTION.format(verb))
    parsed = Arguments(action=action, key=key or None)
    options = {}
    index = 1
    while index < len(args):
        arg = args[index]
        if arg.startswith("-"):
            name, value = _split_at_equals(arg)
            if name in ONLY_RELOADABLE_OPTIONS:
                parsed.only_reloadable = True
            elif value:
                options[name] = value
            elif index + 1 < len(args):
                # "--cver 4.7" (and "--cver= 4.7"): the value is the next argument.
                options[name] = args[index + 1]
                index += 1
        elif index == 1:
            _parse_second_argument(parsed, arg)
        index += 1
    parsed.version = options.get("--cver")
    return parsed


def _split_at_equals(arg):
    # Java code splits at the first '=' only when it is not the first character.
    position = arg.find("=")
    if position > 0:
        return arg[:position], arg[position + 1:]
    return arg, ""


def _parse_second_argument(parsed, arg):
    set_or_merge = parsed.action in ("set", "merge")
    if set_or_merge and "=" not in arg:
        raise ToolError("Argument for set/merge action must be in format of key=value.")
    key, value = _split_at_equals(arg)
    if not key:
        return
    if value:
        if not set_or_merge:
            raise ToolError(f"Illegal second argument: {arg}.")
        parsed.key, parsed.value = key, value
    elif set_or_merge and parsed.key is None:
        parsed.key, parsed.value = key, value
    elif parsed.action in ("get", "help") and parsed.key is None:
        parsed.key = arg


def validate_arguments(parsed):
    if parsed.action == "get" and parsed.key is None:
        raise ToolError("Missing key for get action.")
    if parsed.action in ("set", "merge") and (parsed.key is None or parsed.value is None):
        raise ToolError("Missing key or value for set action, make sure arguments are in proper order.")


class EngineConfig:
    """``EngineConfigLogic`` over a :class:`ConfigStore`."""

    def __init__(self, store, console):
        self.store = store
        self.console = console

    def run(self, parsed):
        handler = {
            "all": self.print_all,
            "list": self.list_keys,
            "get": self.get,
            "set": self.set,
            "merge": self.merge,
            "diff": self.diff,
        }.get(parsed.action)
        if handler is None:
            raise ToolError(f"engine-config (lab): the {parsed.action} action is not modelled by the lab.")
        handler(parsed)

    def _rows(self, key):
        # Rows exist in the option table even for keys the tool does not expose.
        return self.store.rows(key) if key in self.store.keys() else []

    def print_all(self, parsed):
        for key in EXPOSED_KEYS:
            self._print_all_values(key)

    def list_keys(self, parsed):
        if parsed.only_reloadable:
            return  # none of the modelled keys is reloadable
        for key, info in EXPOSED_KEYS.items():
            self.console.line(f"{key}: {info.description} (Value Type: {info.value_type})")

    def get(self, parsed):
        key, version = parsed.key, parsed.version
        if version is None or not version.strip():
            if key not in EXPOSED_KEYS:
                raise ToolError(
                    f"Error fetching {key} value: no such entry. Please verify key name and property file support."
                )
            self._print_all_values(key)
            return
        if key not in EXPOSED_KEYS or version not in self._rows(key):
            raise ToolError(f"Error fetching {key} value: no such entry with version '{version}'.")
        self.console.line(self.store.get(key, version))

    def _print_all_values(self, key):
        rows = self._rows(key)
        if not rows:
            raise ToolError(f"Error fetching {key} value: no such entry with default version.")
        for version in rows:
            self.console.line(f"{key}: {self.store.get(key, version)} version: {version}")

    def set(self, parsed):
        version = parsed.version if parsed.version is not None else self._ask_version(parsed.key)
        if not self._persist(parsed.key, parsed.value, version):
            suffix = "" if version is None else f" with version {version}"
            raise ToolError(f"Error setting {parsed.key}'s value. No such entry{suffix}.")

    def merge(self, parsed):
        key = parsed.key
        info = EXPOSED_KEYS.get(key)
        if info is None or not info.mergable:
            self.console.line(f"{key} does not support merge of values.")
            return
        version = parsed.version if parsed.version is not None else self._ask_version(key)
        value = parsed.value
        current = self._current(key, version)
        if current is not None and _java_trim(current):
            in_db = _java_trim(current)
            value = _merged(value, in_db, ";")
            if value == in_db:
                self.console.line("Merge operation cancelled as value is unchanged.")
                return
        if not self._persist(key, value, version):
            # The tool formats this with MessageFormat, which leaves the %s placeholders as they are.
            raise ToolError("setValue: error merging %s value. No such entry%s.")

    def diff(self, parsed):
        for key in EXPOSED_KEYS:
            for version in self._rows(key):
                current, default = self.store.get(key, version), self.store.default(key, version)
                if current != default:
                    self.console.write(f"Name: {key}\nVersion: {version}\nCurrent: {current}\nDefault: {default}\n\n")

    def _current(self, key, version):
        if key in EXPOSED_KEYS and version in self._rows(key):
            return self.store.get(key, version)
        return None

    def _persist(self, key, value, version):
        """Validate like ``ConfigKey.safeSetValue``, then update the row; False when none exists."""
        if key in EXPOSED_KEYS:
            details = validation_error(key, value)
            if details is not None:
                raise ToolError(f"Cannot set value {value} to key {key}. {details}")
        row = version or GENERAL
        if key not in EXPOSED_KEYS or row not in self._rows(key):
            return False
        self.store.set(key, value, row)
        return True

    def _ask_version(self, key):
        """``startVersionDialog``: the only version of a key, or the user's choice among several."""
        rows = self._rows(key)
        if len(rows) <= 1:
            return rows[0] if rows else None
        while True:
            self.console.line("Please select a version:")
            for number, version in enumerate(rows, start=1):
                self.console.line(f"{number}. {version}")
            if not self.console.stdin.isatty():
                raise ToolError(
                    f"engine-config (lab): {key} has several versions and stdin is not a terminal;"
                    " not waiting for an answer, pass --cver=X.Y."
                )
            answer = self.console.stdin.readline()
            if not answer:
                raise ToolError("engine-config (lab): end of input while selecting a version.")
            answer = answer.rstrip("\n")
            if _JAVA_INT.fullmatch(answer) and 1 <= int(answer) <= len(rows):
                return rows[int(answer) - 1]


def _java_trim(text):
    # String.trim removes every character up to and including the space, nothing else.
    return text.strip("".join(map(chr, range(33))))


def _merged(to_append, current, delimiter):
    """``mergedValues``: append each item of ``to_append`` that is not already an item."""
    result = current
    for item in java_split(to_append, delimiter):
        if item not in java_split(result, delimiter):
            if not result.endswith(delimiter):
                result += delimiter
            result += item
    return result


def state_path():
    return os.path.join(os.environ.get("OVIRT_LAB_STATE_DIR", DEFAULT_STATE_DIR), STATE_FILE_NAME)


def main(argv=None, stdin=None, stdout=None):
    console = Console(stdin or sys.stdin, stdout or sys.stdout)
    try:
        parsed = parse_arguments(sys.argv[1:] if argv is None else argv)
        validate_arguments(parsed)
        EngineConfig(ConfigStore(state_path()), console).run(parsed)
    except ToolError as error:
        console.line(str(error))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
