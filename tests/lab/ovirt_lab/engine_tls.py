"""TLS material for the lab engine: a private CA and a server certificate, made once per state dir.

The `openssl` CLI is used (EC P-256 keys: generating them takes milliseconds, RSA would not).
The files are reused on restart as long as the requested subject alternative names are unchanged,
so a client that trusted the CA once keeps trusting it.
"""

import ipaddress
import os
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: str
    server_cert: str
    server_key: str


def _run(args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _san_entries(names):
    entries = []
    for name in names:
        try:
            ipaddress.ip_address(name)
            entries.append(f"IP:{name}")
        except ValueError:
            entries.append(f"DNS:{name}")
    return entries


def ensure_certificates(state_dir, names):
    """Return the CA and server files under `<state_dir>/pki`, creating them if needed.

    `names` are the DNS names / IP addresses the server certificate must be valid for.
    """
    pki = os.path.join(state_dir, "pki")
    os.makedirs(pki, exist_ok=True)
    files = TlsFiles(os.path.join(pki, "ca.pem"), os.path.join(pki, "engine.cer"),
                     os.path.join(pki, "engine.key"))
    san = ",".join(_san_entries(sorted(set(names))))
    san_file = os.path.join(pki, "engine.san")
    if all(os.path.exists(path) for path in (files.ca_cert, files.server_cert, files.server_key)):
        with open(san_file, encoding="utf-8") as handle:
            if handle.read() == san:
                return files

    if not os.path.exists(os.path.join(pki, "ca.key")):
        _run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
              "-keyout", "ca.key", "-out", "ca.pem", "-days", "3650",
              "-subj", "/C=US/O=ovirt-lab/CN=ovirt-lab engine CA",
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"], pki)
    with open(os.path.join(pki, "engine.ext"), "w", encoding="utf-8") as handle:
        handle.write(f"subjectAltName={san}\nextendedKeyUsage=serverAuth\n"
                     "keyUsage=critical,digitalSignature,keyEncipherment\n")
    _run(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
          "-keyout", "engine.key", "-out", "engine.csr",
          "-subj", f"/C=US/O=ovirt-lab/CN={sorted(set(names))[0]}"], pki)
    _run(["x509", "-req", "-in", "engine.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
          "-CAcreateserial", "-out", "engine.cer", "-days", "825", "-extfile", "engine.ext"], pki)
    with open(san_file, "w", encoding="utf-8") as handle:
        handle.write(san)
    return files
