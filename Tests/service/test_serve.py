#!/usr/bin/env python3
"""`captureguard serve` with real clients (issue 8): curl --unix-socket and
Python's http.client over AF_UNIX, on a capture-file device source (a 3 s
ffmpeg testsrc2 clip imported with import-y4m, replayed at its recorded pace).

* every endpoint: sessions (token verified with PyJWT against /v1/jwks, the
  evidence digest and the nonce), health, jwks;
* bad requests: malformed HTTP, oversize request line, headers and body,
  Transfer-Encoding, no Content-Length, slowloris and idle connections,
  wrong methods and paths, bad JSON, unknown fields, bad nonces, seconds and
  media type, random bytes. Each gets its status and code, and health stays ok;
* two sessions at once: one 200, one 409 with Retry-After;
* hot-plug: the source disappears (health lost, session 503) and comes back;
* SIGHUP reloads the policy (a bad file keeps the old one);
* SIGTERM during a session: the client gets its 200, the agent exits 0 and
  removes its socket;
* the audit log verifies, and an edited, deleted or truncated log is caught;
* socket mode 0660, world-accessible modes and non-loopback --listen refused;
* logs are JSON lines and never hold the nonce or image data.

Usage: Tests/service/test_serve.py [--binary PATH]  (default .build/debug/captureguard)
Prints "service: N passed, N failed".
"""
import argparse, base64, hashlib, http.client, json, os, random, shutil, signal, socket, stat, subprocess, sys, tempfile, threading, time

import jwt

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tools"))
import agent_client  # noqa: E402  (Tools/agent_client.py)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from suite import Suite  # noqa: E402  (Tests/suite.py)

ap = argparse.ArgumentParser()
ap.add_argument("--binary", default=os.environ.get("CAPTUREGUARD", ".build/debug/captureguard"))
args = ap.parse_args()
AGENT = os.path.abspath(args.binary)
suite = Suite("service")
check = suite.check


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Agent:
    def __init__(self, work, device, *extra, name="agent"):
        self.socket = os.path.join(work, f"{name}.sock")
        self.log_path = os.path.join(work, f"{name}.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([AGENT, "serve", "--device", device, "--key", KEY, "--socket", self.socket, *extra],
                                        stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline and not os.path.exists(self.socket) and self.process.poll() is None:
            time.sleep(0.05)

    def request(self, method, path, body=None, headers=None, timeout=60):
        return agent_client.request(self.socket, method, path, body, headers, timeout)

    def raw(self, data, pause=None, read_timeout=15):
        """Sends bytes (a list of chunks with `pause` seconds between) and
        returns the status code the agent answered, or None."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(read_timeout)
        s.connect(self.socket)
        try:
            for chunk in (data if isinstance(data, list) else [data]):
                s.sendall(chunk)
                if pause:
                    time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while True:
                part = s.recv(65536)
                if not part:
                    break
                answer += part
        except (socket.timeout, ConnectionResetError):
            pass
        s.close()
        try:
            status = int(answer.split(b" ", 2)[1])
        except (IndexError, ValueError):
            status = None
        body = answer.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in answer else b""
        try:
            code = json.loads(body).get("error")
        except ValueError:
            code = None
        return status, code

    def healthy(self):
        try:
            status, body, _ = self.request("GET", "/v1/health", timeout=10)
            return status == 200 and body["device"]["state"] in ("ok", "busy")
        except OSError:
            return False

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = None
        self.log.close()
        return code

    def log_lines(self):
        with open(self.log_path) as f:
            return [line for line in f.read().splitlines() if line]


work = tempfile.mkdtemp(prefix="cg-serve-")
KEY = os.path.join(work, "agent.key")
r = subprocess.run([AGENT, "keygen", "--out", KEY], capture_output=True, text=True)
keygen_jwks = json.loads(r.stdout)
y4m = os.path.join(work, "clip.y4m")
subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "3", "-pix_fmt", "yuv420p", y4m], check=True)
CAPTURE = os.path.join(work, "clip.cgcap")
subprocess.run([AGENT, "import-y4m", y4m, "--out", CAPTURE], check=True, capture_output=True)
AUDIT = os.path.join(work, "audit.log")
POLICY = os.path.join(work, "policy.json")
policy = {"version": "decision-policy/3", "capture_path": {"physical": "pass", "virtual": "fail", "suspicious": "step_up", "unknown": "retry"},
          "file_source": "step_up", "minimum_frames": 10, "token_lifetime_s": 120, "scores": {"pass": 1, "step_up": 0.5, "retry": 0.5, "fail": 0}}
with open(POLICY, "w") as f:
    json.dump(policy, f)

agent = Agent(work, CAPTURE, "--audit", AUDIT, "--policy", POLICY, "--idle-timeout", "1", "--request-timeout", "3", "--max-seconds", "5")
check("serve starts and creates its socket with mode 0660", os.path.exists(agent.socket)
      and stat.S_ISSOCK(os.stat(agent.socket).st_mode) and os.stat(agent.socket).st_mode & 0o777 == 0o660,
      open(agent.log_path).read())

# --- endpoints ---
status, health, _ = agent.request("GET", "/v1/health")
check("GET /v1/health: version, uptime, device ok, counters, policy version", status == 200 and health["device"]["state"] == "ok"
      and health["version"] and health["uptime_seconds"] >= 0 and health["sessions_served"] == 0
      and health["policy_version"] == "decision-policy/3" and health["last_capture_path_verdict"] is None, health)
status, jwks, _ = agent.request("GET", "/v1/jwks")
check("GET /v1/jwks is the JWKS keygen printed", status == 200 and jwks == keygen_jwks, jwks)

nonce = os.urandom(32)
started = time.monotonic()
curl = subprocess.run(["curl", "-sS", "--unix-socket", agent.socket, "-H", "Content-Type: application/json",
                       "-d", json.dumps({"nonce": b64(nonce), "audience": "bank.example", "seconds": 1}),
                       "-w", "\n%{http_code}", "http://localhost/v1/sessions"], capture_output=True, text=True)
elapsed = time.monotonic() - started
body_text, _, code = curl.stdout.rpartition("\n")
check("POST /v1/sessions with curl --unix-socket answers 200 after about the 1 s window", code == "200" and elapsed >= 0.9, curl.stdout[:300] + curl.stderr)
session = json.loads(body_text) if code == "200" else {}
if session:
    key = jwt.PyJWK(jwks["keys"][0]).key
    try:
        claims = jwt.decode(session["token"], key, algorithms=["EdDSA"], audience="bank.example")
    except Exception as error:  # noqa: BLE001 - any verification failure is the finding
        claims = {"error": str(error)}
    png = base64.b64decode(session["evidence_png_base64"])
    check("the session token verifies with PyJWT against /v1/jwks, carries the nonce and the file_source reason",
          claims.get("eat_nonce") == b64(nonce) and "file_source" in claims.get("captureguard", {}).get("decision", {}).get("reasons", []), claims)
    check("the evidence PNG is the image the token's digest names",
          png.startswith(b"\x89PNG") and claims.get("captureguard", {}).get("evidence", {}).get("image_sha256") == hashlib.sha256(png).hexdigest())
    check("the summary names jti, decision and capture-path verdict",
          session["summary"]["jti"] == claims.get("jti") and session["summary"]["decision"] == claims["captureguard"]["decision"]["verdict"]
          and session["summary"]["capture_path"], session["summary"])
    with open(os.path.join(work, "jwks.json"), "w") as f:
        json.dump(jwks, f)
    verify = subprocess.run([AGENT, "verify", "-", "--jwks", os.path.join(work, "jwks.json"), "--nonce", b64(nonce), "--audience", "bank.example"],
                            input=session["token"], capture_output=True, text=True)
    check("captureguard verify accepts the served token", verify.returncode == 0, verify.stderr)

status, body, _ = agent.request("POST", "/v1/sessions", {"nonce": b64(os.urandom(16)), "seconds": 0.5})
check("POST /v1/sessions with http.client over AF_UNIX answers 200 with a token", status == 200 and body["token"].count(".") == 2, body)

# --- bad requests ---
cases = [
    ("a malformed request line", b"HELLO\r\n\r\n", 400, "bad_request_line"),
    ("a bare-LF request", b"GET /v1/health HTTP/1.1\nHost: a\n\n", 400, "bad_line_ending"),
    ("HTTP/2.0", b"GET /v1/health HTTP/2.0\r\nHost: a\r\n\r\n", 505, "version_not_supported"),
    ("a 9 KiB request line", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414, "request_line_too_long"),
    ("20 KiB of headers", b"GET /v1/health HTTP/1.1\r\nHost: a\r\n" + b"X-Pad: " + b"b" * 20000 + b"\r\n\r\n", 431, "headers_too_large"),
    ("a 70 KB body", b"POST /v1/sessions HTTP/1.1\r\nHost: a\r\nContent-Length: 70000\r\n\r\n" + b"{" * 70000, 413, "body_too_large"),
    ("POST without Content-Length", b"POST /v1/sessions HTTP/1.1\r\nHost: a\r\n\r\n", 411, "length_required"),
    ("Transfer-Encoding: chunked", b"POST /v1/sessions HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 501, "transfer_encoding_refused"),
    ("two Content-Lengths", b"POST /v1/sessions HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400, "bad_content_length"),
    ("obs-fold", b"GET /v1/health HTTP/1.1\r\nHost: a\r\n x\r\n\r\n", 400, "obsolete_line_folding"),
    ("no Host", b"GET /v1/health HTTP/1.1\r\n\r\n", 400, "bad_host"),
]
for description, data, expected, code in cases:
    got = agent.raw(data)
    check(f"{description} -> {expected} {code}, and the agent stays healthy", got == (expected, code) and agent.healthy(), got)

got = agent.raw([b"GET /v1/health HTTP/1.1\r\n", b"Host: a\r\n", b"X-A: 1\r\n", b"X-B: 2\r\n", b"X-C: 3\r\n", b"X-D: 4\r\n"], pause=0.8)
check("slowloris (a header line every 0.8 s, under the 1 s idle timeout) -> 408 at the 3 s request deadline",
      got == (408, "request_timeout") and agent.healthy(), got)
t0 = time.monotonic()
got = agent.raw(b"")
check("an idle connection -> 408 after the 1 s idle timeout", got == (408, "request_timeout") and time.monotonic() - t0 < 3 and agent.healthy(), got)
random.seed(8)
garbage_ok = all(agent.raw(bytes(random.randrange(256) for _ in range(random.randrange(1, 300))) + b"\r\n\r\n")[0] in (400, 414, 431, 505, 501, 411)
                 for _ in range(30))
check("30 random byte strings are each refused with a 4xx/5xx status, and the agent stays healthy", garbage_ok and agent.healthy())

api_cases = [
    ("DELETE /v1/sessions", "DELETE", "/v1/sessions", None, {}, 405, "method_not_allowed"),
    ("GET /v1/sessions", "GET", "/v1/sessions", None, {}, 405, "method_not_allowed"),
    ("POST /v1/health", "POST", "/v1/health", b"{}", {}, 405, "method_not_allowed"),
    ("an unknown path", "GET", "/v2/anything", None, {}, 404, "not_found"),
    ("bad JSON", "POST", "/v1/sessions", b"{nonce:", {}, 400, "bad_json"),
    ("a JSON array", "POST", "/v1/sessions", b"[]", {}, 400, "bad_json"),
    ("duplicate keys", "POST", "/v1/sessions", b'{"nonce":"AAAAAAAAAAA","nonce":"BBBBBBBBBBB"}', {}, 400, "bad_json"),
    ("an unknown field", "POST", "/v1/sessions", {"nonce": b64(os.urandom(16)), "camera": "/dev/video1"}, {}, 400, "unknown_field"),
    ("a 7-byte nonce", "POST", "/v1/sessions", {"nonce": b64(os.urandom(7))}, {}, 400, "bad_nonce"),
    ("a 65-byte nonce", "POST", "/v1/sessions", {"nonce": b64(os.urandom(65))}, {}, 400, "bad_nonce"),
    ("a non-base64url nonce", "POST", "/v1/sessions", {"nonce": "AAAA+AAAAAAA/AAA"}, {}, 400, "bad_nonce"),
    ("no nonce", "POST", "/v1/sessions", {"seconds": 1}, {}, 400, "bad_nonce"),
    ("seconds 0", "POST", "/v1/sessions", {"nonce": b64(os.urandom(16)), "seconds": 0}, {}, 400, "bad_seconds"),
    ("seconds above --max-seconds", "POST", "/v1/sessions", {"nonce": b64(os.urandom(16)), "seconds": 6}, {}, 400, "bad_seconds"),
    ("seconds as a string", "POST", "/v1/sessions", {"nonce": b64(os.urandom(16)), "seconds": "1"}, {}, 400, "bad_seconds"),
    ("an empty audience", "POST", "/v1/sessions", {"nonce": b64(os.urandom(16)), "audience": ""}, {}, 400, "bad_audience"),
    ("a text/plain body", "POST", "/v1/sessions", b'{"nonce":"AAAAAAAAAAA"}', {"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
]
for description, method, path, body, headers, expected, code in api_cases:
    status, answer, response_headers = agent.request(method, path, body, headers)
    allow_ok = expected != 405 or "Allow" in response_headers
    check(f"{description} -> {expected} {code}", status == expected and (answer or {}).get("error") == code and allow_ok and agent.healthy(), (status, answer))

# --- two sessions at once ---
results = []


def one_session(seconds):
    results.append(agent.request("POST", "/v1/sessions", {"nonce": b64(os.urandom(16)), "seconds": seconds}))


first = threading.Thread(target=one_session, args=(2,))
first.start()
time.sleep(0.5)
status, body, headers = agent.request("GET", "/v1/health")
check("health during a session says busy and session_running", body["device"]["state"] == "busy" and body["session_running"], body)
second = threading.Thread(target=one_session, args=(1,))
second.start()
first.join()
second.join()
statuses = sorted(r[0] for r in results)
conflict = next((r for r in results if r[0] == 409), None)
check("two clients at once: one 200, the other 409 session_running with Retry-After",
      statuses == [200, 409] and conflict[1]["error"] == "session_running" and int(conflict[2].get("Retry-After", "0")) >= 1, results and [r[:2] for r in results])

# --- hot-plug: the source goes away and comes back ---
moved = CAPTURE + ".away"
os.rename(CAPTURE, moved)
status, body, _ = agent.request("GET", "/v1/health")
lost_state = body["device"]["state"]
status, answer, headers = agent.request("POST", "/v1/sessions", {"nonce": b64(os.urandom(16)), "seconds": 0.5})
check("the source gone: health lost, a session 503 device_lost with Retry-After",
      lost_state == "lost" and status == 503 and answer["error"] == "device_lost" and "Retry-After" in headers, (lost_state, status, answer))
os.rename(moved, CAPTURE)
status, body, _ = agent.request("GET", "/v1/health")
status2, answer, _ = agent.request("POST", "/v1/sessions", {"nonce": b64(os.urandom(16)), "seconds": 0.5})
check("the source back: health ok and sessions served again, without a restart", body["device"]["state"] == "ok" and status2 == 200, (body, status2))

# --- SIGHUP ---
with open(POLICY, "w") as f:
    f.write("{not json")
agent.process.send_signal(signal.SIGHUP)
time.sleep(0.5)
with open(POLICY, "w") as f:
    json.dump({**policy, "version": "decision-policy/kiosk-7"}, f)
agent.process.send_signal(signal.SIGHUP)
time.sleep(0.5)
reloads = [json.loads(line) for line in agent.log_lines() if '"policy_reload"' in line]
status, body, _ = agent.request("GET", "/v1/health")
check("SIGHUP with a bad policy file keeps the old policy; with a good one, health shows the new version",
      [r["result"] for r in reloads] == ["refused", "ok"] and body["policy_version"] == "decision-policy/kiosk-7", (reloads, body.get("policy_version")))

# --- SIGTERM during a session ---
late = []
runner = threading.Thread(target=lambda: late.append(agent.request("POST", "/v1/sessions", {"nonce": b64(os.urandom(16)), "seconds": 2})))
runner.start()
time.sleep(0.7)
agent.process.send_signal(signal.SIGTERM)
runner.join()
code = agent.stop()
check("SIGTERM during a session: the client still gets its 200 token, the agent exits 0 and removes its socket",
      late and late[0][0] == 200 and code == 0 and not os.path.exists(agent.socket), (late and late[0][:2], code))

# --- logs ---
lines = agent.log_lines()
try:
    events = [json.loads(line) for line in lines]
except ValueError:
    events = []
sessions = [e for e in events if e.get("event") == "session"]
log_text = "\n".join(lines)
check("every log line is a JSON object; one 'session' line per served session with jti, decision, reasons and durations",
      len(events) == len(lines) and len(sessions) == 5 and all({"jti", "decision", "reasons", "capture_ms", "post_capture_ms", "total_ms"} <= set(s) for s in sessions),
      len(sessions))
check("the logs hold neither the nonce nor image data", b64(nonce) not in log_text and "iVBOR" not in log_text)
refusals = {(e.get("status"), e.get("code")) for e in events if e.get("event") == "request_refused"}
check("requests refused by the HTTP layer are logged with status and code (431, 408, 501, 405)",
      {(431, "headers_too_large"), (408, "request_timeout"), (501, "transfer_encoding_refused")} <= refusals
      and any(status == 405 for status, _ in refusals), sorted(refusals, key=str))

# --- audit log ---
verify = subprocess.run([AGENT, "audit-verify", AUDIT, "--json"], capture_output=True, text=True)
summary = json.loads(verify.stdout) if verify.returncode == 0 else {}
check("audit-verify: the log holds one chained record per served session", verify.returncode == 0 and summary.get("records") == 5, verify.stdout + verify.stderr)
with open(AUDIT) as f:
    records = f.read().splitlines(keepends=True)
first_record = json.loads(records[0])
check("an audit record holds the served token's SHA-256", session and first_record["token_sha256"] == hashlib.sha256(session["token"].encode()).hexdigest())


def audit_variant(name, lines_):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.writelines(lines_)
    return path


edited = json.loads(records[2])
edited["decision"] = "pass"
tampered = {
    "an edited record": audit_variant("edited.log", records[:2] + [json.dumps(edited, sort_keys=True, separators=(",", ":")) + "\n"] + records[3:]),
    "a deleted middle record": audit_variant("deleted.log", records[:2] + records[3:]),
    "two swapped records": audit_variant("swapped.log", [records[1], records[0]] + records[2:]),
    "a torn last line": audit_variant("torn.log", records[:-1] + [records[-1][:40]]),
}
for description, path in tampered.items():
    r = subprocess.run([AGENT, "audit-verify", path], capture_output=True, text=True)
    check(f"audit-verify catches {description} (exit 21, one line naming the record)", r.returncode == 21 and r.stderr.count("\n") == 1, r.stderr)
truncated = audit_variant("truncated.log", records[:-1])
r = subprocess.run([AGENT, "audit-verify", truncated, "--anchor", summary.get("head", "")], capture_output=True, text=True)
check("a log cut at the end passes alone but fails against the head noted earlier (--anchor)",
      subprocess.run([AGENT, "audit-verify", truncated], capture_output=True).returncode == 0 and r.returncode == 21, r.stderr)
broken = Agent(work, CAPTURE, "--audit", tampered["an edited record"], name="broken")
code = broken.process.wait(timeout=30)
broken.log.close()
check("serve refuses to append to a broken audit log (exit 21)", code == 21, open(broken.log_path).read())

# --- socket and listen options ---
r = subprocess.run([AGENT, "serve", "--device", CAPTURE, "--key", KEY, "--socket", os.path.join(work, "x.sock"), "--socket-mode", "0666"],
                   capture_output=True, text=True, timeout=30)
check("--socket-mode 0666 is refused (exit 2): never world-accessible", r.returncode == 2 and "socket-mode" in r.stderr, r.stderr)
r = subprocess.run([AGENT, "serve", "--device", CAPTURE, "--key", KEY, "--socket", os.path.join(work, "y.sock"), "--listen", "0.0.0.0:18471"],
                   capture_output=True, text=True, timeout=30)
check("--listen on a non-loopback address is refused", r.returncode != 0 and "loopback" in r.stderr, r.stderr)
blocker = os.path.join(work, "regular.sock")
open(blocker, "w").close()
r = subprocess.run([AGENT, "serve", "--device", CAPTURE, "--key", KEY, "--socket", blocker], capture_output=True, text=True, timeout=30)
check("a regular file at the socket path is refused, not replaced", r.returncode != 0 and os.path.isfile(blocker) and "not a socket" in r.stderr, r.stderr)
port = 18000 + os.getpid() % 1000
tcp = Agent(work, CAPTURE, "--listen", f"127.0.0.1:{port}", name="tcp")
try:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/v1/health")
    tcp_status = connection.getresponse().status
except OSError as error:
    tcp_status = str(error)
check("--listen 127.0.0.1:PORT serves the API over loopback TCP too", tcp_status == 200, tcp_status)
check("SIGINT stops the agent with exit 0", tcp.stop(signal.SIGINT) == 0)

shutil.rmtree(work, ignore_errors=True)
suite.finish()
