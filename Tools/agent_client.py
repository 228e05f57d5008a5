"""A minimal client for the kiosk agent's local API (`captureguard serve`),
with Python's standard library only: http.client over AF_UNIX. The service
tests, the VM suite and the load benchmark share it; the README shows the same
few lines for kiosk apps."""
import http.client
import json
import socket


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over a Unix domain socket."""

    def __init__(self, path, timeout=120):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def request(socket_path, method, path, body=None, headers=None, timeout=120):
    """One request; returns (status, parsed JSON body or None, headers).
    `body` may be a dict (sent as JSON) or raw bytes."""
    connection = UnixHTTPConnection(socket_path, timeout)
    payload = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    all_headers = {"Content-Type": "application/json"} if payload is not None else {}
    all_headers.update(headers or {})
    connection.request(method, path, body=payload, headers=all_headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    try:
        parsed = json.loads(data)
    except ValueError:
        parsed = None
    return response.status, parsed, dict(response.getheaders())
