"""The engine's XML-RPC client for the external scheduler proxy (reference §2.3-2.5)."""

import logging
import socket
import sys
import threading
import time
import uuid
from pathlib import Path
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

import pytest

LAB = str(Path(__file__).resolve().parents[1])
if LAB not in sys.path:
    sys.path.insert(0, LAB)

from ovirt_lab import scheduler_client as client  # noqa: E402
from ovirt_lab.scheduler_client import MalformedReplyError, SchedulerEvent, SchedulerProxyError, Timeouts  # noqa: E402

HOST_A, HOST_B, HOST_C = (str(uuid.UUID(int=n)) for n in (1, 2, 3))
VM = str(uuid.UUID(int=42))
FAST = Timeouts(connection_ms=500, response_ms=2000)


class QuietHandler(SimpleXMLRPCRequestHandler):
    def log_message(self, *args):
        pass


class FakeProxy:
    """A loopback XML-RPC server whose replies the test sets; it records every call."""

    def __init__(self):
        self.replies = {}
        self.calls = []
        self.server = SimpleXMLRPCServer(("127.0.0.1", 0), requestHandler=QuietHandler, allow_none=True, logRequests=False)
        self.server.register_instance(self)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def _dispatch(self, method, params):
        self.calls.append((method, params))
        reply = self.replies[method]
        return reply(*params) if callable(reply) else reply

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy():
    fake = FakeProxy()
    yield fake
    fake.close()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


DISCOVERY = {
    "filters": {"MaxVmCount": ["Keeps hosts below a VM count", "maximum_vm_count=[0-9]*"]},
    "scores": {"Memory": ["", "minimum_host_memoryMB=[0-9]*;safe_selection=True|False"]},
    "balance": {"Spread": ["Moves one VM", ""], "Braces": ["bad", "{key1 = regex1, key2 = regex2}"]},
}


def test_discover_and_parse(proxy, caplog):
    proxy.replies["discover"] = DISCOVERY
    result = client.discover(proxy.url, FAST)
    assert result == DISCOVERY
    with caplog.at_level(logging.ERROR, logger="ovirt_lab.scheduler_client"):
        units = client.parse_discovery(result)
    assert units == [
        {"name": "MaxVmCount", "type": "filter", "description": "Keeps hosts below a VM count",
         "properties": {"maximum_vm_count": "[0-9]*"}},
        {"name": "Memory", "type": "weight", "description": "",
         "properties": {"minimum_host_memoryMB": "[0-9]*", "safe_selection": "True|False"}},
        {"name": "Spread", "type": "load_balancing", "description": "Moves one VM", "properties": {}},
    ]
    assert caplog.messages == [
        "Module 'Braces' will not be loaded, wrong custom properties format ({key1 = regex1, key2 = regex2})"
    ]


def test_discovery_reply_shapes(proxy):
    proxy.replies["discover"] = {"filters": {}}
    assert client.parse_discovery(client.discover(proxy.url, FAST)) == []
    proxy.replies["discover"] = {"filters": {}, "weights": {}}
    with pytest.raises(MalformedReplyError):
        client.discover(proxy.url, FAST)
    proxy.replies["discover"] = ["filters"]
    with pytest.raises(MalformedReplyError):
        client.discover(proxy.url, FAST)
    with pytest.raises(MalformedReplyError):
        client.parse_discovery({"filters": {"X": "not a pair"}})
    with pytest.raises(MalformedReplyError):
        client.parse_discovery({"scores": {"X": ["only a description"]}})


def test_transport_failures():
    with pytest.raises(SchedulerProxyError):
        client.discover(f"http://127.0.0.1:{free_port()}/", FAST)
    with pytest.raises(SchedulerProxyError):
        client.run_filters(f"http://127.0.0.1:{free_port()}/", ["F"], [HOST_A], VM, {}, FAST)


def test_response_timeout(proxy):
    proxy.replies["discover"] = lambda: time.sleep(0.5) or {}
    started = time.monotonic()
    with pytest.raises(SchedulerProxyError):
        client.discover(proxy.url, Timeouts(connection_ms=500, response_ms=100))
    assert time.monotonic() - started < 0.4
    with pytest.raises(SchedulerProxyError):
        client.discover(proxy.url, 0.1)  # a plain number is the reply timeout in seconds


def test_fault_is_a_proxy_error(proxy):
    def broken(*args):
        raise RuntimeError("boom")

    proxy.replies["runFilters"] = broken
    with pytest.raises(SchedulerProxyError) as error:
        client.run_filters(proxy.url, ["F"], [HOST_A], VM, {}, FAST)
    assert not isinstance(error.value, MalformedReplyError)


def test_run_filters_sends_the_engine_arguments(proxy):
    proxy.replies["runFilters"] = {"result_code": 0, "result": [HOST_B.upper()]}
    events = []
    kept = client.run_filters(proxy.url, ["MaxVmCount"], [HOST_A, HOST_B], VM, {"maximum_vm_count": "3"}, FAST, events)
    assert kept == [HOST_B] and events == []
    assert proxy.calls == [("runFilters", (["MaxVmCount"], [HOST_A, HOST_B], VM, {"maximum_vm_count": "3"}))]


def test_run_filters_without_names_does_not_call(proxy):
    assert client.run_filters(proxy.url, [], [HOST_A, HOST_C], VM, {}, FAST) == [HOST_A, HOST_C]
    assert proxy.calls == []


def test_old_array_format_is_accepted(proxy):
    proxy.replies["runFilters"] = [HOST_C]
    assert client.run_filters(proxy.url, ["F"], [HOST_A, HOST_C], VM, {}, FAST) == [HOST_C]


def test_errors_become_events(proxy, caplog):
    proxy.replies["runFilters"] = {
        "result_code": 1,
        "result": [HOST_A],
        "plugin_errors": {"Missing": ["plugin not found: 'Missing'"]},
        "errors": ["all filters failed"],
    }
    events = []
    assert client.run_filters(proxy.url, ["Missing"], [HOST_A], VM, {}, FAST, events) == [HOST_A]
    assert events == [
        SchedulerEvent(10500, "Running the external scheduler plugin 'Missing' failed: 'plugin not found: 'Missing''"),
        SchedulerEvent(10501, "Running the external scheduler failed: 'all filters failed'"),
    ]


def test_errors_are_ignored_when_result_code_is_zero(proxy):
    proxy.replies["runFilters"] = {"result_code": 0, "result": [], "errors": ["ignored"]}
    events = []
    assert client.run_filters(proxy.url, ["F"], [HOST_A], VM, {}, FAST, events) == []
    assert events == []


def test_unreadable_filter_result_keeps_no_host(proxy, caplog):
    proxy.replies["runFilters"] = "nonsense"
    with caplog.at_level(logging.ERROR, logger="ovirt_lab.scheduler_client"):
        assert client.run_filters(proxy.url, ["F"], [HOST_A], VM, {}, FAST) == []
    assert caplog.messages == ["External scheduler error, malformed filter results"]
    proxy.replies["runFilters"] = {"result": [HOST_A]}  # no result_code: the engine's parser crashes
    with pytest.raises(MalformedReplyError):
        client.run_filters(proxy.url, ["F"], [HOST_A], VM, {}, FAST)


def test_run_cost_functions(proxy):
    proxy.replies["runCostFunctions"] = {"result_code": 0, "result": [[HOST_A, 10], [HOST_B, 0, "Memory"]]}
    scores = client.run_cost_functions(proxy.url, [("Memory", 2)], [HOST_A, HOST_B], VM, {}, FAST)
    assert scores == [(HOST_A, 10), (HOST_B, 0)]
    assert proxy.calls[0] == ("runCostFunctions", ([["Memory", 2]], [HOST_A, HOST_B], VM, {}))
    assert client.run_cost_functions(proxy.url, [], [HOST_A], VM, {}, FAST) == []
    assert len(proxy.calls) == 1


def test_malformed_score_entry_stops_parsing(proxy, caplog):
    proxy.replies["runCostFunctions"] = [[HOST_A, 5], [HOST_B], [HOST_C, 7]]
    with caplog.at_level(logging.ERROR, logger="ovirt_lab.scheduler_client"):
        assert client.run_cost_functions(proxy.url, [("S", 1)], [HOST_A], VM, {}, FAST) == [(HOST_A, 5)]
    assert caplog.messages == ["External scheduler error, malformed score results"]
    proxy.replies["runCostFunctions"] = [[HOST_A, "5"]]
    with pytest.raises(MalformedReplyError):
        client.run_cost_functions(proxy.url, [("S", 1)], [HOST_A], VM, {}, FAST)


def test_run_load_balancing(proxy):
    proxy.replies["runLoadBalancing"] = {"result_code": 0, "result": [VM, [HOST_B, HOST_C]]}
    assert client.run_load_balancing(proxy.url, "Spread", [HOST_A, HOST_B, HOST_C], {"p": "1"}, FAST) == (
        VM, [HOST_B, HOST_C]
    )
    assert proxy.calls[0] == ("runLoadBalancing", ("Spread", [HOST_A, HOST_B, HOST_C], {"p": "1"}))
    proxy.replies["runLoadBalancing"] = {
        "result_code": 1, "result": [], "plugin_errors": {"X": ["Load balance requested but was not found: X"]}
    }
    events = []
    with pytest.raises(MalformedReplyError):  # the engine indexes the empty result and crashes
        client.run_load_balancing(proxy.url, "X", [HOST_A], {}, FAST, events)
    assert events[0].code == 10500
    proxy.replies["runLoadBalancing"] = ["", []]
    assert client.run_load_balancing(proxy.url, "Spread", [HOST_A], {}, FAST) == (None, [])
