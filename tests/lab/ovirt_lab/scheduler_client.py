"""The engine's XML-RPC client for the external scheduler proxy (ovirt-scheduler-proxy).

Follows ``ExternalSchedulerBrokerImpl``, ``ExternalSchedulerBrokerObjectBuilder`` and
``ExternalSchedulerDiscoveryResult``:

* timeouts are the engine's two options, in milliseconds: ``ExternalSchedulerConnectionTimeout``
  (connect) and ``ExternalSchedulerResponseTimeout`` (reading the reply); 0 means no timeout;
* any transport failure (refused connection, timeout, HTTP error, XML-RPC fault, unparsable XML)
  raises :class:`SchedulerProxyError`: the engine then logs, raises audit event 9920 and degrades
  (filters keep every host, scores give nothing, balance migrates nothing);
* a reply that the engine's parser would crash on raises :class:`MalformedReplyError` (a subclass);
* replies in the old format (a bare array) are accepted as they are; a struct is read through
  ``result_code``/``result``, and when ``result_code`` is not 0 its ``plugin_errors`` and ``errors``
  become audit events 10500/10501, appended to the ``events`` list the caller passes.
"""

import http.client
import logging
import socket
import uuid
import xmlrpc.client
from xml.parsers.expat import ExpatError
from typing import NamedTuple
from urllib.parse import urlsplit

from .config_store import parse_properties_spec, syntax_error_in_properties

_log = logging.getLogger("ovirt_lab.scheduler_client")

FAILED_TO_CONNECT_TO_SCHEDULER_PROXY = 9920
EXTERNAL_SCHEDULER_PLUGIN_ERROR = 10500
EXTERNAL_SCHEDULER_ERROR = 10501
FAILED_TO_CONNECT_MESSAGE = (
    "Failed to connect to external scheduler proxy. External filters, scoring functions and load balancing"
    " will not be performed."
)
UNIT_TYPES = {"filters": "filter", "scores": "weight", "balance": "load_balancing"}


class Timeouts(NamedTuple):
    connection_ms: int = 100
    response_ms: int = 120000


DEFAULT_TIMEOUTS = Timeouts()


class SchedulerEvent(NamedTuple):
    code: int
    message: str


class SchedulerProxyError(Exception):
    """The XML-RPC call itself failed (the engine's ``XmlRpcException`` path)."""


class MalformedReplyError(SchedulerProxyError):
    """The reply has a shape the engine's parser fails on with an unchecked exception."""


class _TimedConnection(http.client.HTTPConnection):
    """HTTP connection with Apache XML-RPC's two timeouts: one to connect, one to read."""

    def __init__(self, host, timeouts):
        super().__init__(host)
        self._timeouts = timeouts

    def connect(self):
        connect_timeout = self._timeouts.connection_ms / 1000 or None
        self.sock = socket.create_connection((self.host, self.port), connect_timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(self._timeouts.response_ms / 1000 or None)


class _TimedTransport(xmlrpc.client.Transport):
    def __init__(self, timeouts):
        super().__init__()
        self._timeouts = timeouts

    def make_connection(self, host):
        # One transport per call, so there is no connection to reuse.
        chost, self._extra_headers, _x509 = self.get_host_info(host)
        self._connection = host, _TimedConnection(chost, self._timeouts)
        return self._connection[1]


def _as_timeouts(timeouts):
    """A :class:`Timeouts`, or a number of seconds for the reply (the connection keeps its default)."""
    if isinstance(timeouts, Timeouts):
        return timeouts
    return DEFAULT_TIMEOUTS._replace(response_ms=int(timeouts * 1000))


def _call(url, method, args, timeouts):
    timeouts = _as_timeouts(timeouts)
    if urlsplit(url).scheme != "http":
        raise SchedulerProxyError(f"unsupported external scheduler URL: {url}")
    proxy = xmlrpc.client.ServerProxy(url, transport=_TimedTransport(timeouts), allow_none=True)
    try:
        return getattr(proxy, method)(*args)
    except (OSError, http.client.HTTPException, xmlrpc.client.Error, ExpatError, ValueError) as error:
        # Every one of these (ExpatError/ValueError: XML the parser rejects) is an XmlRpcException in Java.
        raise SchedulerProxyError(f"{type(error).__name__}: {error}") from error
    finally:
        proxy("close")()


def discover(url, timeouts=DEFAULT_TIMEOUTS):
    """Call ``discover()`` and return its struct; ``SchedulerProxyError`` when it is not a struct
    or has a top-level key other than ``filters``, ``scores`` and ``balance``.

    ``timeouts`` (every call takes it) is a :class:`Timeouts` in milliseconds, or a number of
    seconds for the reply."""
    reply = _call(url, "discover", (), timeouts)
    if not isinstance(reply, dict):
        _log.error("External scheduler error, malformed discover results")
        raise MalformedReplyError("malformed discover results")
    unknown = [key for key in reply if key not in UNIT_TYPES]
    if unknown:
        _log.error("External scheduler error, got unknown type")
        raise MalformedReplyError(f"unknown discovery type: {unknown[0]}")
    return reply


def parse_discovery(result):
    """The policy units of a ``discover()`` struct, as ``ExternalSchedulerDiscoveryResult`` reads it.

    Each unit is ``{"name", "type": "filter"|"weight"|"load_balancing", "description",
    "properties": {name: regex}}``. A module whose property specification is not
    ``name=regex;...`` is skipped with the engine's log line; a module entry that is not
    ``[description, regex]`` fails the whole discovery (:class:`MalformedReplyError`).
    """
    units = []
    for type_key, modules in result.items():
        if type_key not in UNIT_TYPES:
            _log.error("External scheduler error, got unknown type")
            raise MalformedReplyError(f"unknown discovery type: {type_key}")
        try:
            entries = list(modules.items())
            for name, module in entries:
                if not isinstance(module, list) or None in module[:2]:
                    raise TypeError(f"module {name!r} is not [description, regex]: {module!r}")
                description, spec = _java_string(module[0]), _java_string(module[1])
                if spec and syntax_error_in_properties(spec):
                    _log.error("Module '%s' will not be loaded, wrong custom properties format (%s)", name, spec)
                    continue
                units.append({
                    "name": name,
                    "type": UNIT_TYPES[type_key],
                    "description": description,
                    "properties": parse_properties_spec(spec),
                })
        except (AttributeError, IndexError, KeyError, TypeError) as error:
            _log.error("External scheduler error, exception while parsing discovery results: %s", error)
            raise MalformedReplyError(f"exception while parsing discovery results: {error}") from error
    return units


def run_filters(url, names, host_ids, vm_id, props, timeouts=DEFAULT_TIMEOUTS, events=None):
    """Host ids the external filters keep; ``host_ids`` unchanged without calling when ``names``
    is empty. A reply the engine cannot read as a result yields no host at all."""
    if not names:
        return list(host_ids)
    reply = _call(url, "runFilters", (list(names), [str(h) for h in host_ids], str(vm_id), dict(props)), timeouts)
    result = _common_fields(reply, events)
    if result is None:
        return []
    return [_guid(host) for host in _as_array(result)]


def run_cost_functions(url, pairs, host_ids, vm_id, props, timeouts=DEFAULT_TIMEOUTS, events=None):
    """``[(host_id, score)]`` for ``[(unit_name, factor)]``; ``[]`` without calling when ``pairs``
    is empty. Entries after the first malformed one are dropped, as the engine drops them."""
    if not pairs:
        return []
    arguments = ([[name, factor] for name, factor in pairs], [str(h) for h in host_ids], str(vm_id), dict(props))
    result = _common_fields(_call(url, "runCostFunctions", arguments, timeouts), events)
    if result is None:
        return []
    scores = []
    for entry in _as_array(result):
        if not isinstance(entry, list) or not 2 <= len(entry) <= 3:
            _log.error("External scheduler error, malformed score results")
            break
        if not isinstance(entry[1], int) or isinstance(entry[1], bool):
            raise MalformedReplyError(f"score is not an integer: {entry[1]!r}")
        scores.append((_guid(entry[0]), entry[1]))
    return scores


def run_load_balancing(url, name, host_ids, props, timeouts=DEFAULT_TIMEOUTS, events=None):
    """``(vm_id_to_migrate or None, [under-utilised host ids])``."""
    reply = _call(url, "runLoadBalancing", (name, [str(h) for h in host_ids], dict(props)), timeouts)
    result = _common_fields(reply, events)
    if result is None:
        return None, []
    result = _as_array(result)
    try:
        vm_field, hosts = result[0], result[1]
    except IndexError as error:
        raise MalformedReplyError("balance result is not [vm, [hosts]]") from error
    vm_text = _java_string(vm_field)
    return (_guid(vm_text) if vm_text else None), [_guid(host) for host in _as_array(hosts)]


def _common_fields(reply, events):
    """``populateCommonFields``: the raw ``result`` of a reply, recording its error events."""
    if isinstance(reply, list):
        _log.info("Got old XMLRPC response from external scheduler")
        return reply
    if not isinstance(reply, dict):
        _log.error("External scheduler error, malformed filter results")
        return None
    result_code = reply.get("result_code")
    if not isinstance(result_code, int) or isinstance(result_code, bool):
        raise MalformedReplyError(f"result_code is not an integer: {result_code!r}")
    if result_code != 0:
        plugin_errors = reply.get("plugin_errors") or {}
        errors = reply.get("errors") or []
        if not isinstance(plugin_errors, dict) or not isinstance(errors, list):
            raise MalformedReplyError("plugin_errors must be a struct and errors an array")
        for plugin, messages in plugin_errors.items():
            for message in _as_array(messages):
                _record(events, EXTERNAL_SCHEDULER_PLUGIN_ERROR,
                        f"Running the external scheduler plugin '{plugin}' failed: '{_java_string(message)}'")
        for message in errors:
            if not isinstance(message, str):
                raise MalformedReplyError(f"error message is not a string: {message!r}")
            _record(events, EXTERNAL_SCHEDULER_ERROR, f"Running the external scheduler failed: '{message}'")
    return reply.get("result")


def _record(events, code, message):
    _log.error(message)
    if events is not None:
        events.append(SchedulerEvent(code, message))


def _as_array(value):
    if not isinstance(value, list):
        raise MalformedReplyError(f"expected an array, got {value!r}")
    return value


def _java_string(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _guid(value):
    try:
        return str(uuid.UUID(_java_string(value)))
    except ValueError as error:
        raise MalformedReplyError(f"not a GUID: {value!r}") from error
