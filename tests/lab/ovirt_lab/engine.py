"""The lab engine: an HTTPS stand-in for oVirt Engine 4.5's REST API v4, SSO and WebAdmin host page.

In-process use (pytest)::

    eng = LabEngine(state_dir=path, vms=10, port=0, listen="127.0.0.1", hosts=None)
    eng.start(); ...; eng.restart(); ...; eng.stop()

As a service (foreground, stops cleanly on SIGTERM)::

    python -m ovirt_lab.engine --listen 127.0.0.1 --port 8443 --state-dir DIR --vms 10 --ca-out ca.pem
"""

import argparse
import base64
import json
import logging
import os
import re
import shutil
import signal
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from .api_model import LabState
from .api_resources import API_BASE, Api
from .engine_controls import LabControls
from .engine_runtime import Runtime
from .engine_sso import SsoService
from .engine_tls import ensure_certificates
from .engine_webadmin import WebAdmin
from .ui_plugins import UiPluginRegistry

log = logging.getLogger("ovirt_lab.engine")

USERS = {"admin@internal": "ovirt-lab"}
DEFAULT_HOSTS = ("host1", "host2")
API_PREFIX = API_BASE
PLUGIN_PREFIX = "/ovirt-engine/webadmin/plugin/"
SUPPORTED_API_VERSIONS = ("4",)
HANDSHAKE_TIMEOUT = 10.0
# What the servlet container sends for sendError(): the SDK sees an HTML answer, as with the engine.
ERROR_PAGE = "<html><head><title>Error</title></head><body>{}</body></html>"
REASONS = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
           500: "Internal Server Error", 503: "Service Unavailable"}


class _Services:
    """What request handlers need, rebuilt at every (re)start like the engine's own services."""

    def __init__(self, engine, state, runtime):
        self.state = state
        self.runtime = runtime
        self.api = Api(state, runtime)
        self.sso = engine.sso
        self.controls = engine.controls
        self.webadmin = engine.webadmin
        self.tls = engine.tls
        self.stopping = threading.Event()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, ssl_context, services):
        self.ssl_context = ssl_context
        self.services = services
        self.connections = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def get_request(self):
        sock, address = self.socket.accept()
        # Headers and body leave in separate writes: without this, Nagle + delayed ACK add ~40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # The TLS handshake happens in the handler thread, so a slow client cannot stall accept().
        return self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request, client_address):
        # Clients that go away and connections cut by stop() are normal events for a lab server.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)

    def close_connections(self):
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ovirt-lab-engine"
    sys_version = ""

    def setup(self):
        self.request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            self.request.do_handshake()
        except (OSError, ssl.SSLError):
            self.request.close()
            raise
        self.request.settimeout(None)
        with self.server.connections_lock:
            self.server.connections.add(self.request)
        super().setup()

    def finish(self):
        with self.server.connections_lock:
            self.server.connections.discard(self.request)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_HEAD(self):
        self._dispatch("HEAD")

    # -- plumbing ----------------------------------------------------------------------------------

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, body=b"", content_type="", headers=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _drop(self):
        """Lose the connection mid-answer. A silent close is not enough: HTTP clients retry a request
        whose reused keep-alive connection closed before any byte came back."""
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 4096\r\n\r\n<")
        self.close_connection = True

    def _send_error_page(self, status, headers=None):
        self._send(status, ERROR_PAGE.format(REASONS.get(status, "Error")), "text/html;charset=UTF-8", headers)

    def _send_json(self, status, payload):
        self._send(status, json.dumps(payload), "application/json")

    def _dispatch(self, method):
        services = self.server.services
        url = urlsplit(self.path)
        path = url.path
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        body = self._body()
        if path.startswith("/lab/"):
            self._lab(method, path, body, services)
        elif path == "/ovirt-engine/sso/oauth/token":
            services.controls.count_sso("token")
            form = {**query, **dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))}
            status, payload = services.sso.token_request(self.headers.get("Accept"), form)
            self._send_json(status, payload)
        elif path == "/ovirt-engine/services/sso-logout":
            services.controls.count_sso("logout")
            form = {**query, **dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))}
            services.sso.revoke(form.get("token", ""))
            self._send_json(200, {})
        elif path == "/ovirt-engine/services/pki-resource":
            self._pki(query, services)
        elif path.startswith("/ovirt-engine/webadmin/"):
            self._webadmin(method, path, services)
        elif path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            self._api(method, path, query, body, services)
        else:
            self._send(404)

    def _pki(self, query, services):
        files = {"ca-certificate": services.tls.ca_cert, "engine-certificate": services.tls.server_cert}
        if query.get("resource") not in files or query.get("format") not in ("X509-PEM-CA", "X509-PEM"):
            self._send_error_page(400)
            return
        with open(files[query["resource"]], "rb") as handle:
            self._send(200, handle.read(), "application/x-x509-ca-cert")

    def _webadmin(self, method, path, services):
        if method not in ("GET", "HEAD"):
            self._send_error_page(405)
            return
        if path in ("/ovirt-engine/webadmin/", "/ovirt-engine/webadmin/WebAdmin.html"):
            self._send(200, services.webadmin.host_page(), "text/html;charset=UTF-8",
                       {"Cache-Control": "no-cache, no-store, must-revalidate"})
            return
        found = None
        if path.startswith(PLUGIN_PREFIX):
            # PluginResourceServlet splits the decoded path info at its first '/' after leading ones.
            name, _sep, relative_path = unquote(path[len(PLUGIN_PREFIX):]).lstrip("/").partition("/")
            found = services.webadmin.resource(name, relative_path)
        if found is None:
            self._send(404)
            return
        self._send(200, found[0], found[1], {"Cache-Control": "no-cache"})

    def _authorized(self, services):
        header = self.headers.get("Authorization") or ""
        if header.startswith("Bearer "):
            return services.sso.validate(header[len("Bearer "):].strip())
        if header.startswith("Basic "):
            try:
                user, _sep, password = base64.b64decode(header[len("Basic "):]).decode().partition(":")
            except ValueError:
                return False
            return USERS.get(user) == password
        return False

    def _api(self, method, path, query, body, services):
        controls = services.controls
        controls.count_api(method, path)
        fault = controls.next_fault()
        if fault in ("drop", "stall"):
            if fault == "stall":
                services.stopping.wait(controls.stall_seconds)
            self._drop()
            return
        if fault is not None:
            self._send_error_page(int(fault))
            return
        if controls.latency:
            services.stopping.wait(controls.latency)
        if not self._authorized(services):
            self._send_error_page(401, {"WWW-Authenticate": 'Basic realm="RESTAPI"'})
            return
        rest = path[len(API_PREFIX):]
        base = API_PREFIX
        version = self.headers.get("Version") or "4"
        match = re.fullmatch(r"/v([0-9]+)(/.*)?", rest)
        if match:
            version, rest = match.group(1), match.group(2) or ""
            base = f"{API_PREFIX}/v{version}"
        if version not in SUPPORTED_API_VERSIONS:
            self._send_error_page(400)
            return
        segments = [unquote(part) for part in rest.split("/") if part]
        response = services.api.handle("GET" if method == "HEAD" else method, segments, query, body, base)
        self._send(response.status, response.body, response.content_type, response.headers)

    def _lab(self, method, path, body, services):
        controls = services.controls
        try:
            payload = json.loads(body or b"{}")
            if (method, path) == ("GET", "/lab/stats"):
                self._send_json(200, controls.stats())
                return
            if (method, path) == ("POST", "/lab/stats/reset"):
                controls.reset()
            elif (method, path) == ("POST", "/lab/latency"):
                controls.set_latency(payload["ms"])
            elif (method, path) == ("POST", "/lab/faults"):
                controls.set_faults(payload.get("count"), payload.get("fraction"), payload.get("seed"),
                                    payload.get("kind", "500"), payload.get("stall_ms"))
            elif (method, path) == ("POST", "/lab/sso/expire"):
                services.sso.expire_all()
            else:
                self._send_json(404, {"error": f"no lab control {method} {path}"})
                return
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            self._send_json(400, {"error": str(error)})
            return
        self._send_json(200, {})


class LabEngine:
    """An oVirt Engine 4.5 stand-in serving HTTPS on `listen`:`port` (0 = a free port)."""

    def __init__(self, state_dir, vms=10, port=0, listen="127.0.0.1", hosts=None, usr_dir=None, etc_dir=None,
                 sans=(), token_lifetime=86400.0, token_idle_timeout=1800.0):
        self.state_dir = os.path.abspath(state_dir)
        self.vm_count = vms
        self.port = port
        self.listen = listen
        self.hosts = dict(hosts or {})
        self.usr_dir = usr_dir or os.path.join(self.state_dir, "usr-share-ovirt-engine")
        self.etc_dir = etc_dir or os.path.join(self.state_dir, "etc-ovirt-engine")
        self.sans = list(sans)
        self.sso = SsoService(USERS, token_lifetime, token_idle_timeout)
        self.controls = LabControls()
        self.tls = None
        self.webadmin = None
        self._server = None
        self._thread = None
        self._services = None

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def url(self):
        host = "localhost" if self.listen in ("0.0.0.0", "::") else self.listen
        return f"https://{host}:{self.port}{API_PREFIX}"

    @property
    def ca_file(self):
        return self.tls.ca_cert

    def start(self):
        os.makedirs(self.state_dir, exist_ok=True)
        names = {"localhost", "127.0.0.1", *self.sans}
        if self.listen not in ("0.0.0.0", "::"):
            names.add(self.listen)
        self.tls = ensure_certificates(self.state_dir, names)
        self.webadmin = WebAdmin(UiPluginRegistry(self.usr_dir, self.etc_dir))
        state = LabState(self.state_dir)
        state.load_or_seed(self.vm_count, list(self.hosts) or list(DEFAULT_HOSTS))
        runtime = Runtime(state, self.state_dir, self.hosts)
        runtime.load_config()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.tls.server_cert, self.tls.server_key)
        self._services = _Services(self, state, runtime)
        self._server = _Server((self.listen, self.port), context, self._services)
        self.port = self._server.server_address[1]
        state.start_flusher()
        runtime.start_discovery()
        runtime.refresh_all_capabilities()
        threading.Thread(target=self._services.api.warm_cache, name="lab-warm-cache", daemon=True).start()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="lab-engine-http", daemon=True)
        self._thread.start()
        log.info("lab engine listening on %s", self.url)
        return self

    def stop(self):
        """Stop serving, drop open connections and save the state (systemctl stop ovirt-engine)."""
        if self._server is None:
            return
        self._services.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._thread.join()
        self._services.runtime.wait_idle(timeout=5.0)
        self._services.state.stop_flusher()
        self._server = None
        self._thread = None

    def restart(self):
        """systemctl restart ovirt-engine: data stays, engine-config is re-read, discovery runs again.

        SSO sessions live in the engine's memory, so every token is gone afterwards.
        """
        self.stop()
        self.sso.expire_all()
        self.start()
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -- helpers for tests -------------------------------------------------------------------------

    def wait_discovery(self, timeout=30.0):
        self._services.runtime.wait_discovery(timeout)

    def wait_idle(self, timeout=30.0):
        """Wait until VM launches and host capability refreshes in flight are over."""
        return self._services.runtime.wait_idle(timeout)

    def stats(self):
        return self.controls.stats()

    def reset_stats(self):
        self.controls.reset()

    def set_latency(self, ms):
        self.controls.set_latency(ms)

    def inject_faults(self, count=None, fraction=None, seed=None, kind="500", stall_ms=None):
        self.controls.set_faults(count, fraction, seed, kind, stall_ms)

    def clear_faults(self):
        self.controls.set_faults(count=0)

    def expire_tokens(self):
        self.sso.expire_all()


def _parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ovirt_lab.engine", description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--vms", type=int, default=10, help="VMs to seed in a new state dir")
    parser.add_argument("--ca-out", help="copy the CA certificate (PEM) to this file once listening")
    parser.add_argument("--host", action="append", default=[], metavar="NAME=URL",
                        help="a lab host and the URL of its agent (repeatable)")
    parser.add_argument("--usr-dir", default="/usr/share/ovirt-engine", help="ENGINE_USR (holds ui-plugins/)")
    parser.add_argument("--etc-dir", default="/etc/ovirt-engine", help="ENGINE_ETC (holds ui-plugins/)")
    parser.add_argument("--san", action="append", default=[], metavar="DNSNAME",
                        help="extra subject alternative name for the server certificate (repeatable)")
    return parser.parse_args(argv)


def main(argv=None):
    args = _parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    hosts = {}
    for item in args.host:
        name, sep, url = item.partition("=")
        if not sep or not name or not url:
            raise SystemExit(f"--host expects NAME=URL, got {item!r}")
        hosts[name] = url.rstrip("/")
    engine = LabEngine(args.state_dir, vms=args.vms, port=args.port, listen=args.listen, hosts=hosts,
                       usr_dir=args.usr_dir, etc_dir=args.etc_dir, sans=args.san)
    stop_requested = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop_requested.set())
    engine.start()
    if args.ca_out:
        shutil.copyfile(engine.ca_file, args.ca_out)
    print(f"lab engine listening on {engine.url} (CA {engine.ca_file})", flush=True)
    while not stop_requested.wait(1.0):
        pass
    engine.stop()
    log.info("lab engine stopped")


if __name__ == "__main__":
    main()
