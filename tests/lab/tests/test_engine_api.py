"""API root, versioning, content types, keep-alive, 404/405, data centers, templates, sub-collections."""

import http.client
import ssl

import ovirtsdk4 as sdk
from ovirtsdk4 import types
import pytest


def test_api_root(conn, lab):
    api = conn.system_service().get()
    assert api.product_info.name == "oVirt Engine"
    assert (api.product_info.version.major, api.product_info.version.minor) == (4, 5)
    assert api.product_info.version.full_version.startswith("4.5.")
    assert api.special_objects.blank_template.id == "00000000-0000-0000-0000-000000000000"
    assert (api.summary.vms.total, api.summary.hosts.total) == (10, 2)
    assert conn.test(raise_exception=True)
    status, headers, body = lab.raw("GET", "/ovirt-engine/api")
    assert headers["Content-Type"] == "application/xml;charset=UTF-8"
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
    assert b'<link href="/ovirt-engine/api/vms" rel="vms"/>' in body
    assert b'<link href="/ovirt-engine/api/vms?search={query}" rel="vms/search"/>' in body


def test_version_prefix_keeps_hrefs_under_v4(lab):
    connection = lab.connect(url=lab.engine.url + "/v4")
    vm = connection.system_service().vms_service().list(search="name=vm0001")[0]
    assert vm.href.startswith("/ovirt-engine/api/v4/vms/")
    assert connection.follow_link(vm.cluster).name == "Default"


def test_unsupported_version_is_400(lab):
    assert lab.raw("GET", "/ovirt-engine/api", headers={"Version": "3"})[0] == 400
    assert lab.raw("GET", "/ovirt-engine/api/v3/vms")[0] == 400
    assert lab.raw("GET", "/ovirt-engine/api/v4/vms")[0] == 200


def test_unknown_ids_and_paths_are_404_with_empty_body(conn, lab):
    with pytest.raises(sdk.NotFoundError, match="HTTP response code is 404"):
        conn.system_service().vms_service().vm_service("no-such-id").get()
    for path in ("/ovirt-engine/api/vms/no-such-id", "/ovirt-engine/api/nothing", "/ovirt-engine/nothing"):
        status, _headers, body = lab.raw("GET", path)
        assert (status, body) == (404, b"")


def test_method_not_allowed(lab):
    assert lab.raw("DELETE", "/ovirt-engine/api/vms")[0] == 405


def test_malformed_body_is_a_400_fault(lab, conn):
    vm = conn.system_service().vms_service().list(search="name=vm0001")[0]
    status, _headers, body = lab.raw("PUT", f"/ovirt-engine/api/vms/{vm.id}", body="<vm><name>",
                                     headers={"Content-Type": "application/xml"})
    assert status == 400 and b"<fault>" in body


def test_keep_alive_serves_many_requests_on_one_connection(lab):
    token = lab.token()
    context = ssl.create_default_context(cafile=lab.engine.ca_file)
    connection = http.client.HTTPSConnection("127.0.0.1", lab.engine.port, context=context, timeout=10)
    for _attempt in range(5):
        connection.request("GET", "/ovirt-engine/api/clusters", headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        assert response.status == 200 and int(response.getheader("Content-Length")) == len(response.read())
    connection.close()


def test_data_center(conn):
    dcs = conn.system_service().data_centers_service().list(search="name=Default")
    assert [dc.name for dc in dcs] == ["Default"]
    dc_service = conn.system_service().data_centers_service().data_center_service(dcs[0].id)
    assert (dc_service.get().version.major, dc_service.get().version.minor) == (4, 7)
    assert sorted(c.name for c in dc_service.clusters_service().list()) == ["Default", "Prod"]
    assert conn.follow_link(dcs[0].networks) == []


def test_blank_template_and_vm_name_search(conn):
    templates = conn.system_service().templates_service()
    assert [t.name for t in templates.list(search="vm.name=vm0001")] == ["Blank"]
    assert templates.list(search="vm.name=nosuchvm") == []
    blank = templates.template_service("00000000-0000-0000-0000-000000000000").get()
    assert blank.version.version_number == 1


def test_vm_and_host_subcollections_are_served(conn):
    vm = conn.system_service().vms_service().list(search="name=vm0001")[0]
    vm_service = conn.system_service().vms_service().vm_service(vm.id)
    assert vm_service.numa_nodes_service().list() == []
    assert vm_service.nics_service().list() == []
    assert conn.follow_link(vm.disk_attachments) == []
    host = conn.system_service().hosts_service().list()[0]
    assert conn.system_service().hosts_service().host_service(host.id).nics_service().list() == []


def test_references_carry_hrefs(conn):
    vm = conn.system_service().vms_service().list(search="name=vm0002")[0]
    assert conn.follow_link(vm.cluster).name == "Prod"
    assert conn.follow_link(vm.template).name == "Blank"
    assert isinstance(vm.status, types.VmStatus) and vm.status == types.VmStatus.DOWN


def test_large_bodies_go_through_expect_100_continue(conn):
    vms = conn.system_service().vms_service()
    service = vms.vm_service(vms.list(search="name=vm0001")[0].id)
    value = "x" * 5000  # pycurl asks for 100-continue above 1 KiB
    vm = service.update(types.Vm(custom_properties=[types.CustomProperty(name="nvram_template", value=value)]))
    assert vm.custom_properties[0].value == value
