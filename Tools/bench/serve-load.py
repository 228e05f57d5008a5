#!/usr/bin/env python3
"""Load on the kiosk agent (issue 8): `captureguard serve` (release build) on a
capture-file device source, which it replays at the recorded pace as a camera
would, over its Unix socket with Python's http.client.

1. --sessions sequential sessions of --seconds each (default 1000 x 1 s):
   latency beyond the capture window (client round trip minus the window,
   and the agent's own post_capture_ms), p50/p99/max, and the window as the
   agent measured it (capture_ms: frames are analysed as they arrive); the agent's RSS
   (/proc/PID/status VmRSS) after the first session and along the run, and
   whether it grows (least-squares slope over the second half, MiB per 100
   sessions).
2. --clients concurrent clients for --concurrent-seconds (default 50 x 60 s),
   each posting sessions back to back (a 409 is retried after 50 ms): every
   answer must be 200 or 409, the agent must still be alive and healthy.

The source is a genuine_face capture from Tools/corpus/generate.py (a real
photo through the simulated sensor, --size, YUYV, 30 fps, 2 s), so the face
worker, forensics and PAD run as on a kiosk.
Usage: Tools/bench/serve-load.py [--sessions 1000] [--seconds 1] [--clients 50]
       [--concurrent-seconds 60] [--size 640x480] [--json FILE]
"""
import argparse, base64, json, os, statistics, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Tools"))
import agent_client  # noqa: E402  (Tools/agent_client.py)
AGENT = os.path.join(ROOT, ".build/release/captureguard")


def post_session(sock, seconds):
    nonce = base64.urlsafe_b64encode(os.urandom(24)).rstrip(b"=").decode()
    status, body, _ = agent_client.request(sock, "POST", "/v1/sessions", {"nonce": nonce, "seconds": seconds})
    return status, body


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def slope_per_100(points):
    xs, ys = zip(*points)
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 100 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--concurrent-seconds", type=float, default=60)
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    subprocess.run(["swift", "build", "-c", "release", "--product", "captureguard"], cwd=ROOT, check=True, capture_output=True)
    with tempfile.TemporaryDirectory(prefix="cg-load-") as work:
        subprocess.run([sys.executable, os.path.join(ROOT, "Tools/corpus/generate.py"), os.path.join(work, "corpus"), "--species", "genuine_face",
                        "--count", "1", "--seconds", "2", "--size", args.size, "--seed", "8", "--no-sensors"], check=True, capture_output=True)
        source = next(os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(work, "corpus")) for f in fs if f.endswith(".cgcap"))
        key = os.path.join(work, "agent.key")
        subprocess.run([AGENT, "keygen", "--out", key], check=True, capture_output=True)
        sock = os.path.join(work, "agent.sock")
        log = open(os.path.join(work, "serve.log"), "w")
        server = subprocess.Popen([AGENT, "serve", "--device", source, "--key", key, "--socket", sock], stderr=log)
        while not os.path.exists(sock):
            time.sleep(0.05)

        beyond, capture, post_capture, rss = [], [], [], []
        failures = 0
        start = time.monotonic()
        for index in range(args.sessions):
            t0 = time.monotonic()
            status, body = post_session(sock, args.seconds)
            elapsed = time.monotonic() - t0
            if status != 200:
                failures += 1
                continue
            beyond.append((elapsed - args.seconds) * 1000)
            post_capture.append(body["summary"]["post_capture_ms"])
            capture.append(body["summary"]["capture_ms"])
            if index == 0 or (index + 1) % 10 == 0:
                rss.append((index + 1, rss_mib(server.pid)))
            if (index + 1) % 50 == 0:
                print(f"  {index + 1}/{args.sessions} sessions, {time.monotonic() - start:.0f} s, RSS {rss[-1][1]:.1f} MiB", file=sys.stderr, flush=True)
        second_half = [p for p in rss if p[0] > args.sessions / 2]
        sequential = {
            "sessions": args.sessions, "seconds": args.seconds, "failures": failures,
            "beyond_window_ms": {"p50": round(percentile(beyond, 50), 1), "p99": round(percentile(beyond, 99), 1), "max": round(max(beyond), 1)},
            "capture_window_ms": {"p50": round(percentile(capture, 50), 1), "p99": round(percentile(capture, 99), 1)},
            "post_capture_ms": {"p50": round(percentile(post_capture, 50), 1), "p99": round(percentile(post_capture, 99), 1), "max": round(max(post_capture), 1)},
            "rss_mib": {"after_first": round(rss[0][1], 1), "after_last": round(rss[-1][1], 1), "max": round(max(r for _, r in rss), 1),
                        "slope_second_half_per_100_sessions": round(slope_per_100(second_half), 3) if len(second_half) > 1 else None},
        }

        counts = {}
        lock = threading.Lock()
        stop_at = time.monotonic() + args.concurrent_seconds

        def client():
            while time.monotonic() < stop_at:
                try:
                    status, _ = post_session(sock, args.seconds)
                except OSError as error:
                    status = f"error: {error.__class__.__name__}"
                with lock:
                    counts[status] = counts.get(status, 0) + 1
                if status != 200:
                    time.sleep(0.05)

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        alive = server.poll() is None
        health = agent_client.request(sock, "GET", "/v1/health")[1] if alive else {}
        concurrent = {"clients": args.clients, "seconds": args.concurrent_seconds, "answers": {str(k): v for k, v in sorted(counts.items(), key=str)},
                      "only_200_and_409": set(counts) <= {200, 409}, "alive_after": alive, "health_after": health.get("device", {}).get("state"),
                      "rss_mib_after": round(rss_mib(server.pid), 1) if alive else None}
        server.terminate()
        exit_code = server.wait(timeout=120)
        log.close()
        result = {"source": f"genuine_face {args.size} YUYV 30 fps", "sequential": sequential, "concurrent": concurrent, "exit_code_after_sigterm": exit_code}
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    ok = failures == 0 and concurrent["only_200_and_409"] and alive and exit_code == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
