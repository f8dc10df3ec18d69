"""Example load balancer for the oVirt scheduler proxy: relieve hosts that run too many VMs.

Python 3 version of the overloaded-host balancer sample, using the oVirt Python SDK v4
(ovirtsdk4). The engine connection comes from the proxy's environment: OVIRT_URL (for
example https://engine.example.com/ovirt-engine/api), OVIRT_USERNAME, OVIRT_PASSWORD, and
either OVIRT_CAFILE (the engine CA certificate) or OVIRT_INSECURE=true. Errors go to stderr,
which makes the proxy count the run as failed; stdout carries only the result.
"""
import os
import sys

import ovirtsdk4

DEFAULT_MAXIMUM_VM_COUNT = 100


def environment(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError('%s is not set in the scheduler proxy environment' % name)
    return value


def engine_connection():
    return ovirtsdk4.Connection(
        url=environment('OVIRT_URL'),
        username=environment('OVIRT_USERNAME'),
        password=environment('OVIRT_PASSWORD'),
        ca_file=os.environ.get('OVIRT_CAFILE') or None,
        insecure=os.environ.get('OVIRT_INSECURE', '').lower() in ('1', 'true', 'yes'),
    )


def running_vms(host):
    summary = host.summary
    return (summary.active or 0) if summary is not None else 0


class overloaded_host_balancer(object):
    """Load balancer: moves VMs off hosts that run maximum_vm_count VMs or more."""

    properties_validation = 'maximum_vm_count=[0-9]*'

    def do_balance(self, hosts_ids, args_map):
        """Picks a running VM on the busiest host at or above maximum_vm_count (default 100)
        and offers the hosts below the maximum as destinations."""
        try:
            maximum = int(args_map.get('maximum_vm_count') or DEFAULT_MAXIMUM_VM_COUNT)
            with engine_connection() as connection:
                system = connection.system_service()
                wanted = set(hosts_ids)
                hosts = [host for host in system.hosts_service().list() if host.id in wanted]
                destinations = [host.id for host in hosts if running_vms(host) < maximum]
                overloaded = [host for host in hosts if running_vms(host) >= maximum]
                if not overloaded:
                    return   # printing nothing means: no migration
                busiest = max(overloaded, key=running_vms)
                vms = system.vms_service().list(search='host=%s and status=up' % busiest.name, max=1)
        except Exception as error:
            print('overloaded_host_balancer: %s' % error, file=sys.stderr)
            return
        if vms:
            print((vms[0].id, destinations))
