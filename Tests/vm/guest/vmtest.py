"""Helpers for the integration suites that run inside the test VM (as root,
cwd = the project). Each suite prints PASS/FAIL lines and ends with
"N passed, N failed"; Tools/test adds those up."""
import json, os, subprocess, sys, time

# The release build, as a kiosk runs it: under TCG the debug build cannot keep
# up with 640x480 YUYV at 25 fps.
AGENT = os.environ.get("CAPTUREGUARD", ".build/release/captureguard")
CGCAP = "Tools/captures/cgcap.py"


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


def run(args, timeout=300):
    """Runs a command to completion; returns CompletedProcess with text output."""
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)


def sh(command, timeout=120):
    result = subprocess.run(["bash", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    if result.returncode != 0:
        print(f"info: '{command}' exited {result.returncode}: {result.stdout.strip()}", flush=True)
    return result


def agent(*args, timeout=300):
    return run([AGENT] + list(args), timeout=timeout)


def agent_json(*args, timeout=300):
    result = agent(*args, "--json", timeout=timeout)
    try:
        return result, json.loads(result.stdout)
    except ValueError:
        return result, None


def wait_for(predicate, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def capture_frames(path):
    """Frames recorded so far, counted by the independent Python reader."""
    try:
        out = run(["python3", CGCAP, "info", path]).stdout
        return json.loads(out)["frames"]
    except (ValueError, KeyError):
        return 0


def cgcap_info(path):
    return json.loads(run(["python3", CGCAP, "info", path]).stdout)
