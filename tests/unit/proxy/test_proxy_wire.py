"""Wire format of the proxy as the engine sees it: discover, the envelope, aggregation rules and
error texts (reference section 2.3)."""
import http.client
import textwrap
import urllib.parse
import xmlrpc.client

import pytest

HOSTS = ['h1', 'h2', 'h3', 'h4']

UNITS = '''
    class keep_odd(object):
        """The class docstring is not the description."""
        properties_validation = 'minimum_host_memoryMB=[0-9]*;safe_selection=True|False'

        def do_filter(self, hosts, vm, args):
            """Keeps the first and third hosts."""
            print(hosts[0::2])


    class keep_all_reversed(object):
        def do_filter(self, hosts, vm, args):
            print(list(reversed(hosts)))


    class reject_all(object):
        def do_filter(self, hosts, vm, args):
            print([])


    class match_vm(object):
        def do_filter(self, hosts, vm, args):
            print([host for host in hosts if args.get(host) == vm])


    class position(object):
        def do_score(self, hosts, vm, args):
            """Scores each host with its position."""
            print([(host, index) for index, host in enumerate(hosts)])


    class flat(object):
        def do_score(self, hosts, vm, args):
            print([(host, 10) for host in hosts[:2]])


    class half(object):
        def do_score(self, hosts, vm, args):
            print([(hosts[0], 0.5)])


    class huge(object):
        def do_score(self, hosts, vm, args):
            print([(hosts[0], 2 ** 40), (hosts[1], -2 ** 40)])


    class migrate_first(object):
        properties_validation = 'maximum_vm_count=[0-9]*'

        def do_balance(self, hosts, args):
            """Moves vm-1 to the other hosts."""
            print(('vm-1', hosts[1:]))


    class nothing_to_migrate(object):
        def do_balance(self, hosts, args):
            pass


    class all_in_one(object):
        properties_validation = 'x=.*'

        def do_filter(self, hosts, vm, args):
            """filter"""
            print(hosts[:1])

        def do_score(self, hosts, vm, args):
            """score"""
            print([(hosts[0], 7)])

        def do_balance(self, hosts, args):
            """balance"""
            print((None, hosts[:1]))
'''


@pytest.fixture(scope='module')
def proxy(shared_plugins_dir, start_shared_proxy):
    """A proxy that serves the units above."""
    (shared_plugins_dir / 'units.py').write_text(textwrap.dedent(UNITS))
    return start_shared_proxy()


@pytest.fixture(scope='module')
def engine(proxy):
    """An XML-RPC client of that proxy."""
    return proxy.client()


def test_discover_is_not_enveloped_and_lists_units_by_class_name(engine):
    assert engine.discover() == {
        'filters': {
            'keep_odd': ['Keeps the first and third hosts.',
                         'minimum_host_memoryMB=[0-9]*;safe_selection=True|False'],
            'keep_all_reversed': ['', ''],
            'reject_all': ['', ''],
            'match_vm': ['', ''],
            'all_in_one': ['filter', 'x=.*'],
        },
        'scores': {
            'position': ['Scores each host with its position.', ''],
            'flat': ['', ''],
            'half': ['', ''],
            'huge': ['', ''],
            'all_in_one': ['score', 'x=.*'],
        },
        'balance': {
            'migrate_first': ['Moves vm-1 to the other hosts.', 'maximum_vm_count=[0-9]*'],
            'nothing_to_migrate': ['', ''],
            'all_in_one': ['balance', 'x=.*'],
        },
    }


def test_filters_intersect_in_the_order_of_the_engine_hosts(engine):
    reply = engine.runFilters(['keep_all_reversed', 'keep_odd'], HOSTS, 'vm-1', {})
    assert reply == {'result_code': 0, 'result': ['h1', 'h3']}


def test_filters_get_the_vm_and_every_cluster_property(engine):
    reply = engine.runFilters(['match_vm'], HOSTS, 'vm-7', {'h2': 'vm-7', 'h4': 'vm-8'})
    assert reply == {'result_code': 0, 'result': ['h2']}


def test_a_filter_may_reject_every_host(engine):
    reply = engine.runFilters(['keep_odd', 'reject_all'], HOSTS, 'vm-1', {})
    assert reply == {'result_code': 0, 'result': []}


def test_unknown_filter_is_a_plugin_error_and_the_others_still_count(engine):
    reply = engine.runFilters(['missing', 'keep_odd'], HOSTS, 'vm-1', {})
    assert reply == {'result_code': 1, 'result': ['h1', 'h3'],
                     'plugin_errors': {'missing': ["plugin not found: 'missing'"]}}


def test_when_no_filter_succeeds_every_host_is_returned(engine):
    reply = engine.runFilters(['missing', 'absent'], HOSTS, 'vm-1', {})
    assert reply == {'result_code': 1, 'result': HOSTS,
                     'plugin_errors': {'missing': ["plugin not found: 'missing'"],
                                       'absent': ["plugin not found: 'absent'"]},
                     'errors': ['all filters failed']}


def test_scores_are_summed_with_their_factors(engine):
    reply = engine.runCostFunctions([['position', 2], ['flat', 3]], HOSTS, 'vm-1', {})
    assert reply == {'result_code': 0,
                     'result': [['h1', 30], ['h2', 32], ['h3', 4], ['h4', 6]]}


def test_scores_are_sent_as_32_bit_integers(engine):
    reply = engine.runCostFunctions([['half', 3], ['huge', 1]], HOSTS, 'vm-1', {})
    assert reply == {'result_code': 0, 'result': [['h1', 2 ** 31 - 1], ['h2', -2 ** 31]]}
    assert all(isinstance(score, int) and not isinstance(score, bool) for _host, score in reply['result'])


def test_unknown_score_function_is_a_plugin_error(engine):
    reply = engine.runCostFunctions([['missing', 1], ['flat', 1]], HOSTS, 'vm-1', {})
    assert reply == {'result_code': 1, 'result': [['h1', 10], ['h2', 10]],
                     'plugin_errors': {'missing': ["plugin not found: 'missing'"]}}


def test_balance_returns_the_vm_and_the_destination_hosts(engine):
    reply = engine.runLoadBalancing('migrate_first', HOSTS, {'maximum_vm_count': '3'})
    assert reply == {'result_code': 0, 'result': ['vm-1', ['h2', 'h3', 'h4']]}


def test_balance_that_prints_nothing_migrates_nothing(engine):
    reply = engine.runLoadBalancing('nothing_to_migrate', HOSTS, {})
    assert reply == {'result_code': 0, 'result': ['', []]}


def test_unknown_balance_is_a_plugin_error_with_an_empty_result(engine):
    reply = engine.runLoadBalancing('missing', HOSTS, {})
    assert reply == {'result_code': 1, 'result': [],
                     'plugin_errors': {'missing': ['Load balance requested but was not found: missing']}}


def test_one_class_can_provide_every_kind_of_unit(engine):
    assert engine.runFilters(['all_in_one'], HOSTS, 'vm-1', {})['result'] == ['h1']
    assert engine.runCostFunctions([['all_in_one', 1]], HOSTS, 'vm-1', {})['result'] == [['h1', 7]]
    assert engine.runLoadBalancing('all_in_one', HOSTS, {})['result'] == ['', ['h1']]


def test_introspection_lists_the_engine_methods(engine):
    methods = engine.system.listMethods()
    assert {'discover', 'runFilters', 'runCostFunctions', 'runLoadBalancing',
            'system.listMethods', 'system.methodHelp'} <= set(methods)
    assert 'filter' in engine.system.methodHelp('runFilters')


def test_the_engine_connection_is_kept_open_between_calls(proxy):
    """HTTP/1.1: one connection serves call after call (no Connection: close)."""
    address = urllib.parse.urlsplit(proxy.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    body = xmlrpc.client.dumps((['keep_odd'], HOSTS, 'vm-1', {}), 'runFilters').encode('utf-8')
    sockets = []
    for _call in range(3):
        connection.request('POST', '/', body, {'Content-Type': 'text/xml'})
        response = connection.getresponse()
        assert response.version == 11 and response.getheader('Connection') != 'close'
        (reply,), _method = xmlrpc.client.loads(response.read())
        assert reply['result'] == ['h1', 'h3']
        sockets.append(connection.sock)
    connection.close()
    assert sockets[0] is not None and sockets.count(sockets[0]) == 3
