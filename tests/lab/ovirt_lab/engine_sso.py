"""The engine's SSO token endpoint and token store (enginesso OAuthTokenServlet / SsoService).

Answers are built the way the real servlet builds them: the `Accept: application/json` check
comes first, then the grant type, then the credentials; errors are HTTP 400 JSON whose shape
depends on whether the requested scope is a REST API scope.
"""

import secrets
import threading
import time

# sso_scope_dependency rows shipped with the engine (dbscripts): what a requested scope pulls in.
SCOPE_DEPENDENCIES = {
    "ovirt-app-api": ["ovirt-ext=token-info:authz-search", "ovirt-ext=token-info:public-authz-search",
                      "ovirt-ext=token-info:validate", "ovirt-ext=token:password-access"],
}
API_SCOPE = "ovirt-app-api"
PROFILES = {"internal"}
LOGIN_FAILED = "Unable to log in. Verify your login information or contact the system administrator."


class OAuthError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class SsoService:
    """Issues, validates and revokes bearer tokens for the lab's users."""

    def __init__(self, users, token_lifetime=86400.0, idle_timeout=1800.0):
        self._users = dict(users)
        self._lifetime = token_lifetime
        self._idle_timeout = idle_timeout
        self._lock = threading.Lock()
        self._tokens = {}  # token -> {"user", "scope", "valid_to", "last_used"}

    @staticmethod
    def resolve_scope(scope):
        """Requested scope plus its dependencies, sorted and space separated (TreeSet join)."""
        resolved = set()
        for item in scope.split():
            resolved.add(item)
            resolved.update(SCOPE_DEPENDENCIES.get(item, []))
        return " ".join(sorted(resolved))

    @staticmethod
    def _is_api_scope(scope):
        items = scope.split()
        return API_SCOPE in items and "ovirt-app-admin" not in items and "ovirt-app-portal" not in items

    def token_request(self, accept, form):
        """Handle POST /ovirt-engine/sso/oauth/token; returns (http_status, json_payload)."""
        grant_type = form.get("grant_type", "grant_type")
        scope = self.resolve_scope(form.get("scope", ""))
        try:
            if accept != "application/json":
                raise OAuthError("invalid_request", "Missing parameter: 'Accept Header'")
            if grant_type != "password":
                raise OAuthError("unsupported_grant_type",
                                 "The authorization grant type is not supported by the authorization server.")
            return 200, self._password_grant(form, scope)
        except OAuthError as error:
            if self._is_api_scope(scope):
                return 400, {"error_code": error.code, "error": error.message}
            return 400, {"error": error.code, "error_description": error.message}

    def _password_grant(self, form, scope):
        for name in ("username", "password"):
            if name not in form:
                raise OAuthError("invalid_request", f"Missing parameter: '{name}'")
        login = form["username"]
        user, _sep, profile = login.rpartition("@") if "@" in login else (login, "", "")
        reason = None
        if not user:
            reason = "No user name found in credentials."
        elif profile not in PROFILES:
            # Credentials.profileValid is only ever set for a known, non-empty profile.
            reason = "No valid profile found in credentials."
        elif self._users.get(login) != form["password"]:
            reason = LOGIN_FAILED
        if reason:
            raise OAuthError("access_denied",
                             f"Cannot authenticate user '{user}@{profile or 'N/A'}': {reason}.")
        token = secrets.token_urlsafe(64)
        now = time.time()
        valid_to = now + self._lifetime
        with self._lock:
            self._tokens[token] = {"user": login, "scope": scope, "valid_to": valid_to, "last_used": now}
        return {"access_token": token, "scope": scope, "exp": str(int(valid_to * 1000)), "token_type": "bearer"}

    def validate(self, token):
        """True when the token may call the REST API (known, not expired, has ovirt-app-api)."""
        now = time.time()
        with self._lock:
            session = self._tokens.get(token)
            if session is None:
                return False
            if now > session["valid_to"] or now - session["last_used"] > self._idle_timeout:
                del self._tokens[token]
                return False
            session["last_used"] = now
            return API_SCOPE in session["scope"].split()

    def revoke(self, token):
        with self._lock:
            self._tokens.pop(token, None)

    def expire_all(self):
        with self._lock:
            self._tokens.clear()
