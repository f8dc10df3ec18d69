"""oVirt external scheduler proxy: runs scheduler plugins for the oVirt engine.

A maintained, wire- and plugin-compatible replacement for the ovirt-scheduler-proxy
that oVirt dropped in 4.5. Python 3.6+, standard library only, Linux only.

Engine protocol (XML-RPC on http://HOST:PORT/, the engine's ExternalSchedulerServiceURL):
  discover()                                        -> {"filters": {Class: [description, regex]},
                                                        "scores": {...}, "balance": {...}}
  runFilters(names, host_ids, vm_id, properties)    -> envelope, result = accepted host IDs
  runCostFunctions([[name, factor], ...], host_ids, vm_id, properties)
                                                    -> envelope, result = [[host_id, score], ...]
  runLoadBalancing(name, host_ids, properties)      -> envelope, result = [vm_id or "", [host_ids]]
The envelope is {"result_code": 0 or 1, "result": ..., "plugin_errors": {name: [message]},
"errors": [message]}; the last two keys are present only when not empty, and result_code is 1
when either is present. Filters: the result is the intersection of what the successful filters
accepted, in the order of host_ids; when no filter succeeded it is host_ids itself, with the
error "all filters failed". Scores: the sum of factor * score per host over the successful
weight units, rounded and clamped to 32-bit integers (the engine reads Java Integers). A unit
that is not loaded is reported as "plugin not found: '<name>'" ("Load balance requested but was
not found: <name>" for balancing, with an empty result); a unit whose run failed is reported
with the reason (upstream only logged it) and left out; "Waiting on score functions timed out"
is added when a weight unit timed out.

Plugins: every *.py file directly in the plugin directory is imported, in sorted file name
order. Each class defined in such a file that has do_filter(hosts, vm, args),
do_score(hosts, vm, args) or do_balance(hosts, args) is a unit, registered by its class name;
its description is the method's docstring and its parameters are the class attribute
properties_validation ("key=regex;key=regex"), passed to the engine verbatim. A class name
already provided by an earlier file is logged and skipped, so the first file in sorted order
wins. A file that fails to import (syntax error, missing module, exception at import) is
logged with its traceback and skipped. A plugin method prints its result as a Python literal
on stdout (read with ast.literal_eval): a list of host IDs for filters, (host_id, score) pairs
for scores, (vm_id, [host_ids]) for balancing, where printing nothing means no migration. A
run fails if it writes anything to stderr, exits with a non-zero status, prints nothing (filters
and scores) or something that is not a literal of the right shape, or outlives the timeout.
args holds every scheduling property of the cluster, as strings. `--inspect FILE` checks a plugin
file with the same loader before it is installed (see --help).

Isolation: at start the proxy launches a "plugin host" (this file with --plugin-host), a
separate process that imports the plugins once. Every unit of every call runs in a child forked
from it, used for that one call only: the child instantiates the class afresh, runs the method
with stdout and stderr sent to pipes, reports its exit status and exits. The plugin host
collects the output and kills the child's whole process group when the call's deadline passes.
Forking the warm process avoids starting an interpreter and importing the plugins for every
call, and the plugin host forks up to `parallel` children ahead, while idle, so a call does not
wait for a fork either. A finished child drops to the idle CPU priority before it exits, so its
teardown never delays a reply. Module-level code therefore runs once per plugin host, not once
per call: per-call state (such as an engine connection) belongs in the methods. The units of
one request run in parallel, at most `parallel` at a time, all within one `timeout`.

Reload: on SIGHUP (systemctl reload) the proxy starts a new plugin host with the current
plugin files and sends new calls to it; calls in flight finish on the old one, which stops
once they are done. If the new plugin host fails to start the old one stays in service. A
plugin host that dies is replaced the same way.

Environment: plugin processes inherit the proxy's environment, so plugins that talk to the
engine read OVIRT_URL, OVIRT_USERNAME, OVIRT_PASSWORD, OVIRT_CAFILE and OVIRT_INSECURE from
it (under systemd, from the unit's EnvironmentFile). Logs go to stderr, with syslog priority
prefixes when stderr is the journal.
"""

import argparse
import ast
import collections
import configparser
import contextlib
import functools
import importlib
import inspect
import itertools
import json
import logging
import math
import os
import random
import re
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback
from concurrent import futures

DEFAULTS = collections.OrderedDict([
    ('listen', 'localhost'),
    ('port', '18781'),
    ('plugins_dir', '/usr/share/ovirt-scheduler-proxy/plugins'),
    ('timeout', '30'),
    ('parallel', '8'),
    ('log_level', 'INFO'),
])
CONFIG_SECTION = 'proxy'
LOG_LEVELS = ('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL')

FILTER, SCORE, BALANCE = 'do_filter', 'do_score', 'do_balance'
# discover() reports each kind of unit under its own key
REGISTRY_KEYS = collections.OrderedDict([(FILTER, 'filters'), (SCORE, 'scores'), (BALANCE, 'balance')])

STDOUT_LIMIT = 4 * 1024 * 1024   # the result for thousands of hosts fits many times over
STDERR_LIMIT = 64 * 1024
KEEP_ALIVE_TIMEOUT = 60.0        # longer than the 5 s a Java client keeps an idle connection
SPARE_DELAY = 0.005              # quiet time after which the plugin host forks spare processes
REPLY_GRACE = 2.0                # the plugin host answers right after a deadline; this covers a stuck one
INT32_MIN, INT32_MAX = -2 ** 31, 2 ** 31 - 1   # the engine reads each score as a Java Integer
PROPERTY_KEY = re.compile(r'[a-zA-Z0-9_]+')   # the engine's custom property key
RESTART_EVENT = 0                # byte written to the main loop's pipe when a plugin host died

HEADER = struct.Struct('>II')   # sizes of a message's JSON part and of its payload
SCRIPT = os.path.abspath(__file__)   # the plugin host runs this file too
log = logging.getLogger('proxy')
host_log = logging.getLogger('plugin-host')


# ---------------------------------------------------------------------------------------------
# Settings

class ConfigError(Exception):
    """A setting from the command line or the config file is not valid."""


Settings = collections.namedtuple('Settings', 'host port plugins_dir timeout parallel log_level')


def build_parser():
    parser = argparse.ArgumentParser(
        prog='ovirt_scheduler_proxy.py',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description='Serve oVirt external scheduler plugins (filters, weights, load balancers) '
                    'to the engine over XML-RPC.',
        epilog='''\
Settings come from the defaults, then the config file, then the command line (the
command line wins). The config file is INI with one section:

  [proxy]
  listen = localhost          # HOST, HOST:PORT, [IPV6] or [IPV6]:PORT
  port = 18781                # overrides the port given in listen
  plugins_dir = /usr/share/ovirt-scheduler-proxy/plugins
  timeout = 30                # seconds
  parallel = 8
  log_level = INFO            # DEBUG, INFO, WARNING, ERROR or CRITICAL

Unknown sections or keys are an error. Signals: SIGHUP reloads the plugins without
dropping calls in flight; SIGTERM and SIGINT stop the proxy. Plugins inherit the
environment (OVIRT_URL, OVIRT_USERNAME, OVIRT_PASSWORD, OVIRT_CAFILE, OVIRT_INSECURE).
Exit status: 0 after a clean stop, 1 when the proxy cannot start, 2 for invalid settings.

--inspect FILE checks a plugin file before it is installed: it loads the file in a child
process with the proxy's loader and prints a JSON report, {"units": [{"name", "type"
(filter, weight or load_balancing), "description", "properties": {key: regex}}], "errors":
[what the loader reported, with the plugin's traceback], "collisions": [unit class names
that another *.py file of the plugin directory also defines]}. Its exit status is 0 when
the file provides at least one unit, with no error and no collision, and 1 otherwise.''')
    parser.add_argument('--config', metavar='FILE',
                        help='read settings from this INI file (section [proxy])')
    parser.add_argument('--listen', metavar='HOST[:PORT]',
                        help='address to listen on (default: localhost:18781); '
                             'port 0 picks a free port, which is logged')
    parser.add_argument('--port', metavar='PORT', help='port to listen on (default: 18781)')
    parser.add_argument('--plugins-dir', metavar='DIR', dest='plugins_dir',
                        help='directory of the plugin files (default: %s)' % DEFAULTS['plugins_dir'])
    parser.add_argument('--timeout', metavar='SECONDS',
                        help='time allowed to one request, and to importing each plugin file; '
                             'plugin processes still running then are killed (default: 30)')
    parser.add_argument('--parallel', metavar='N',
                        help='plugin processes run at the same time for one request, and kept '
                             'forked ahead, ready for calls (default: 8)')
    parser.add_argument('--log-level', metavar='LEVEL', dest='log_level', type=str.upper,
                        choices=LOG_LEVELS, help='DEBUG, INFO, WARNING, ERROR or CRITICAL (default: INFO)')
    parser.add_argument('--inspect', metavar='FILE',
                        help='check the plugin file FILE as the proxy would load it, against the '
                             'other files of the plugin directory, print a JSON report and exit')
    parser.add_argument('--plugin-host', metavar='FD', type=int, dest='plugin_host',
                        help='internal: run as the plugin host process on the control socket FD '
                             '(the proxy starts it itself)')
    return parser


def read_config_file(path):
    parser = configparser.ConfigParser(interpolation=None, default_section='no default section')
    try:
        with open(path) as stream:
            parser.read_file(stream)
    except (OSError, configparser.Error) as error:
        raise ConfigError('config file %s: %s' % (path, error))
    unknown_sections = [name for name in parser.sections() if name != CONFIG_SECTION]
    if unknown_sections:
        raise ConfigError('config file %s: unknown section(s): %s' % (path, ', '.join(unknown_sections)))
    if not parser.has_section(CONFIG_SECTION):
        return {}
    values = dict(parser.items(CONFIG_SECTION))
    unknown_keys = sorted(set(values) - set(DEFAULTS))
    if unknown_keys:
        raise ConfigError('config file %s: unknown key(s) in [%s]: %s'
                          % (path, CONFIG_SECTION, ', '.join(unknown_keys)))
    return values


def split_listen(value):
    """'HOST', 'HOST:PORT', '[IPV6]' or '[IPV6]:PORT' -> (host, port string or None)."""
    if value.startswith('['):
        host, bracket, rest = value[1:].partition(']')
        if not bracket or (rest and not rest.startswith(':')):
            raise ConfigError('listen: cannot parse %r' % value)
        port = rest[1:] or None
    elif value.count(':') == 1:
        host, port = value.split(':')
    else:   # a name, an IPv4 address or a bare IPv6 address
        host, port = value, None
    if not host:
        raise ConfigError('listen: %r has no host' % value)
    return host, port


def parse_number(name, text, kind, minimum, maximum=None):
    try:
        number = kind(text)
    except (TypeError, ValueError):
        raise ConfigError('%s: %r is not a valid %s' % (name, text, kind.__name__))
    in_range = minimum <= number and (maximum is None or number <= maximum)   # False for NaN
    if not in_range:
        raise ConfigError('%s: %s is out of range' % (name, text))
    return number


def resolve_settings(args):
    """Merges defaults, the config file and the command line (in that order of precedence)."""
    layers = [dict(DEFAULTS)]
    if args.config:
        layers.append(read_config_file(args.config))
    layers.append({key: getattr(args, key) for key in DEFAULTS if getattr(args, key) is not None})
    values, host, port = {}, None, None
    for layer in layers:
        values.update(layer)
        if 'listen' in layer:
            host, listen_port = split_listen(layer['listen'])
            port = listen_port or port
        port = layer.get('port', port)
    timeout = parse_number('timeout', values['timeout'], float, 0.001)
    if math.isinf(timeout):
        raise ConfigError('timeout: must be a finite number of seconds')
    log_level = values['log_level'].upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError('log_level: %r is not one of %s' % (values['log_level'], ', '.join(LOG_LEVELS)))
    return Settings(
        host=host,
        port=parse_number('port', port, int, 0, 65535),
        plugins_dir=os.path.abspath(values['plugins_dir']),
        timeout=timeout,
        parallel=parse_number('parallel', values['parallel'], int, 1),
        log_level=log_level,
    )


# ---------------------------------------------------------------------------------------------
# Logging

class JournalFormatter(logging.Formatter):
    """Prefixes every line with its syslog priority, so journald files it at the right level."""

    PRIORITIES = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4,
                  logging.ERROR: 3, logging.CRITICAL: 2}

    def format(self, record):
        prefix = '<%d>' % self.PRIORITIES.get(record.levelno, 6)
        return '\n'.join(prefix + line for line in super().format(record).splitlines())


def setup_logging(level):
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get('JOURNAL_STREAM'):   # systemd connected stderr to the journal
        handler.setFormatter(JournalFormatter('%(name)s: %(message)s'))
    else:
        handler.setFormatter(logging.Formatter(
            '%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s'))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


# ---------------------------------------------------------------------------------------------
# Messages between the proxy, its plugin host and the plugin processes: HEADER, a JSON object,
# then a payload of bytes. The payload of a call is its arguments as JSON, encoded once by the
# proxy and passed on untouched by the plugin host: only the plugin process decodes them.

def encode_message(message, payload=b''):
    data = json.dumps(message, ensure_ascii=False).encode('utf-8')
    return HEADER.pack(len(data), len(payload)) + data + payload


def send_message(sock, message, payload=b''):
    sock.sendall(encode_message(message, payload))


class MessageReader(object):
    """Reassembles (message, payload) pairs from the chunks a stream delivers."""

    def __init__(self):
        self.buffer = bytearray()

    def feed(self, data):
        self.buffer.extend(data)
        messages = []
        while len(self.buffer) >= HEADER.size:
            message_size, payload_size = HEADER.unpack_from(self.buffer)
            payload_start = HEADER.size + message_size
            end = payload_start + payload_size
            if len(self.buffer) < end:
                break
            messages.append((json.loads(self.buffer[HEADER.size:payload_start].decode('utf-8')),
                             bytes(self.buffer[payload_start:end])))
            del self.buffer[:end]
        return messages


# ---------------------------------------------------------------------------------------------
# Plugin host process: loads the plugins, then forks one child per plugin call.

class PluginImportTimeout(Exception):
    """Importing a plugin file took longer than the timeout."""


def list_plugin_files(plugins_dir):
    """Paths of the plugin candidates: regular *.py files directly in the directory, sorted."""
    paths = (os.path.join(plugins_dir, name) for name in sorted(os.listdir(plugins_dir)))
    return [path for path in paths if path.endswith('.py') and os.path.isfile(path)]


def import_plugin(path, timeout):
    """Imports one plugin file; logs why and returns None if it cannot be loaded."""
    module_name = os.path.basename(path)[:-len('.py')]
    if not module_name.isidentifier():
        host_log.error('%s skipped: %r is not a valid module name', path, module_name)
        return None

    def interrupt_import(signum, frame):
        raise PluginImportTimeout('importing took longer than %g s' % timeout)

    signal.signal(signal.SIGALRM, interrupt_import)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        try:
            module = importlib.import_module(module_name)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except BaseException:   # a plugin may even call sys.exit() at import
        host_log.error('%s skipped, it failed to load:\n%s', path, traceback.format_exc().rstrip())
        return None
    finally:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    loaded_from = os.path.realpath(getattr(module, '__file__', None) or '')
    if loaded_from != os.path.realpath(path):
        host_log.error('%s skipped: the module name %r is already taken by %s; rename the file',
                       path, module_name, loaded_from or 'a built-in module')
        return None
    return module


def properties_validation_problems(spec):
    """Problems the engine would have with a 'key=regex;key=regex' string (best effort)."""
    problems = []
    entries = spec.split(';')
    if entries[-1] == '':   # the engine accepts one trailing ';' (and the empty string)
        entries.pop()
    for entry in entries:
        key, equals, regex = entry.partition('=')
        if not equals or not PROPERTY_KEY.fullmatch(key):
            problems.append('%r is not key=regex (a key is letters, digits and _)' % entry)
            continue
        try:
            re.compile(regex)
        except re.error as error:
            problems.append('the regex of %r does not compile: %s' % (key, error))
    return problems


def load_plugins(plugins_dir, timeout, paths=None):
    """Imports the plugin files (or `paths`, files of plugins_dir); returns (class by unit name,
    the registry discover() reports)."""
    classes = {}
    registry = {key: {} for key in REGISTRY_KEYS.values()}
    try:
        paths = list_plugin_files(plugins_dir) if paths is None else paths
    except OSError as error:
        host_log.error('cannot read the plugin directory: %s', error)
        return classes, registry
    sys.path.insert(0, plugins_dir)   # like upstream, plugins may import helper modules beside them
    provided_by = {}
    for path in paths:
        module = import_plugin(path, timeout)
        if module is None:
            continue
        for class_name, plugin_class in list(vars(module).items()):
            # only classes defined in the file: an imported base class is not a unit of this file
            if not inspect.isclass(plugin_class) or plugin_class.__module__ != module.__name__:
                continue
            methods = [name for name in REGISTRY_KEYS if callable(getattr(plugin_class, name, None))]
            if not methods:
                continue
            if class_name in classes:
                host_log.error('%s: class %s skipped, %s already provides a unit of that name',
                               path, class_name, provided_by[class_name])
                continue
            validation = getattr(plugin_class, 'properties_validation', '')
            if not isinstance(validation, str):
                host_log.error('%s: class %s skipped, properties_validation must be a string',
                               path, class_name)
                continue
            for problem in properties_validation_problems(validation):
                host_log.warning('%s: class %s: properties_validation: %s', path, class_name, problem)
            classes[class_name] = plugin_class
            provided_by[class_name] = path
            for method in methods:
                description = inspect.getdoc(getattr(plugin_class, method)) or ''
                registry[REGISTRY_KEYS[method]][class_name] = [description, validation]
            host_log.info('%s: %s provides %s', path, class_name,
                          ', '.join(REGISTRY_KEYS[method] for method in methods))
    return classes, registry


# ---------------------------------------------------------------------------------------------
# --inspect: one plugin file checked before it is installed

UNIT_TYPES = {'filters': 'filter', 'scores': 'weight', 'balance': 'load_balancing'}   # as the engine names them


class ProblemCollector(logging.Handler):
    """Keeps what the loader logs at WARNING and above: the report's errors."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def defined_class_names(statements):
    """Names of the classes that module-level code defines (also under if, try, with)."""
    names = set()
    for node in statements:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for field in ('body', 'orelse', 'finalbody', 'handlers'):
                names |= defined_class_names(getattr(node, field, None) or [])
    return names


def class_names_in(path):
    """The class names a plugin file defines, read without running it (empty if unreadable)."""
    try:
        with open(path, 'rb') as stream:
            return defined_class_names(ast.parse(stream.read(), path).body)
    except (OSError, SyntaxError, ValueError):
        return set()


def property_map(spec):
    """{key: regex} of the well-formed entries of a properties_validation string."""
    entries = (entry.partition('=') for entry in spec.split(';'))
    return {key: regex for key, equals, regex in entries if equals and PROPERTY_KEY.fullmatch(key)}


def inspection_report(path, settings):
    """Loads one plugin file as the plugin host does; the report --inspect prints."""
    collector = ProblemCollector()   # the loader's messages only, not what the plugin logs
    host_log.addHandler(collector)
    host_log.propagate = False
    sys.dont_write_bytecode = True   # nothing may land in the plugin directory
    if not (path.endswith('.py') and os.path.isfile(path)):
        return {'units': [], 'errors': ['%s is not a *.py file' % path], 'collisions': []}
    sys.path.insert(0, settings.plugins_dir)   # helper modules beside the installed plugins
    with contextlib.suppress(OSError):
        os.chdir(settings.plugins_dir)
    classes, registry = load_plugins(os.path.dirname(path), settings.timeout, [path])
    units = [{'name': name, 'type': UNIT_TYPES[key], 'description': description,
              'properties': property_map(validation)}
             for key in REGISTRY_KEYS.values()
             for name, (description, validation) in sorted(registry[key].items())]
    errors = collector.messages
    if not units and not errors:
        errors.append('%s provides no unit: no class defined there has do_filter, do_score or '
                      'do_balance' % path)
    try:
        others = [other for other in list_plugin_files(settings.plugins_dir)
                  if os.path.basename(other) != os.path.basename(path)]
    except OSError:   # no plugin directory yet: nothing to collide with
        others = []
    defined_elsewhere = set().union(*[class_names_in(other) for other in others])
    return {'units': units, 'errors': errors, 'collisions': sorted(set(classes) & defined_elsewhere)}


def inspect_plugin(path, settings):
    """--inspect: loads one plugin file in a child process, prints its report, returns 0 or 1."""
    path = os.path.abspath(path)
    report_r, report_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(report_r)
            os.setpgid(0, 0)   # its own process group, so leftovers of the plugin can be killed
            os.dup2(2, 1)      # what the plugin prints while loading must not mix with the report
            write_all(report_w, json.dumps(inspection_report(path, settings)).encode('utf-8'))
            status = 0
        except BaseException:
            with contextlib.suppress(BaseException):
                traceback.print_exc()
        finally:
            os._exit(status)
    os.close(report_w)
    data, finished = bytearray(), False
    deadline = time.monotonic() + settings.timeout + REPLY_GRACE   # the loader's own timeout comes first
    with selectors.DefaultSelector() as selector:
        selector.register(report_r, selectors.EVENT_READ)
        while not finished and selector.select(max(0.0, deadline - time.monotonic())):
            chunk = os.read(report_r, 65536)
            data.extend(chunk)
            finished = not chunk
    os.close(report_r)
    with contextlib.suppress(OSError):   # the child still holds the group ID until it is reaped
        os.killpg(pid, signal.SIGKILL)
    status = os.waitpid(pid, 0)[1]
    try:
        report = json.loads(data.decode('utf-8'))
    except ValueError:
        if not finished:
            problem = 'loading %s took longer than %g s' % (path, settings.timeout)
        elif os.WIFSIGNALED(status):
            problem = 'the process loading %s was killed by signal %d' % (path, os.WTERMSIG(status))
        else:
            problem = 'the process loading %s exited with status %d before it reported' % (
                path, os.WEXITSTATUS(status))
        report = {'units': [], 'errors': [problem], 'collisions': []}
    print(json.dumps(report, indent=2, sort_keys=True))
    return 0 if report['units'] and not report['errors'] and not report['collisions'] else 1


def exit_status_of(code):
    """The status the interpreter would exit with for sys.exit(code)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def run_plugin_method(plugin_class, method, args):
    """Runs one plugin method the way a fresh interpreter would; returns the exit status."""
    try:
        getattr(plugin_class(), method)(*args)
    except SystemExit as exit_request:
        return exit_status_of(exit_request.code)
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


def copy_pages_ahead():
    """Does, in a spare waiting for its call, the kind of work a call starts with: decoding host
    IDs, building and printing a result. After fork() the first write to each page of memory
    copies it, and a call would otherwise spend a good part of its time on those copies."""
    host_ids = json.loads(json.dumps(['%036d' % index for index in range(1000)]))
    repr([(host_id, index) for index, host_id in enumerate(host_ids)])


def read_to_end(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b''.join(chunks)
        chunks.append(chunk)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class PluginProcess(object):
    """A child of the plugin host: a spare until it is handed one call, which it runs, then exits."""

    def __init__(self, pid, request_fd, stdout_fd, stderr_fd, status_fd):
        self.pid = pid
        self.request_fd = request_fd    # the call goes in here, then it is closed
        self.stdout_fd = stdout_fd
        self.stderr_fd = stderr_fd
        self.status_fd = status_fd      # the exit status comes back here, before the (slow) exit
        self.fds = {request_fd, stdout_fd, stderr_fd, status_fd}   # still open in the plugin host
        self.output = {stdout_fd: bytearray(), stderr_fd: bytearray(), status_fd: bytearray()}
        self.limits = {stdout_fd: STDOUT_LIMIT, stderr_fd: STDERR_LIMIT, status_fd: 16}
        self.call_id = None
        self.deadline = None
        self.status = None      # exit status, or -N when killed by signal N
        self.failure = None     # why the plugin host stopped the child early

    def reply(self, timed_out=False):
        stdout, stderr = (bytes(self.output[fd]).decode('utf-8', 'replace')
                          for fd in (self.stdout_fd, self.stderr_fd))
        return {'id': self.call_id, 'status': self.status, 'stdout': stdout, 'stderr': stderr,
                'timed_out': timed_out, 'failure': self.failure}


class PluginHostServer(object):
    """The plugin host's event loop: requests in, each run by a child of its own, replies out.

    Forking is the slow part of a call, so the loop keeps `spare_count` children forked
    ahead while it is idle; a request is handed to a spare, or to a new child if none is left.
    """

    def __init__(self, control, classes, spare_count):
        self.control = control
        self.classes = classes
        self.spare_count = spare_count
        self.processes = {}                 # pid -> PluginProcess, every child not yet reaped
        self.spares = collections.deque()   # children waiting for a call
        self.starved = False                # a call found no spare: refill without waiting
        self.calls = {}                     # pid -> PluginProcess running a call not yet answered
        self.connected = True
        self.requests = MessageReader()
        self.selector = selectors.DefaultSelector()
        self.wakeup_r, self.wakeup_w = os.pipe()

    def serve(self):
        os.set_blocking(self.wakeup_r, False)
        os.set_blocking(self.wakeup_w, False)
        # SIGCHLD writes to the wakeup pipe, so child exits wake up select() like any I/O
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        signal.set_wakeup_fd(self.wakeup_w)
        self.selector.register(self.control, selectors.EVENT_READ, self._read_requests)
        self.selector.register(self.wakeup_r, selectors.EVENT_READ, self._collect_exits)
        last_event = time.monotonic()
        while self.connected:
            # Forking competes for the CPU with calls in flight and with the proxy's work on a
            # reply, and calls come in bursts (the engine asks for filters, then for weights), so
            # spares are made once nothing has happened for SPARE_DELAY; at once if calls came
            # so fast that one found no spare.
            short_of_spares = not self.calls and len(self.spares) < self.spare_count
            if short_of_spares:
                quiet_time = 0.0 if self.starved else SPARE_DELAY
                timeout = max(0.0, last_event + quiet_time - time.monotonic())
            else:
                timeout = self._seconds_to_next_deadline()
            events = self.selector.select(timeout)
            for key, _mask in events:
                key.data(key.fileobj)
            self._expire_calls()
            if events:
                last_event = time.monotonic()
            elif short_of_spares:
                self._add_spare()
        for process in self.processes.values():   # the proxy is gone: nobody wants these results
            self._kill_group(process.pid)
            os.waitpid(process.pid, 0)

    def _seconds_to_next_deadline(self):
        if not self.calls:
            return None
        return max(0.0, min(process.deadline for process in self.calls.values()) - time.monotonic())

    def _read_requests(self, control):
        try:
            data = control.recv(65536)
        except OSError:
            data = b''
        if not data:
            self.connected = False
            return
        for request, arguments in self.requests.feed(data):
            for call_id, unit in request['calls']:
                self._start_call(call_id, unit, request['method'], request['timeout'], arguments)

    def _send(self, reply):
        try:
            send_message(self.control, reply)
        except OSError:
            self.connected = False

    def _fork(self):
        """A new child waiting for its call; raises OSError if it cannot be started."""
        pipes = []
        try:
            for _attempt in range(4):
                pipes.append(os.pipe())
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
        except OSError:
            for fd in itertools.chain.from_iterable(pipes):
                os.close(fd)
            raise
        (request_r, request_w), (stdout_r, stdout_w), (stderr_r, stderr_w), (status_r, status_w) = pipes
        if pid == 0:
            for fd in (request_w, stdout_r, stderr_r, status_r):
                os.close(fd)
            self._run_child(request_r, stdout_w, stderr_w, status_w)
        for fd in (request_r, stdout_w, stderr_w, status_w):
            os.close(fd)
        with contextlib.suppress(OSError):   # the child does the same; whoever runs first wins
            os.setpgid(pid, pid)
        process = PluginProcess(pid, request_w, stdout_r, stderr_r, status_r)
        self.processes[pid] = process
        # watched from now on, so handing over a call is one write; a spare sends nothing, or
        # end-of-file if it dies while waiting
        for fd in (stdout_r, stderr_r, status_r):
            os.set_blocking(fd, False)
            self.selector.register(fd, selectors.EVENT_READ, functools.partial(self._read_output, process))
        return process

    def _add_spare(self):
        try:
            self.spares.append(self._fork())
            if len(self.spares) == self.spare_count:
                self.starved = False
        except OSError as error:
            self.spare_count = len(self.spares)
            host_log.warning('keeping %d spare plugin processes, cannot fork more: %s',
                             self.spare_count, error)

    def _start_call(self, call_id, unit, method, timeout, arguments):
        if unit not in self.classes:
            self._send({'id': call_id, 'failure': 'not loaded by this plugin host'})
            return
        call = encode_message({'unit': unit, 'method': method}, arguments)
        while True:
            try:
                if self.spares:
                    process = self.spares.popleft()
                else:
                    process = self._fork()
                    self.starved = True
            except OSError as error:
                self._send({'id': call_id, 'failure': 'cannot start a plugin process: %s' % error})
                return
            try:
                write_all(process.request_fd, call)
                break
            except OSError:   # a spare that died while waiting; it is reaped with the others
                self._close_all(process)
        self._close(process, process.request_fd)
        process.call_id = call_id
        process.deadline = time.monotonic() + timeout
        self.calls[process.pid] = process

    def _run_child(self, request_r, stdout_w, stderr_w, status_w):
        """Runs in a forked child: waits for its call, runs it and exits; never returns."""
        status = 1
        try:
            os.setpgid(0, 0)   # its own process group, so a timeout also kills what it started
            signal.set_wakeup_fd(-1)
            for signum in (signal.SIGCHLD, signal.SIGHUP):
                signal.signal(signum, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            inherited = [self.control.fileno(), self.wakeup_r, self.wakeup_w, self.selector.fileno()]
            for fd in inherited + [fd for process in self.processes.values() for fd in process.fds]:
                os.close(fd)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(stdout_w, 1)
            os.dup2(stderr_w, 2)
            for fd in (null, stdout_w, stderr_w):
                os.close(fd)
            # a fresh interpreter would have no log handlers and its own random state
            logging.getLogger().handlers[:] = []
            logging.getLogger().setLevel(logging.WARNING)
            random.seed()
            copy_pages_ahead()
            data = read_to_end(request_r)
            if not data:   # the plugin host stopped before handing over a call
                os._exit(0)
            os.close(request_r)
            [(call, arguments)] = MessageReader().feed(data)
            status = run_plugin_method(self.classes[call['unit']], call['method'],
                                       json.loads(arguments.decode('utf-8')))
        except BaseException:
            with contextlib.suppress(BaseException):
                traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(BaseException):
                    stream.flush()
            with contextlib.suppress(OSError):   # so the plugin host has everything before the exit
                os.close(1)
                os.close(2)
                os.write(status_w, b'%d' % status)
                os.close(status_w)
            # Exiting (tearing down a copy of the plugin host) takes longer than most plugin runs.
            # At the idle priority, and after handing over the CPU, it waits until nothing else
            # wants the CPU, so it never delays the plugin host reading the output or a reply.
            with contextlib.suppress(OSError):
                os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
                os.sched_yield()
            os._exit(status)

    def _read_output(self, process, fd):
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        buffer = process.output[fd]
        if data and len(buffer) + len(data) <= process.limits[fd]:
            buffer.extend(data)
            return
        if data:
            process.failure = 'wrote more than %d bytes to %s' % (
                process.limits[fd], 'stdout' if fd == process.stdout_fd else 'stderr')
            self._kill_group(process.pid)
        elif fd == process.status_fd and buffer:
            process.status = int(buffer)
        self._close(process, fd)
        self._finish_if_done(process)

    def _close(self, process, fd):
        with contextlib.suppress(KeyError):
            self.selector.unregister(fd)
        os.close(fd)
        process.fds.discard(fd)

    def _close_all(self, process):
        for fd in list(process.fds):
            self._close(process, fd)

    def _collect_exits(self, wakeup_r):
        with contextlib.suppress(BlockingIOError):
            os.read(wakeup_r, 4096)
        for process in list(self.processes.values()):
            if not self._has_exited(process.pid):
                continue
            # kill leftovers while the exited child still holds the group ID, then reap it
            self._kill_group(process.pid)
            status = self._reap(process.pid)
            del self.processes[process.pid]
            if process in self.spares:
                self.spares.remove(process)
                self._close_all(process)
            elif process.status is None:
                process.status = status
                self._finish_if_done(process)

    @staticmethod
    def _has_exited(pid):
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None

    @staticmethod
    def _reap(pid):
        status = os.waitpid(pid, 0)[1]
        if os.WIFSIGNALED(status):
            return -os.WTERMSIG(status)
        return os.WEXITSTATUS(status)

    @staticmethod
    def _kill_group(pid):
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)

    def _finish_if_done(self, process):
        if process.pid in self.calls and process.status is not None and not process.fds:
            del self.calls[process.pid]
            self._send(process.reply())

    def _expire_calls(self):
        now = time.monotonic()
        for process in [process for process in self.calls.values() if process.deadline <= now]:
            self._kill_group(process.pid)
            self._close_all(process)
            del self.calls[process.pid]
            self._send(process.reply(timed_out=True))


def run_plugin_host(args):
    """Entry point of the plugin host process (--plugin-host FD)."""
    setup_logging(args.log_level or DEFAULTS['log_level'])
    control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=args.plugin_host)
    # prints at import time go to the log; fd 1 is the result pipe only inside a plugin call
    os.dup2(2, 1)
    sys.stdout = open(1, 'w', encoding='utf-8', errors='backslashreplace', closefd=False)
    sys.stderr = open(2, 'w', encoding='utf-8', errors='backslashreplace', closefd=False)
    # the proxy decides when this process stops, by closing the control socket
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    sys.dont_write_bytecode = True   # every reload reads the plugin files afresh
    with contextlib.suppress(OSError):
        os.chdir(args.plugins_dir)   # upstream ran plugins from their directory
    classes, registry = load_plugins(args.plugins_dir, float(args.timeout))
    try:
        send_message(control, {'registry': registry})
    except OSError:
        return 1
    PluginHostServer(control, classes, int(args.parallel)).serve()
    return 0


# ---------------------------------------------------------------------------------------------
# Proxy side

class PluginHostError(Exception):
    """The plugin host process could not be started."""


class PluginHost(object):
    """The proxy's handle on one plugin host process: its units and the calls it runs."""

    def __init__(self, settings, on_unexpected_exit):
        self.settings = settings
        self.on_unexpected_exit = on_unexpected_exit
        self.lock = threading.Lock()      # guards pending, users, retired, alive, closing
        self.send_lock = threading.Lock()
        self.pending = {}
        self.call_ids = itertools.count(1)
        self.users = 0
        self.retired = False
        self.alive = True
        self.closing = False
        self.replies = MessageReader()
        self.sock, child_end = socket.socketpair()
        command = [sys.executable, SCRIPT, '--plugin-host', str(child_end.fileno()),
                   '--plugins-dir', settings.plugins_dir, '--timeout', repr(settings.timeout),
                   '--parallel', str(settings.parallel), '--log-level', settings.log_level]
        try:
            self.process = subprocess.Popen(command, pass_fds=[child_end.fileno()],
                                            stdin=subprocess.DEVNULL)
        except OSError as error:
            self.sock.close()
            raise PluginHostError('cannot start the plugin host: %s' % error)
        finally:
            child_end.close()
        self.registry = self._wait_for_registry()
        threading.Thread(target=self._read_replies, daemon=True,
                         name='plugin-host-%d' % self.process.pid).start()

    def _wait_for_registry(self):
        try:
            file_count = len(list_plugin_files(self.settings.plugins_dir))
        except OSError:
            file_count = 0
        load_timeout = self.settings.timeout * (file_count + 1)   # each file may take `timeout`
        self.sock.settimeout(load_timeout)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    raise PluginHostError('the plugin host exited while loading plugins (status %s)'
                                          % self.process.wait())
                messages = self.replies.feed(data)
                if messages:
                    self.sock.settimeout(None)
                    return messages[0][0]['registry']
        except socket.timeout:
            self.process.kill()
            self.process.wait()
            self.sock.close()
            raise PluginHostError('loading the plugins took longer than %g s' % load_timeout)
        except PluginHostError:
            self.sock.close()
            raise

    def describe(self):
        return ', '.join('%d %s' % (len(self.registry[key]), key) for key in REGISTRY_KEYS.values())

    def retain(self):
        with self.lock:
            self.users += 1

    def release(self):
        with self.lock:
            self.users -= 1
            idle_and_retired = self.retired and self.users == 0
        if idle_and_retired:
            self.close()

    def retire(self):
        """Stops the plugin host once the calls that still use it are done."""
        with self.lock:
            self.retired = True
            idle = self.users == 0
        if idle:
            self.close()

    def close(self):
        with self.lock:
            if self.closing:
                return
            self.closing = True
        # the plugin host sees the end of its control socket, kills what still runs and exits
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)

    def stop(self):
        """Closes the plugin host and waits for it to exit (used when the proxy stops)."""
        self.close()
        try:
            self.process.wait(REPLY_GRACE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _read_replies(self):
        with contextlib.suppress(OSError):
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                for reply, _payload in self.replies.feed(data):
                    with self.lock:
                        future = self.pending.pop(reply['id'], None)
                    if future is not None:
                        future.set_result(reply)
        with self.lock:
            self.alive = False
            orphans = list(self.pending.values())
            self.pending.clear()
            expected = self.closing
        for future in orphans:
            future.set_result({'failure': 'the plugin host process exited'})
        status = self.process.wait()
        self.sock.close()
        if not expected:
            log.error('plugin host %d exited unexpectedly (status %s)', self.process.pid, status)
            self.on_unexpected_exit(self)

    def submit(self, units, method, arguments, timeout):
        """Starts one plugin call per unit, in one message (arguments: JSON bytes); returns
        {future: unit}, where a future's result is the plugin host's reply."""
        started = {futures.Future(): unit for unit in units}
        calls = []
        with self.lock:
            if not self.alive:
                for future in started:
                    future.set_result({'failure': 'the plugin host process is not running'})
                return started
            for future, unit in started.items():
                call_id = next(self.call_ids)
                self.pending[call_id] = future
                calls.append([call_id, unit])
        try:
            with self.send_lock:
                send_message(self.sock, {'calls': calls, 'method': method, 'timeout': timeout}, arguments)
        except OSError as error:
            with self.lock:   # those the reader has not answered yet, now that the host is gone
                unanswered = [self.pending.pop(call_id) for call_id, _unit in calls if call_id in self.pending]
            for future in unanswered:
                future.set_result({'failure': 'cannot send the call to the plugin host: %s' % error})
        return started

    def run(self, units, method, args):
        """Runs the units, `parallel` at a time, within one `timeout`; returns {unit: reply}."""
        deadline = time.monotonic() + self.settings.timeout
        try:
            arguments = json.dumps(args, ensure_ascii=False).encode('utf-8')
        except (TypeError, ValueError) as error:
            return {unit: {'failure': 'cannot send the call to the plugin host: %s' % error} for unit in units}
        waiting = collections.deque(units)
        running = {}
        replies = {}
        while waiting or running:
            batch = [waiting.popleft() for _slot in range(min(len(waiting), self.settings.parallel - len(running)))]
            if batch:
                remaining = deadline - time.monotonic()
                if remaining > 0:
                    running.update(self.submit(batch, method, arguments, remaining))
                else:
                    replies.update((unit, {'timed_out': True}) for unit in batch)
            if not running:
                continue
            done, _pending = futures.wait(running, return_when=futures.FIRST_COMPLETED,
                                          timeout=max(0.0, deadline - time.monotonic()) + REPLY_GRACE)
            if not done:
                for unit in running.values():
                    replies[unit] = {'failure': 'the plugin host did not answer in time'}
                running.clear()
            for future in done:
                replies[running.pop(future)] = future.result()
        return replies


class PluginFailure(Exception):
    """A plugin run failed or printed something unusable; the message says which."""


def last_line(text):
    return text.strip().splitlines()[-1][:500]


# Filters and weights print a list of host IDs or of (host ID, number) pairs, as repr() writes
# them. ast.literal_eval needs a third of a millisecond for 100 pairs; JSON reads the same text
# in a twentieth of that, once quotes become double quotes and the pairs' parentheses brackets.
# SIMPLE_LIST admits only text where that swap cannot change the meaning: strings without
# quotes, backslashes or parentheses, numbers in the syntax JSON and Python share, parentheses
# only around a (string, number) pair. Everything else, and whatever JSON still refuses (a tab
# in a string, a form feed between items), is read by ast.literal_eval. Pairs come back as
# lists; callers take both.
SIMPLE_STRING = r"'[^'\"\\()]*'"
SIMPLE_NUMBER = r'-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?'
SIMPLE_PAIR = r'\(\s*%s\s*,\s*%s\s*\)' % (SIMPLE_STRING, SIMPLE_NUMBER)
SIMPLE_LIST = re.compile(r'\[\s*(?:(?:{0}\s*,\s*)*{0}|(?:{1}\s*,\s*)*{1})?\s*\]'.format(
    SIMPLE_STRING, SIMPLE_PAIR))
PYTHON_TO_JSON = str.maketrans({"'": '"', '(': '[', ')': ']'})


def read_literal(text):
    """The value of a Python literal, as ast.literal_eval reads it (see SIMPLE_LIST)."""
    if SIMPLE_LIST.fullmatch(text):
        with contextlib.suppress(ValueError):
            return json.loads(text.translate(PYTHON_TO_JSON))
    return ast.literal_eval(text)


def plugin_output(reply, timeout):
    """The literal a plugin run printed (None if nothing); raises PluginFailure if it failed."""
    if reply.get('timed_out'):
        raise PluginFailure('timed out after %g s and was killed' % timeout)
    if reply.get('failure'):
        raise PluginFailure(reply['failure'])
    stderr, status = reply['stderr'], reply['status']
    if status != 0:
        how = 'killed by signal %d' % -status if status < 0 else 'exited with status %d' % status
        raise PluginFailure(how + (': ' + last_line(stderr) if stderr.strip() else ''))
    if stderr:
        raise PluginFailure('wrote to stderr: ' + (last_line(stderr) if stderr.strip() else repr(stderr)))
    text = reply['stdout'].strip()
    if not text:
        return None
    try:
        return read_literal(text)
    except Exception:   # literal_eval raises several kinds, even MemoryError-like ones for junk
        raise PluginFailure('printed something that is not a Python literal: %r' % text[:200])


def is_host_id_list(value):
    return isinstance(value, (list, tuple, set, frozenset)) and all(isinstance(h, str) for h in value)


def filter_result(value):
    if value is None:
        raise PluginFailure('printed no result')
    if not is_host_id_list(value):
        raise PluginFailure('the result is not a list of host IDs: %r' % (value,))
    return value


def is_score_pair(pair):
    return (len(pair) == 2 and isinstance(pair[0], str) and isinstance(pair[1], (int, float))
            and not isinstance(pair[1], bool) and math.isfinite(pair[1]))


def score_result(value):
    if value is None:
        raise PluginFailure('printed no result')
    try:
        pairs = [tuple(pair) for pair in value]
    except TypeError:
        pairs = None
    if pairs is None or not all(is_score_pair(pair) for pair in pairs):
        raise PluginFailure('the result is not a list of (host ID, number) pairs: %r' % (value,))
    return pairs


def balance_result(value):
    if value is None:   # nothing to migrate
        return ['', []]
    if isinstance(value, (list, tuple)) and len(value) == 2:
        vm, hosts = value
        if (vm is None or isinstance(vm, str)) and is_host_id_list(hosts):
            return [vm or '', list(hosts)]
    raise PluginFailure('the result is not (VM ID, [host IDs]): %r' % (value,))


def engine_integer(number):
    return min(INT32_MAX, max(INT32_MIN, int(round(number))))


class Reply(object):
    """The envelope the engine expects from runFilters, runCostFunctions and runLoadBalancing."""

    def __init__(self):
        self.result = []
        self.plugin_errors = {}   # a plain dict: xmlrpc.client cannot marshal subclasses
        self.errors = []

    def plugin_error(self, name, message):
        self.plugin_errors.setdefault(name, []).append(message)

    def error(self, message):
        self.errors.append(message)

    def to_wire(self):
        wire = {'result_code': 1 if self.plugin_errors or self.errors else 0, 'result': self.result}
        if self.plugin_errors:
            wire['plugin_errors'] = self.plugin_errors
        if self.errors:
            wire['errors'] = self.errors
        return wire


class SchedulerProxy(object):
    """The XML-RPC methods, served by the current plugin host."""

    def __init__(self, settings, request_restart):
        self.settings = settings
        self.request_restart = request_restart
        self.host = None
        self.host_lock = threading.Lock()

    def load(self):
        """Starts a plugin host on the current plugin files and sends new calls to it."""
        new_host = PluginHost(self.settings, self._host_exited)
        with self.host_lock:
            old_host, self.host = self.host, new_host
        if old_host is not None:
            old_host.retire()
        log.info('plugins loaded from %s: %s', self.settings.plugins_dir, new_host.describe())
        return new_host.describe()

    def stop(self):
        with self.host_lock:
            host = self.host
        host.stop()

    def _host_exited(self, host):
        if host is self.host:
            self.request_restart()

    @contextlib.contextmanager
    def _current_host(self):
        with self.host_lock:
            host = self.host
            host.retain()
        try:
            yield host
        finally:
            host.release()

    def _known_units(self, host, kind, names, reply):
        """The requested units this host has, once each; reports the others as not found."""
        known = []
        for name in names:
            if name not in host.registry[kind]:
                log.warning('%s requested but not loaded: %s', kind, name)
                reply.plugin_error(name, "plugin not found: '%s'" % name)
            elif name not in known:
                known.append(name)
        return known

    def _value(self, reply, kind, name, plugin_reply, check):
        try:
            return check(plugin_output(plugin_reply, self.settings.timeout))
        except PluginFailure as failure:
            stderr = plugin_reply.get('stderr', '').strip()
            log.warning('%s %s failed: %s%s', kind, name, failure,
                        '\n' + stderr[-2000:] if stderr else '')
            reply.plugin_error(name, str(failure))
            return None

    def discover(self):
        """Units loaded: {"filters"|"scores"|"balance": {class name: [description, regex]}}."""
        with self._current_host() as host:
            return host.registry

    def runFilters(self, filters, hosts, vm, properties):
        """Runs filter units; result: the host IDs every successful filter accepted."""
        reply = Reply()
        with self._current_host() as host:
            units = self._known_units(host, 'filters', filters, reply)
            plugin_replies = host.run(units, FILTER, [hosts, vm, properties])
        accepted = None
        for unit in units:
            value = self._value(reply, 'filter', unit, plugin_replies[unit], filter_result)
            if value is not None:
                accepted = set(value) if accepted is None else accepted & set(value)
        if accepted is None:
            reply.error('all filters failed')
            reply.result = list(hosts)
        else:
            reply.result = [host_id for host_id in hosts if host_id in accepted]
        log.debug('runFilters %s on %d hosts: %s', filters, len(hosts), reply.to_wire())
        return reply.to_wire()

    def runCostFunctions(self, cost_functions, hosts, vm, properties):
        """Runs weight units; result: [host ID, sum of factor * score] per scored host."""
        reply = Reply()
        factors = [tuple(pair) for pair in cost_functions]
        with self._current_host() as host:
            units = self._known_units(host, 'scores', [name for name, _factor in factors], reply)
            plugin_replies = host.run(units, SCORE, [hosts, vm, properties])
        scores = {unit: self._value(reply, 'score', unit, plugin_replies[unit], score_result)
                  for unit in units}
        totals = {}
        for name, factor in factors:
            for host_id, score in scores.get(name) or ():
                totals[host_id] = totals.get(host_id, 0) + factor * score
        reply.result = [[host_id, engine_integer(totals[host_id])] for host_id in hosts
                        if host_id in totals]
        if any(plugin_reply.get('timed_out') for plugin_reply in plugin_replies.values()):
            reply.error('Waiting on score functions timed out')
        log.debug('runCostFunctions %s on %d hosts: %s', cost_functions, len(hosts), reply.to_wire())
        return reply.to_wire()

    def runLoadBalancing(self, balance, hosts, properties):
        """Runs one balance unit; result: [VM ID to migrate or "", [host IDs to migrate to]]."""
        reply = Reply()
        with self._current_host() as host:
            if balance not in host.registry['balance']:
                message = 'Load balance requested but was not found: %s' % balance
                log.warning(message)
                reply.plugin_error(balance, message)
                return reply.to_wire()
            plugin_reply = host.run([balance], BALANCE, [hosts, properties])[balance]
        value = self._value(reply, 'balance', balance, plugin_reply, balance_result)
        reply.result = value if value is not None else ['', []]
        log.debug('runLoadBalancing %s on %d hosts: %s', balance, len(hosts), reply.to_wire())
        return reply.to_wire()


def make_server(settings, proxy):
    """A threaded XML-RPC server with the engine's four methods and introspection."""
    # imported here, not at the top: xmlrpc.server pulls in pydoc and http.server, which would
    # double the memory of the plugin host and so the cost of every fork and exit of its children
    from socketserver import ThreadingMixIn
    from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

    family, address = None, None
    for candidate in (socket.AF_INET, socket.AF_INET6):   # IPv4 first, as upstream bound AF_INET
        try:
            family, _type, _proto, _canonname, address = socket.getaddrinfo(
                settings.host, settings.port, candidate, socket.SOCK_STREAM)[0]
            break
        except socket.gaierror:
            continue
    if address is None:
        raise OSError('cannot resolve %r' % settings.host)

    class RequestHandler(SimpleXMLRPCRequestHandler):
        # HTTP/1.1 keeps the engine's connection open between calls, which saves a connection
        # and a thread per call; an idle connection is closed after KEEP_ALIVE_TIMEOUT
        protocol_version = 'HTTP/1.1'
        timeout = KEEP_ALIVE_TIMEOUT

        def log_message(self, format, *args):   # noqa: A002 - the base class names it so
            log.debug('%s: %s', self.address_string(), format % args)

    class Server(ThreadingMixIn, SimpleXMLRPCServer):
        address_family = family
        allow_reuse_address = True
        daemon_threads = True   # a stuck engine connection must not hold up a stop

    server = Server(address, requestHandler=RequestHandler, allow_none=True, logRequests=False)
    server.register_introspection_functions()
    for name in ('discover', 'runFilters', 'runCostFunctions', 'runLoadBalancing'):
        server.register_function(getattr(proxy, name), name)
    return server


def serve_requests(server, stop_r):
    """Serves XML-RPC until stop_r is readable (serve_forever would wake up every 0.5 s)."""
    with selectors.DefaultSelector() as selector:
        selector.register(server, selectors.EVENT_READ)
        selector.register(stop_r, selectors.EVENT_READ)
        while stop_r not in [key.fileobj for key, _mask in selector.select()]:
            server.handle_request()   # ThreadingMixIn answers each request in a thread of its own


def notify_systemd(address, state):
    """Reports start-up, reloads and stops to systemd (Type=notify); no-op outside systemd."""
    if not address:
        return
    if address.startswith('@'):
        address = '\0' + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        with contextlib.suppress(OSError):
            sock.sendto(state.encode('utf-8'), address)


def serve(settings):
    # plugins must not be able to talk to systemd in the proxy's name
    notify_socket = os.environ.pop('NOTIFY_SOCKET', None)
    events_r, events_w = os.pipe()
    os.set_blocking(events_w, False)
    for signum in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, frame: None)
    signal.set_wakeup_fd(events_w)   # the main loop below reads the signal numbers from the pipe

    def request_restart():
        with contextlib.suppress(BlockingIOError):
            os.write(events_w, bytes([RESTART_EVENT]))

    proxy = SchedulerProxy(settings, request_restart)
    try:
        units_loaded = proxy.load()
    except PluginHostError as error:
        log.critical('cannot start: %s', error)
        return 1
    try:
        server = make_server(settings, proxy)
    except OSError as error:
        log.critical('cannot listen on %s port %d: %s', settings.host, settings.port, error)
        proxy.stop()
        return 1
    stop_r, stop_w = os.pipe()
    server_thread = threading.Thread(target=serve_requests, args=(server, stop_r), name='xmlrpc')
    server_thread.start()
    host, port = server.server_address[:2]
    log.info('serving XML-RPC on http://%s:%d/', '[%s]' % host if ':' in host else host, port)
    notify_systemd(notify_socket, 'READY=1\nSTATUS=%s' % units_loaded)

    while True:
        events = os.read(events_r, 64)
        if signal.SIGTERM in events or signal.SIGINT in events:
            break
        if signal.SIGHUP in events or RESTART_EVENT in events:
            notify_systemd(notify_socket, 'RELOADING=1')
            log.info('reloading plugins' if signal.SIGHUP in events else 'restarting the plugin host')
            try:
                units_loaded = proxy.load()
            except PluginHostError as error:
                log.error('reload failed, the plugins loaded before stay in service: %s', error)
            notify_systemd(notify_socket, 'READY=1\nSTATUS=%s' % units_loaded)
    log.info('stopping')
    notify_systemd(notify_socket, 'STOPPING=1')
    os.write(stop_w, b'stop')
    server_thread.join()
    server.server_close()
    proxy.stop()
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.plugin_host is not None:
        return run_plugin_host(args)
    try:
        settings = resolve_settings(args)
    except ConfigError as error:
        parser.print_usage(sys.stderr)
        print('%s: error: %s' % (parser.prog, error), file=sys.stderr)
        return 2
    if args.inspect is not None:
        return inspect_plugin(args.inspect, settings)
    setup_logging(settings.log_level)
    return serve(settings)


if __name__ == '__main__':
    sys.exit(main())
