"""Benchmark of issue 3: two custom properties on 1000 VMs, 5 ms of latency per API request.

One ``ovirt_ext.deploy.vm_custom_properties`` task against ``ovirt.ovirt.ovirt_vm`` looped over the
same VMs, measured in the same run against one lab engine. Both run exactly as Ansible runs a
module (``python -m ... args.json``, one process per task or loop item); the per-item overhead of
ansible-playbook itself is left out, which favours the loop.

Looping ``ovirt_vm`` over 1000 VMs takes several minutes, so by default it runs on a sample of
VMs and the time is extrapolated linearly (each item is one independent process doing the same
requests); ``--full`` loops over every VM instead.

Then the API requests of each module's no-op run, beside the ovirt.ovirt module that does the
nearest job.

    .venv/bin/python tests/bench/bench_modules.py [--vms 1000] [--latency-ms 5] [--sample 50] [--full]
"""

import argparse
import os
import sys
import tempfile
import time

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [TESTS, os.path.join(TESTS, 'modules')]   # collection_link and lab_driver

from lab_driver import start_lab  # noqa: E402  (put on the path above)

OVIRT = 'ansible_collections.ovirt.ovirt.plugins.modules.'


def ovirt_auth(lab):
    """What ovirt.ovirt.ovirt_auth returns as its ovirt_auth fact: both collections take it."""
    return dict(url=lab.engine.url, token=lab.token, ca_file=lab.engine.ca_file, insecure=False)


def timed(function):
    start = time.monotonic()
    result = function()
    return result, time.monotonic() - start


def checked(result, what):
    if result.get('failed'):
        raise SystemExit('%s failed: %s' % (what, result['msg']))
    return result


def api_requests(lab):
    return sum(lab.requests().values())


def loop_ovirt_vm(lab, names, properties):
    custom_properties = [dict(name=name, value=value) for name, value in sorted(properties.items())]
    for name in names:
        checked(lab.run('ovirt_vm', dict(auth=ovirt_auth(lab), name=name, custom_properties=custom_properties),
                        api=False, package=OVIRT), 'ovirt_vm on %s' % name)


def bench_custom_properties(lab, names, sample, parallel):
    first = dict(hugepages='1024', sap_agent='true')
    second = dict(hugepages='2048', sap_agent='false')

    lab.reset_stats()
    result, ours = timed(lambda: checked(lab.run('vm_custom_properties', dict(
        vms=names, properties=first, parallel=parallel)), 'vm_custom_properties'))
    ours_requests = api_requests(lab)
    assert result['changed'] and all(vm['changed'] for vm in result['vms'])

    looped = names if sample >= len(names) else names[:sample]
    lab.reset_stats()
    _loop_result, loop_time = timed(lambda: loop_ovirt_vm(lab, looped, second))
    loop_requests = api_requests(lab)
    scale = float(len(names)) / len(looped)
    loop_total = loop_time * scale

    print('Setting 2 custom properties on %d VMs (every VM changes):' % len(names))
    print('  ovirt_ext.deploy.vm_custom_properties, one task (parallel=%d): %8.1f s  %6d API requests'
          % (parallel, ours, ours_requests))
    if len(looped) == len(names):
        print('  ovirt.ovirt.ovirt_vm looped over all %d VMs:                  %8.1f s  %6d API requests'
              % (len(names), loop_total, loop_requests))
    else:
        print('  ovirt.ovirt.ovirt_vm looped over a sample of %d VMs:            %8.1f s  %6d API requests'
              % (len(looped), loop_time, loop_requests))
        print('  ovirt.ovirt.ovirt_vm, EXTRAPOLATED to %d VMs (x %.0f):            %8.1f s  %6d API requests'
              % (len(names), scale, loop_total, loop_requests * scale))
    print('  ratio: %.1f times faster (the issue aims at 20)' % (loop_total / ours))
    return looped


def no_op_requests(lab, module, args, package):
    """API requests of a run that has nothing to do (after a first run that did it)."""
    args = dict(args, auth=ovirt_auth(lab))
    checked(lab.run(module, args, api=False, package=package), module)
    lab.reset_stats()
    result = checked(lab.run(module, args, api=False, package=package), module)
    assert not result['changed'], '%s changed on its second run' % module
    return api_requests(lab)


def bench_no_op_requests(lab, names, looped):
    ours = 'ansible_collections.ovirt_ext.deploy.plugins.modules.'
    vm_properties = [dict(name='hugepages', value='2048'), dict(name='sap_agent', value='false')]
    checked(lab.run('scheduling_policy', dict(name='bench', filters=['CPU'], balancer='None')), 'setup')
    rows = [
        ('vm_custom_properties (%d VMs)' % len(names),
         no_op_requests(lab, 'vm_custom_properties', dict(vms=names, properties=dict(
             hugepages='2048', sap_agent='false')), ours),
         'ovirt_vm x %d VMs (1 VM measured)' % len(names),
         no_op_requests(lab, 'ovirt_vm', dict(name=looped[0], custom_properties=vm_properties), OVIRT) * len(names)),
        ('scheduling_policy',
         no_op_requests(lab, 'scheduling_policy', dict(name='bench', filters=['CPU'], balancer='None'), ours),
         'ovirt_scheduling_policy_info (reads only; no module writes policies)',
         no_op_requests(lab, 'ovirt_scheduling_policy_info', dict(name='bench'), OVIRT)),
        ('cluster_scheduling_policy',
         no_op_requests(lab, 'cluster_scheduling_policy', dict(
             clusters=['Prod'], policy='none', properties=dict(HighUtilization='80')), ours),
         'ovirt_cluster (scheduling_policy, scheduling_policy_properties)',
         no_op_requests(lab, 'ovirt_cluster', dict(name='Prod', scheduling_policy='none', scheduling_policy_properties=[
             dict(name='HighUtilization', value='80')]), OVIRT)),
        ('scheduling_policy_unit_info',
         no_op_requests(lab, 'scheduling_policy_unit_info', {}, ours),
         'ovirt_scheduling_policy_info (no module lists units)',
         no_op_requests(lab, 'ovirt_scheduling_policy_info', dict(name='*'), OVIRT)),
        ('vm_custom_property_definition_info',
         no_op_requests(lab, 'vm_custom_property_definition_info', {}, ours),
         'ovirt_system_option_info (one option)',
         no_op_requests(lab, 'ovirt_system_option_info', dict(name='UserDefinedVMProperties'), OVIRT)),
    ]
    print('')
    print('API requests of a run with nothing to do (latency off; SSO not counted, a token is given):')
    print('  %-40s %8s   %-68s %8s' % ('ovirt_ext.deploy', 'requests', 'nearest ovirt.ovirt', 'requests'))
    for ours_name, ours_count, theirs_name, theirs_count in rows:
        print('  %-40s %8d   %-68s %8d' % (ours_name, ours_count, theirs_name, theirs_count))
    for name in ('engine_config', 'vm_custom_property_definition'):
        print('  %-40s %8d   %-68s %8s' % (name, 0, 'none: engine_setup role runs engine-config -s every time', '-'))
    print('  (the two engine-host modules call engine-config -g once with versions=all; no API request)')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--vms', type=int, default=1000)
    parser.add_argument('--latency-ms', type=float, default=5.0)
    parser.add_argument('--sample', type=int, default=50, help='VMs that ovirt_vm loops over (default 50)')
    parser.add_argument('--full', action='store_true', help='loop ovirt_vm over every VM, no extrapolation')
    parser.add_argument('--parallel', type=int, default=8)
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as state_dir, tempfile.TemporaryDirectory() as bin_dir:
        lab = start_lab(state_dir, bin_dir, options.vms)
        try:
            names = ['vm%04d' % number for number in range(1, options.vms + 1)]
            lab.latency(options.latency_ms)
            print('Lab engine with %d VMs, %.0f ms of latency per API request.' % (options.vms, options.latency_ms))
            looped = bench_custom_properties(lab, names, options.vms if options.full else options.sample,
                                             options.parallel)
            lab.latency(0)
            bench_no_op_requests(lab, names, looped)
        finally:
            lab.engine.stop()


if __name__ == '__main__':
    main()
