"""Which plugin files and classes become units, and how broken files are handled."""
import re

HOSTS = ['h1', 'h2']

GOOD = '''
    from helper import Base, describe


    class good(Base):
        def do_filter(self, hosts, vm, args):
            """Keeps every host."""
            print(hosts)


    print('printed while importing')
    describe()
'''

HELPER = '''
    class Base(object):
        """Imported into other plugin files, where it is not a unit of theirs."""

        def do_score(self, hosts, vm, args):
            print([(host, 1) for host in hosts])


    def describe():
        pass
'''

BROKEN = {
    'syntax_error': 'class broken(:\n',
    'missing_import': 'import module_that_does_not_exist\n',
    'raises': 'raise RuntimeError("refusing to load")\n',
    'exits': 'import sys\nsys.exit(4)\n',
    'json': 'class shadow(object):\n    def do_filter(self, hosts, vm, args):\n        print(hosts)\n',
    'bad-name': 'class dashed(object):\n    def do_filter(self, hosts, vm, args):\n        print(hosts)\n',
    'bad_validation': ('class bad_validation(object):\n    properties_validation = 3\n'
                       '    def do_filter(self, hosts, vm, args):\n        print(hosts)\n'),
}


def test_broken_plugin_files_are_logged_and_skipped(plugins_dir, write_plugin, start_proxy):
    write_plugin('good', GOOD)
    write_plugin('helper', HELPER)
    for name, source in BROKEN.items():
        write_plugin(name, source)
    (plugins_dir / 'notes.txt').write_text('not a plugin')
    (plugins_dir / 'subdir').mkdir()
    (plugins_dir / 'subdir' / 'nested.py').write_text(BROKEN['json'])

    proxy = start_proxy()
    engine = proxy.client()
    # helper.py is a plugin file too: its Base class is a unit there, and only there
    assert engine.discover() == {
        'filters': {'good': ['Keeps every host.', '']},
        'scores': {'Base': ['', ''], 'good': ['', '']},
        'balance': {},
    }
    assert engine.runFilters(['good'], HOSTS, 'vm-1', {}) == {'result_code': 0, 'result': HOSTS}

    log = proxy.log
    for pattern in (r'syntax_error\.py skipped, it failed to load:\n(.*\n)*.*SyntaxError',
                    r"missing_import\.py skipped(.*\n)*.*No module named 'module_that_does_not_exist'",
                    r'raises\.py skipped(.*\n)*RuntimeError: refusing to load',
                    r'exits\.py skipped(.*\n)*SystemExit: 4',
                    r"json\.py skipped: the module name 'json' is already taken by .*json",
                    r"bad-name\.py skipped: 'bad-name' is not a valid module name",
                    r'class bad_validation skipped, properties_validation must be a string',
                    r'printed while importing'):
        assert re.search(pattern, log), pattern
    assert 'nested' not in log


def test_first_file_in_sorted_order_keeps_a_duplicated_class_name(write_plugin, start_proxy):
    duplicate = '''
        class twin(object):
            def do_filter(self, hosts, vm, args):
                """From %s."""
                print(hosts[:%d])
    '''
    write_plugin('b_second', duplicate % ('b_second', 2))
    write_plugin('a_first', duplicate % ('a_first', 1))
    proxy = start_proxy()
    engine = proxy.client()
    assert engine.discover()['filters'] == {'twin': ['From a_first.', '']}
    assert engine.runFilters(['twin'], HOSTS, 'vm-1', {})['result'] == ['h1']
    assert re.search(r'b_second\.py: class twin skipped, .*a_first\.py already provides', proxy.log)


def test_questionable_properties_validation_is_passed_on_with_a_warning(write_plugin, start_proxy):
    write_plugin('odd', '''
        class odd(object):
            properties_validation = 'novalue;count=[0-9'

            def do_filter(self, hosts, vm, args):
                print(hosts)
    ''')
    proxy = start_proxy()
    assert proxy.client().discover()['filters'] == {'odd': ['', 'novalue;count=[0-9']}
    assert "'novalue' is not key=regex" in proxy.log
    assert "the regex of 'count' does not compile" in proxy.log


def test_an_import_that_hangs_is_skipped_after_the_timeout(write_plugin, start_proxy):
    write_plugin('a_hangs', 'import time\ntime.sleep(60)\n')
    write_plugin('b_fine', BROKEN['json'])
    proxy = start_proxy('--timeout', '1')
    assert list(proxy.client().discover()['filters']) == ['shadow']
    assert re.search(r'a_hangs\.py skipped(.*\n)*.*importing took longer than 1 s', proxy.log)


def test_a_missing_plugin_directory_leaves_the_proxy_up_without_units(tmp_path, start_proxy):
    proxy = start_proxy(plugins=tmp_path / 'missing')
    assert proxy.client().discover() == {'filters': {}, 'scores': {}, 'balance': {}}
    assert 'cannot read the plugin directory' in proxy.log
