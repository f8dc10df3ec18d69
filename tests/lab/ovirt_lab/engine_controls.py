"""Lab controls (outside /ovirt-engine): request counters, added latency and injected faults.

Counters and faults apply to /ovirt-engine/api requests only; SSO logins and logouts are
counted apart so that "this run made no POST" style checks are not disturbed by authentication.
"""

import random
import threading
from collections import Counter

FAULT_KINDS = ("500", "503", "drop", "stall")
METHODS = ("GET", "POST", "PUT", "DELETE")


class LabControls:
    def __init__(self):
        self._lock = threading.Lock()
        self._requests = Counter()
        self._sso = Counter()
        self._paths = Counter()
        self.latency = 0.0
        self._fault_kind = None
        self._fault_count = 0
        self._fault_fraction = 0.0
        self._fault_random = random.Random()
        self.stall_seconds = 30.0

    def count_api(self, method, path):
        with self._lock:
            self._requests[method] += 1
            self._paths[f"{method} {path}"] += 1

    def count_sso(self, name):
        with self._lock:
            self._sso[name] += 1

    def stats(self):
        with self._lock:
            return {"requests": {method: self._requests[method] for method in METHODS},
                    "sso": dict(self._sso), "paths": dict(self._paths)}

    def reset(self):
        with self._lock:
            self._requests.clear()
            self._sso.clear()
            self._paths.clear()

    def set_latency(self, milliseconds):
        self.latency = max(0.0, float(milliseconds)) / 1000.0

    def set_faults(self, count=None, fraction=None, seed=None, kind="500", stall_ms=None):
        """Fail the next `count` API requests, or each one with probability `fraction`; count=0 clears."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._fault_kind = kind
            self._fault_count = int(count or 0)
            self._fault_fraction = float(fraction or 0.0)
            if not 0.0 <= self._fault_fraction <= 1.0:
                raise ValueError("fraction must be between 0 and 1")
            self._fault_random = random.Random(seed)
            if stall_ms is not None:
                self.stall_seconds = float(stall_ms) / 1000.0
            if count is not None and int(count) == 0:
                self._fault_fraction = 0.0

    def next_fault(self):
        """The fault kind to apply to the API request being served, or None."""
        with self._lock:
            if self._fault_count > 0:
                self._fault_count -= 1
                return self._fault_kind
            if self._fault_fraction and self._fault_random.random() < self._fault_fraction:
                return self._fault_kind
            return None
