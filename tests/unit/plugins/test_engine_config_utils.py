import pytest

from ansible_collections.ovirt_ext.deploy.plugins.module_utils._engine_config import (
    EngineConfig,
    parse_all_versions,
    parse_one_version,
    versions_error,
)


@pytest.mark.parametrize('versions', [['all'], ['4.8'], ['4.2', '4.8'], ['general'], ['4.10']])
def test_good_versions(versions):
    assert versions_error(versions) is None


@pytest.mark.parametrize('versions, words', [
    ([], 'at least one'),
    (['all', '4.8'], 'cannot be combined'),
    (['4'], "'4.8'"),
    (['4.8.1'], "'4.8'"),
    (['v4.8'], 'cluster level'),
    (['4.1 '], 'cluster level'),
    (['All'], 'cluster level'),
])
def test_bad_versions(versions, words):
    assert words in versions_error(versions)


def test_parse_all_versions():
    output = ('UserDefinedVMProperties:  version: 4.2\n'
              'UserDefinedVMProperties: a=^[0-9]+$;b=x version: 4.7\n'
              'UserDefinedVMProperties: weird version: 1 version: 4.8\n'
              'Picked up JAVA_TOOL_OPTIONS: -Xmx1g\n')
    assert parse_all_versions('UserDefinedVMProperties', output) == {
        '4.2': '', '4.7': 'a=^[0-9]+$;b=x', '4.8': 'weird version: 1'}


def test_parse_all_versions_general_key():
    assert parse_all_versions('ExternalSchedulerEnabled',
                              'ExternalSchedulerEnabled: false version: general\n') == {'general': 'false'}


def test_parse_all_versions_ignores_other_keys():
    assert parse_all_versions('Key', 'KeyOther: 1 version: 4.8\n') == {}


@pytest.mark.parametrize('output, value', [
    ('a=1;b=2\n', 'a=1;b=2'),
    ('\n', ''),
    ('', ''),
    ('value with trailing space \n', 'value with trailing space '),
    ('some warning\nthe value\r\n', 'the value'),
])
def test_parse_one_version(output, value):
    assert parse_one_version(output) == value


class FakeModule(object):
    """Records run_command calls; answers from a table keyed by the arguments."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def get_bin_path(self, name, required=False):
        assert name == 'engine-config' and required
        return '/usr/bin/engine-config'

    def run_command(self, command, **options):
        self.calls.append((command, options))
        return self.answers[tuple(command[1:])]

    def fail_json(self, **result):
        raise AssertionError(result)


def test_engine_config_reads_each_version_with_cver_and_all_without():
    module = FakeModule({
        ('-g', 'K', '--cver=4.7'): (0, 'x\n', ''),
        ('-g', 'K', '--cver=4.8'): (0, 'y\n', ''),
        ('-g', 'K'): (0, 'K: x version: 4.7\nK: y version: 4.8\n', ''),
    })
    tool = EngineConfig(module)
    assert tool.read('K', ['4.7', '4.8']) == {'4.7': 'x', '4.8': 'y'}
    assert tool.read('K', ['all']) == {'4.7': 'x', '4.8': 'y'}
    for _command, options in module.calls:
        assert options['prompt_regex']  # a prompt fails the command instead of hanging


def test_engine_config_writes_with_set_and_cver_never_merge():
    module = FakeModule({('-s', 'K=a=1;b=2', '--cver=4.8'): (0, '', '')})
    EngineConfig(module).write('K', 'a=1;b=2', '4.8')
    assert module.calls[0][0] == ['/usr/bin/engine-config', '-s', 'K=a=1;b=2', '--cver=4.8']


def test_engine_config_failure_reports_the_tool_message():
    module = FakeModule({('-g', 'K', '--cver=9.9'): (
        1, "Error fetching K value: no such entry with version '9.9'.\n", '')})
    with pytest.raises(AssertionError) as failure:
        EngineConfig(module).read('K', ['9.9'])
    result = failure.value.args[0]
    assert result['msg'] == ("engine-config could not read K for version 9.9: "
                             "Error fetching K value: no such entry with version '9.9'.")
    assert result['rc'] == 1
