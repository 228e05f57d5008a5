"""Shared helpers of the corpus tests: paths, the captureguard binary, and a
tiny test runner that ends with the plain "N passed, N failed" line
Tools/test reads."""
import os
import subprocess
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "Tools", "corpus")
sys.path.insert(0, CORPUS)
sys.path.insert(0, os.path.join(ROOT, "Tools", "captures"))


def binary():
    """The captureguard to test: $CAPTUREGUARD, else the newer of the debug and
    release builds (Tools/test builds debug before the Python suites)."""
    if os.environ.get("CAPTUREGUARD"):
        return os.environ["CAPTUREGUARD"]
    found = [os.path.join(ROOT, ".build", kind, "captureguard") for kind in ("release", "debug")]
    found = [p for p in found if os.path.exists(p)]
    if not found:
        return None
    return max(found, key=os.path.getmtime)


def has_command(command):
    path = binary()
    if path is None:
        return False
    return subprocess.run([path, command, "--help"], capture_output=True).returncode == 0


_fetched = {}


def real_cache():
    """The directory Tools/corpus/fetch-real fills (fetched once per process);
    raises AssertionError, with fetch-real's last line, when it cannot."""
    if "error" in _fetched:
        raise AssertionError(_fetched["error"])
    if "dir" not in _fetched:
        result = subprocess.run([os.path.join(CORPUS, "fetch-real")], capture_output=True, text=True)
        if result.returncode != 0:
            _fetched["error"] = ("fetch-real could not get the real material (offline?): "
                                 + (result.stderr.strip().splitlines() or ["no message"])[-1])
            raise AssertionError(_fetched["error"])
        _fetched["dir"] = result.stdout.strip().splitlines()[-1]
    return _fetched["dir"]


class Skip(Exception):
    """A test that could not run; counted as failed unless allowed."""


def run_tests(tests, name, skip_counts_as="failed"):
    """Runs (name, function) pairs; prints one line per test and, last,
    'name: N passed, N failed' (plus ', N skipped'). Exits 1 on failure."""
    passed = failed = skipped = 0
    for test_name, function in tests:
        started = time.time()
        try:
            function()
        except Skip as reason:
            if skip_counts_as == "skipped":
                skipped += 1
                print(f"SKIP {test_name}: {reason}", flush=True)
            else:
                failed += 1
                print(f"FAIL {test_name}: cannot run: {reason}", flush=True)
            continue
        except Exception:
            failed += 1
            print(f"FAIL {test_name} ({time.time() - started:.1f} s)", flush=True)
            traceback.print_exc(file=sys.stdout)
            continue
        passed += 1
        print(f"ok   {test_name} ({time.time() - started:.1f} s)", flush=True)
    line = f"{name}: {passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    sys.exit(1 if failed else 0)


def check(condition, message):
    if not condition:
        raise AssertionError(message)
