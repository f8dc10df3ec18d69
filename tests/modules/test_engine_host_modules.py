"""engine_config and vm_custom_property_definition: run on the engine host, through engine-config."""

KEY = 'UserDefinedVMProperties'


def value(lab, key, version):
    return lab.engine_config('-g', key, '--cver=%s' % version).rstrip('\n')


def run(lab, module, args, **options):
    return lab.run(module, args, api=False, **options)


def test_engine_config_check_diff_apply_and_idempotence(clean_lab):
    lab = clean_lab
    lab.engine_config('-s', 'ExternalSchedulerResponseTimeout=120000', '--cver=general')
    args = dict(key='ExternalSchedulerResponseTimeout', value='90000')

    predicted = run(lab, 'engine_config', args, check_mode=True, diff=True)
    assert predicted['changed'] and predicted['restart_required']
    assert predicted['diff'] == dict(before={'general': '120000'}, after={'general': '90000'})
    assert predicted['plan'] == ["set ExternalSchedulerResponseTimeout to '90000' for version general"]
    assert value(lab, 'ExternalSchedulerResponseTimeout', 'general') == '120000'

    applied = run(lab, 'engine_config', args)
    assert applied['changed'] and applied['restart_required'] and applied['values'] == {'general': '90000'}
    assert value(lab, 'ExternalSchedulerResponseTimeout', 'general') == '90000'

    again = run(lab, 'engine_config', args, diff=True)
    assert not again['changed'] and not again['restart_required'] and again['plan'] == []
    assert lab.requests() == dict(GET=0, POST=0, PUT=0, DELETE=0)


def test_engine_config_sets_only_the_versions_that_differ(clean_lab):
    lab = clean_lab
    lab.engine_config('-s', '%s=eng_cfg=.*' % KEY, '--cver=4.3')
    lab.engine_config('-s', '%s=' % KEY, '--cver=4.4')
    args = dict(key=KEY, value='eng_cfg=.*', versions=['4.3', '4.4'])
    result = run(lab, 'engine_config', args)
    assert result['plan'] == ["set %s to 'eng_cfg=.*' for version 4.4" % KEY]
    assert value(lab, KEY, '4.4') == 'eng_cfg=.*'
    assert not run(lab, 'engine_config', args)['changed']

    emptied = run(lab, 'engine_config', dict(key=KEY, versions=['4.3', '4.4'], state='absent'))
    assert emptied['changed'] and emptied['values'] == {'4.3': '', '4.4': ''}
    assert value(lab, KEY, '4.3') == ''


def test_engine_config_relays_the_tool_refusal(clean_lab):
    lab = clean_lab
    key = 'UserDefinedNetworkCustomProperties'
    lab.engine_config('-s', '%s=ethtool_opts=.*' % key, '--cver=4.6')
    # That key takes no empty value: engine-config refuses it, and the task says why.
    result = run(lab, 'engine_config', dict(key=key, versions=['4.6'], state='absent'))
    assert result['failed']
    assert result['msg'].startswith('engine-config could not set %s for version 4.6: Cannot set value' % key)
    assert 'key=value pair should be used' in result['msg']
    assert value(lab, key, '4.6') == 'ethtool_opts=.*'


def test_definition_merges_by_key_and_keeps_other_keys_exactly(clean_lab):
    lab = clean_lab
    lab.engine_config('-s', '%s=keep_a=^a$;other=^[0-9]+$;' % KEY, '--cver=4.2')
    args = dict(name='t_merge', regex='^(x|y)$', versions=['4.2'])

    predicted = run(lab, 'vm_custom_property_definition', args, check_mode=True, diff=True)
    assert predicted['changed'] and predicted['restart_required']
    assert predicted['diff']['before'] == {'4.2': {'keep_a': '^a$', 'other': '^[0-9]+$'}}
    assert predicted['diff']['after'] == {'4.2': {'keep_a': '^a$', 'other': '^[0-9]+$', 't_merge': '^(x|y)$'}}
    assert value(lab, KEY, '4.2') == 'keep_a=^a$;other=^[0-9]+$;'

    applied = run(lab, 'vm_custom_property_definition', args)
    assert applied['changed'] and applied['restart_required']
    assert value(lab, KEY, '4.2') == 'keep_a=^a$;other=^[0-9]+$;t_merge=^(x|y)$'

    again = run(lab, 'vm_custom_property_definition', args)
    assert not again['changed'] and not again['restart_required']

    regex_changed = run(lab, 'vm_custom_property_definition',
                        dict(name='other', regex='^[0-9]{1,3}$', versions=['4.2']))
    assert regex_changed['changed']
    assert value(lab, KEY, '4.2') == 'keep_a=^a$;other=^[0-9]{1,3}$;t_merge=^(x|y)$'

    removed = run(lab, 'vm_custom_property_definition', dict(name='t_merge', state='absent', versions=['4.2']))
    assert removed['changed'] and removed['definitions'] == {'4.2': {'keep_a': '^a$', 'other': '^[0-9]{1,3}$'}}
    assert value(lab, KEY, '4.2') == 'keep_a=^a$;other=^[0-9]{1,3}$'
    assert not run(lab, 'vm_custom_property_definition', dict(name='t_merge', state='absent',
                                                              versions=['4.2']))['changed']
    assert lab.writes() == 0 and lab.requests()['GET'] == 0


def test_definition_on_every_level_reaches_the_api_after_a_restart(defined_lab):
    lab = defined_lab
    args = dict(name='t_everywhere', regex='^[0-9]+$')
    applied = run(lab, 'vm_custom_property_definition', args)
    assert applied['changed'] and set(applied['definitions']) == {'4.2', '4.3', '4.4', '4.5', '4.6', '4.7', '4.8'}
    assert not run(lab, 'vm_custom_property_definition', args)['changed']

    before_restart = lab.run('vm_custom_property_definition_info', dict(versions=['4.8']))
    assert 't_everywhere' not in before_restart['user_defined']['4.8']  # read only at engine start
    lab.restart()
    after_restart = lab.run('vm_custom_property_definition_info', dict(versions=['4.8']))
    assert after_restart['user_defined']['4.8']['t_everywhere'] == '^[0-9]+$'
    assert after_restart['user_defined']['4.8']['numa_mode'] == '^(strict|interleave)$'
    assert after_restart['predefined']['4.8']['hugepages'] == '^[0-9]+$'
