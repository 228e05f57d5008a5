#!/usr/bin/env python3
"""Prints what the agent observed in one scenario run (the files scenario_run
leaves in its output directory)."""
import base64, json, os, sys


def load(out, name):
    """The JSON file `name` in a scenario's output directory, or None."""
    try:
        with open(os.path.join(out, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def text(out, name):
    """The stripped text of `name` in a scenario's output directory, or ""."""
    try:
        with open(os.path.join(out, name)) as f:
            return f.read().strip()
    except OSError:
        return ""


def main(out):
    before, after, record, replay = load(out, "inspect-before.json"), load(out, "inspect.json"), load(out, "record.json"), load(out, "replay.json")
    assessments = (("before the writer", load(out, "assess-before.json")), ("with the writer", load(out, "assess.json")))
    print(f"scenario: {text(out, 'name')}")
    for label, snap in (("before the writer", before), ("with the writer", after)):
        if not snap:
            print(f"  {label}: inspect failed: {text(out, 'inspect-before.err' if snap is before else 'inspect.err')}")
            continue
        q = snap["querycap"]
        print(f"  {label}: driver='{q['driver']}' card='{q['card']}' bus='{q['bus_info']}' "
              f"node caps={','.join(q['device_cap_names'])} formats={[f['fourcc'] for f in snap.get('formats') or []]}")
        for o in snap.get("openers") or []:
            print(f"    opener: {o['comm']} (pid {o['pid']}, {o['mode']})")
    print(f"  record before the writer: exit {text(out, 'record-before.rc')} {text(out, 'record-before.err')}")
    print(f"  writer ready: {text(out, 'writer.ready') == '1'} (sysfs format {text(out, 'sysfs-format')!r})")
    if record:
        print(f"  record: exit {text(out, 'record.rc')}, {record['frames']} frames {record['format']['fourcc']} "
              f"{record['format']['width']}x{record['format']['height']}, {record['drops']} sequence gaps, "
              f"{record['measured_fps']:.2f} fps by arrival")
    else:
        print(f"  record: exit {text(out, 'record.rc')}: {text(out, 'record.err')}")
    if replay and replay["frames"]:
        types = sorted({f["timestamp_type"] for f in replay["frames"]})
        print(f"  timestamp types: {types}; first sequences {[f['sequence'] for f in replay['frames'][:4]]}")
    for label, assessment in assessments:
        if not assessment:
            print(f"  capture path {label}: assess-path failed")
            continue
        print(f"  capture path {label}: verdict {assessment['verdict']} (policy {assessment['policy_version']})")
        for f in assessment["findings"]:
            print(f"    {f['severity']:<10} {f['code']}: {f['message']}")
    print(f"  attestation: {text(out, 'attest.err')}")
    forensics = token_claims(text(out, "token")).get("submods", {}).get("frame_forensics", {})
    if forensics:
        print(f"  frame forensics: {forensics.get('status')}, verdict {forensics.get('verdict')}")
        for f in forensics.get("findings", []):
            if f["severity"] != "info":
                print(f"    {f['severity']:<10} {f['code']}: {f['evidence']}")
    print("  (face PAD does not run yet)")


def token_claims(token):
    """The payload of a compact JWS, unverified (the suites verify tokens
    with `captureguard verify`; this only shows what the agent signed)."""
    parts = (token or "").strip().split(".")
    if len(parts) != 3:
        return {}
    try:
        return json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return {}


if __name__ == "__main__":
    main(sys.argv[1])
