"""Helpers for the integration suites that run inside the test VM (as root,
cwd = the project). Each suite prints PASS/FAIL lines and ends with
"N passed, N failed"; Tools/test adds those up."""
import json, os, subprocess, sys, time

# The guest sees the host's / (Tools/vm/README.md), so the project's shared
# runner is at hand.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from suite import Suite  # noqa: E402,F401  (re-exported to the guest suites)

# The release build, as a kiosk runs it: under TCG the debug build cannot keep
# up with 640x480 YUYV at 25 fps.
AGENT = os.environ.get("CAPTUREGUARD", ".build/release/captureguard")
CGCAP = "Tools/captures/cgcap.py"


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
