"""SSO: the token endpoint's answers, bearer checks on the API, revocation, the CA download."""

import json
import time

import ovirtsdk4 as sdk
import pytest

TOKEN_PATH = "/ovirt-engine/sso/oauth/token"
FORM = "application/x-www-form-urlencoded"


def token_request(lab, form, accept="application/json"):
    headers = {"Content-Type": FORM}
    if accept is not None:
        headers["Accept"] = accept
    status, response_headers, body = lab.raw("POST", TOKEN_PATH, form, headers, token=False)
    assert response_headers["Content-Type"].startswith("application/json")
    return status, json.loads(body)


def test_password_grant_answers_the_four_keys(lab):
    before = time.time() * 1000
    status, payload = token_request(lab, "grant_type=password&scope=ovirt-app-api&username=admin@internal"
                                         "&password=ovirt-lab")
    assert status == 200
    assert set(payload) == {"access_token", "token_type", "scope", "exp"}
    assert payload["token_type"] == "bearer"
    assert payload["scope"] == ("ovirt-app-api ovirt-ext=token-info:authz-search "
                                "ovirt-ext=token-info:public-authz-search ovirt-ext=token-info:validate "
                                "ovirt-ext=token:password-access")
    assert isinstance(payload["exp"], str) and int(payload["exp"]) > before


@pytest.mark.parametrize("accept", [None, "application/json, text/plain", "*/*"])
def test_accept_header_must_be_exactly_json(lab, accept):
    status, payload = token_request(lab, "grant_type=password&scope=ovirt-app-api&username=admin@internal"
                                         "&password=ovirt-lab", accept=accept)
    assert status == 400
    assert payload == {"error_code": "invalid_request", "error": "Missing parameter: 'Accept Header'"}


def test_bad_password_with_api_scope_uses_error_code_shape(lab):
    status, payload = token_request(lab, "grant_type=password&scope=ovirt-app-api&username=admin@internal"
                                         "&password=wrong")
    assert status == 400
    assert payload == {"error_code": "access_denied",
                       "error": "Cannot authenticate user 'admin@internal': Unable to log in. Verify your login "
                                "information or contact the system administrator.."}


def test_error_without_api_scope_uses_error_description_shape(lab):
    status, payload = token_request(lab, "grant_type=password&username=admin@internal&password=wrong")
    assert status == 400
    assert payload["error"] == "access_denied"
    assert payload["error_description"].startswith("Cannot authenticate user 'admin@internal'")


@pytest.mark.parametrize("form, code, message", [
    ("grant_type=client_credentials&scope=ovirt-app-api", "unsupported_grant_type",
     "The authorization grant type is not supported by the authorization server."),
    ("grant_type=password&scope=ovirt-app-api&password=x", "invalid_request", "Missing parameter: 'username'"),
    ("grant_type=password&scope=ovirt-app-api&username=admin@nowhere&password=ovirt-lab", "access_denied",
     "Cannot authenticate user 'admin@nowhere': No valid profile found in credentials.."),
    ("grant_type=password&scope=ovirt-app-api&username=admin&password=ovirt-lab", "access_denied",
     "Cannot authenticate user 'admin@N/A': No valid profile found in credentials.."),
])
def test_token_errors(lab, form, code, message):
    status, payload = token_request(lab, form)
    assert (status, payload) == (400, {"error_code": code, "error": message})


def test_sdk_reports_sso_errors_as_auth_error(lab):
    connection = lab.connect(password="wrong")
    with pytest.raises(sdk.AuthError, match="Error during SSO authentication access_denied : Cannot authenticate"):
        connection.system_service().get()


def test_api_without_or_with_bad_token_is_401_html(lab):
    for token in (False, "not-a-token"):
        status, headers, body = lab.raw("GET", "/ovirt-engine/api", token=token)
        assert status == 401
        assert headers["Content-Type"].startswith("text/html")
        assert b"Unauthorized" in body
        assert "WWW-Authenticate" in headers


def test_token_without_api_scope_is_refused(lab):
    token = lab.token(scope="ovirt-app-portal")
    assert lab.raw("GET", "/ovirt-engine/api", token=token)[0] == 401


def test_basic_auth_is_still_accepted(lab):
    status, _headers, _body = lab.raw("GET", "/ovirt-engine/api", token=False,
                                      headers={"Authorization": "Basic YWRtaW5AaW50ZXJuYWw6b3ZpcnQtbGFi"})
    assert status == 200


def test_logout_revokes_the_token(lab):
    connection = lab.connect()
    connection.system_service().get()
    token = connection.authenticate()
    connection.close()
    assert lab.raw("GET", "/ovirt-engine/api", token=token)[0] == 401
    assert lab.engine.stats()["sso"] == {"token": 1, "logout": 1}


def test_sdk_logs_in_again_after_token_expiry(lab):
    connection = lab.connect()
    connection.system_service().get()
    lab.engine.expire_tokens()
    assert connection.system_service().get().product_info.name == "oVirt Engine"
    assert lab.engine.stats()["sso"]["token"] == 2


def test_user_supplied_expired_token_fails(lab):
    token = lab.token()
    connection = lab.connect(username=None, password=None, token=token)
    connection.system_service().get()
    lab.engine.expire_tokens()
    with pytest.raises(sdk.Error):
        connection.system_service().get()


def test_idle_timeout_expires_tokens(make_lab):
    lab = make_lab(token_idle_timeout=0.2)
    token = lab.token()
    assert lab.raw("GET", "/ovirt-engine/api", token=token)[0] == 200
    time.sleep(0.3)
    assert lab.raw("GET", "/ovirt-engine/api", token=token)[0] == 401


def test_ca_certificate_download(lab):
    status, headers, body = lab.raw(
        "GET", "/ovirt-engine/services/pki-resource?resource=ca-certificate&format=X509-PEM-CA", token=False)
    assert status == 200
    with open(lab.engine.ca_file, "rb") as handle:
        assert body == handle.read()
    assert body.startswith(b"-----BEGIN CERTIFICATE-----")
    assert lab.raw("GET", "/ovirt-engine/services/pki-resource?resource=nope&format=X509-PEM-CA",
                   token=False)[0] == 400
