"""The check-list runner shared by the suites that print one PASS/FAIL line
per check and end with "NAME: N passed, N failed" (Tools/test adds those up):
the token interop and service suites on the host, and the VM guest suites
(Tests/vm/guest/vmtest.py)."""
import sys


class Suite:
    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def check(self, description, condition, detail=""):
        if condition:
            self.passed += 1
            print(f"PASS: {description}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL: {description}" + (f" -- {detail}" if detail else ""), flush=True)
        return condition

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(0 if self.failed == 0 else 1)
