"""Throughput of the lab engine as the SDK sees it: GET and PUT requests/s, and listing 2000 VMs.

Runs a lab engine in a child process on 127.0.0.1 (a free port, a temporary state dir), drives it
through ovirtsdk4, prints the figures and stops the engine. Every phase is bounded in time.

    .venv/bin/python tests/bench/bench_lab.py [--seconds 3] [--clients 1] [--vms 2000]
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import ovirtsdk4 as sdk
from ovirtsdk4 import types

LAB = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lab")
START_TIMEOUT = 60.0


def start_engine(state_dir, vms):
    process = subprocess.Popen(
        [sys.executable, "-m", "ovirt_lab.engine", "--listen", "127.0.0.1", "--port", "0", "--state-dir", state_dir,
         "--vms", str(vms), "--usr-dir", state_dir, "--etc-dir", state_dir],
        cwd=LAB, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + START_TIMEOUT
    line = ""
    while time.monotonic() < deadline and "listening on" not in line:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise SystemExit("the lab engine did not start")
    match = re.search(r"listening on (\S+) \(CA (\S+)\)", line)
    if not match:
        process.kill()
        raise SystemExit("the lab engine did not report its URL")
    return process, match.group(1), match.group(2)


def connect(url, ca_file):
    return sdk.Connection(url=url, username="admin@internal", password="ovirt-lab", ca_file=ca_file, timeout=60)


def rate(url, ca_file, clients, seconds, make_call):
    """Requests/s over `seconds`, with `clients` connections each calling sequentially."""
    counts = [0] * clients
    stop = threading.Event()

    def worker(index):
        connection = connect(url, ca_file)
        call = make_call(connection, index)
        call()  # log in and warm up outside the measurement
        barrier.wait()
        while not stop.is_set():
            call()
            counts[index] += 1
        connection.close()

    barrier = threading.Barrier(clients + 1)
    threads = [threading.Thread(target=worker, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.monotonic()
    time.sleep(seconds)
    stop.set()
    elapsed = time.monotonic() - started
    for thread in threads:
        thread.join(timeout=60)
    return sum(counts) / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each throughput phase")
    parser.add_argument("--clients", type=int, default=1, help="concurrent SDK connections")
    parser.add_argument("--vms", type=int, default=2000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-lab-") as state_dir:
        process, url, ca_file = start_engine(state_dir, args.vms)
        try:
            connection = connect(url, ca_file)
            vms_service = connection.system_service().vms_service()
            timings = []
            for _attempt in range(3):
                started = time.monotonic()
                listed = vms_service.list()
                timings.append(time.monotonic() - started)
            vm_ids = [vm.id for vm in listed[:max(args.clients, 1)]]
            connection.close()

            def getter(conn, index):
                service = conn.system_service().vms_service().vm_service(vm_ids[index])
                return service.get

            def putter(conn, index):
                service = conn.system_service().vms_service().vm_service(vm_ids[index])
                counter = iter(range(10 ** 9))
                return lambda: service.update(types.Vm(description=f"bench {next(counter)}"))

            get_rate = rate(url, ca_file, args.clients, args.seconds, getter)
            put_rate = rate(url, ca_file, args.clients, args.seconds, putter)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    print(f"lab engine benchmark ({args.clients} SDK client(s), {args.seconds:g} s per phase, loopback HTTPS)")
    print(f"  GET /vms/{{id}}:     {get_rate:8.1f} requests/s")
    print(f"  PUT /vms/{{id}}:     {put_rate:8.1f} requests/s")
    print(f"  list {len(listed)} VMs:    {min(timings):8.3f} s (best of 3; first {timings[0]:.3f} s)")


if __name__ == "__main__":
    main()
