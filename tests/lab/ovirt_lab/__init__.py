"""Lab stand-ins for oVirt Engine 4.5 and its hosts, used as test doubles by ovirt_ext.deploy."""
