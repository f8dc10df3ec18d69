"""Command line, config file, logging format and systemd notifications."""
import re
import signal
import socket
import subprocess
import textwrap

import pytest


def settings_of(proxy_module, *argv):
    return proxy_module.resolve_settings(proxy_module.build_parser().parse_args(list(argv)))


def write_config(tmp_path, text):
    path = tmp_path / 'proxy.conf'
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_defaults(proxy_module):
    assert settings_of(proxy_module) == proxy_module.Settings(
        host='localhost', port=18781, plugins_dir='/usr/share/ovirt-scheduler-proxy/plugins',
        timeout=30.0, parallel=8, log_level='INFO')


def test_config_file_then_command_line(proxy_module, tmp_path):
    config = write_config(tmp_path, '''
        [proxy]
        listen = 0.0.0.0:9000
        plugins_dir = /srv/plugins
        timeout = 5
        parallel = 3
        log_level = debug
    ''')
    assert settings_of(proxy_module, '--config', config) == proxy_module.Settings(
        host='0.0.0.0', port=9000, plugins_dir='/srv/plugins', timeout=5.0, parallel=3,
        log_level='DEBUG')
    assert settings_of(proxy_module, '--config', config, '--port', '9100', '--timeout', '2.5',
                       '--plugins-dir', '/opt/p', '--log-level', 'warning') == proxy_module.Settings(
        host='0.0.0.0', port=9100, plugins_dir='/opt/p', timeout=2.5, parallel=3, log_level='WARNING')
    assert settings_of(proxy_module, '--config', config, '--listen', '127.0.0.1').port == 9000


def test_port_key_overrides_the_port_in_listen(proxy_module, tmp_path):
    config = write_config(tmp_path, '[proxy]\nlisten = 127.0.0.1:9000\nport = 9001\n')
    assert settings_of(proxy_module, '--config', config)[:2] == ('127.0.0.1', 9001)


@pytest.mark.parametrize('listen, host, port', [
    ('engine.example.com', 'engine.example.com', 18781),
    ('127.0.0.1:0', '127.0.0.1', 0),
    ('::1', '::1', 18781),
    ('[::1]', '::1', 18781),
    ('[::1]:9000', '::1', 9000),
])
def test_listen_forms(proxy_module, listen, host, port):
    assert settings_of(proxy_module, '--listen', listen)[:2] == (host, port)


@pytest.mark.parametrize('argv, message', [
    (['--port', '70000'], 'port: 70000 is out of range'),
    (['--port', 'http'], "port: 'http' is not a valid int"),
    (['--timeout', '0'], 'timeout: 0 is out of range'),
    (['--timeout', 'nan'], 'timeout: nan is out of range'),
    (['--timeout', 'inf'], 'timeout: must be a finite number of seconds'),
    (['--parallel', '0'], 'parallel: 0 is out of range'),
    (['--listen', '[::1'], "listen: cannot parse '[::1'"),
    (['--listen', ':80'], "listen: ':80' has no host"),
])
def test_invalid_command_line_values(proxy_module, argv, message):
    with pytest.raises(proxy_module.ConfigError) as error:
        settings_of(proxy_module, *argv)
    assert str(error.value) == message


@pytest.mark.parametrize('text, message', [
    ('[proxy]\ntimeout = 1\ntimout = 2\n', r'unknown key\(s\) in \[proxy\]: timout'),
    ('[proxy]\n[extra]\n', r'unknown section\(s\): extra'),
    ('timeout = 1\n', 'File contains no section headers'),
    ('[proxy]\nlog_level = chatty\n', "log_level: 'chatty' is not one of DEBUG, INFO"),
])
def test_invalid_config_files(proxy_module, tmp_path, text, message):
    config = write_config(tmp_path, text)
    with pytest.raises(proxy_module.ConfigError) as error:
        settings_of(proxy_module, '--config', config)
    assert re.search(message, str(error.value))


def test_missing_config_file(proxy_module, tmp_path):
    with pytest.raises(proxy_module.ConfigError) as error:
        settings_of(proxy_module, '--config', str(tmp_path / 'absent.conf'))
    assert 'No such file or directory' in str(error.value)


def run_proxy(proxy_python, proxy_module, *argv):
    return subprocess.run([proxy_python, proxy_module.SCRIPT] + list(argv), check=False, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=20)


def test_help_documents_every_flag_and_config_key(proxy_python, proxy_module):
    result = run_proxy(proxy_python, proxy_module, '--help')
    assert result.returncode == 0
    for flag in ('--config', '--listen', '--port', '--plugins-dir', '--timeout', '--parallel',
                 '--log-level', '--plugin-host', 'SIGHUP', 'OVIRT_URL'):
        assert flag in result.stdout
    for key in proxy_module.DEFAULTS:
        assert re.search(r'^\s+%s = ' % key, result.stdout, re.MULTILINE), key


def test_invalid_settings_exit_with_status_2(proxy_python, proxy_module, tmp_path):
    result = run_proxy(proxy_python, proxy_module, '--config', write_config(tmp_path, '[proxy]\nparallel = many\n'))
    assert result.returncode == 2
    assert "parallel: 'many' is not a valid int" in result.stderr


def test_the_proxy_runs_from_a_config_file(plugins_dir, write_plugin, start_proxy, tmp_path):
    write_plugin('keep', '''
        class keep(object):
            def do_filter(self, hosts, vm, args):
                print(hosts)
    ''')
    config = write_config(tmp_path, '''
        [proxy]
        plugins_dir = %s
        log_level = DEBUG
    ''' % plugins_dir)
    proxy = start_proxy('--config', config, plugins=None)
    assert proxy.client().runFilters(['keep'], ['h1'], 'vm-1', {})['result'] == ['h1']
    proxy.wait_for_log(r'DEBUG proxy\[\d+\]: runFilters \[.keep.\] on 1 hosts')


def test_journal_log_lines_carry_syslog_priorities(plugins_dir, write_plugin, start_proxy):
    write_plugin('broken', 'raise RuntimeError("no")\n')
    proxy = start_proxy(env={'JOURNAL_STREAM': '8:12345'})
    proxy.wait_for_log('serving')
    lines = proxy.log.splitlines()
    assert any(re.match(r'<6>proxy: serving XML-RPC on http://127\.0\.0\.1:\d+/$', line) for line in lines)
    traceback_start = lines.index('<3>plugin-host: %s skipped, it failed to load:'
                                  % (plugins_dir / 'broken.py'))
    assert lines[traceback_start + 1] == '<3>Traceback (most recent call last):'
    assert all(line.startswith('<') for line in lines)


def test_systemd_is_notified_of_start_reload_and_stop(write_plugin, start_proxy, tmp_path):
    write_plugin('keep', '''
        class keep(object):
            def do_filter(self, hosts, vm, args):
                print(hosts)
    ''')
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(tmp_path / 'notify'))
    listener.settimeout(10)
    with listener:
        proxy = start_proxy(env={'NOTIFY_SOCKET': str(tmp_path / 'notify')})
        assert listener.recv(4096) == b'READY=1\nSTATUS=1 filters, 0 scores, 0 balance'
        proxy.signal(signal.SIGHUP)
        assert listener.recv(4096) == b'RELOADING=1'
        assert listener.recv(4096) == b'READY=1\nSTATUS=1 filters, 0 scores, 0 balance'
        assert proxy.stop() == 0
        assert listener.recv(4096) == b'STOPPING=1'
