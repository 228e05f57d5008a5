import Attestation
import CaptureEngine
import CaptureModel
import Foundation
import Glibc
import LocalAPI
import Synchronization
import Verifier

/// The kiosk agent behind `serve`: the three routes of the local API over
/// one camera, one session at a time. The device is opened per session and
/// released after it, so other software can use the camera in between, and
/// its capture path is fingerprinted (and checked against the pinned path)
/// every session. Health reports the device as `ok`, `lost` (gone: unplugged
/// or unbound) or `busy` (held by a session or another process).
final class AgentService: Sendable {
    struct Options: Sendable {
        var device: String
        var policyFile: String?
        /// The longest window a client may ask for.
        var maximumSeconds: Double
        var defaultSeconds: Double
    }

    private struct State {
        var setup: AttestSetup
        /// When the running session started and how long its window is.
        var running: (started: Int64, seconds: Double)?
        var sessionsServed = 0
        var sessionsFailed = 0
        var lastPathVerdict: String?
        var lastDecision: String?
    }

    private let options: Options
    private let state: Mutex<State>
    private let jwks: [UInt8]
    private let audit: AuditLog?
    private let log: JSONLog
    private let started = monotonicNanoseconds()

    init(options: Options, setup: AttestSetup, jwks: [UInt8], audit: AuditLog?, log: JSONLog) {
        self.options = options
        state = Mutex(State(setup: setup))
        self.jwks = jwks
        self.audit = audit
        self.log = log
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let response: HTTPResponse
        switch (request.path, request.method) {
        case ("/v1/sessions", "POST"): response = session(request)
        case ("/v1/health", "GET"): response = .json(health())
        case ("/v1/jwks", "GET"): response = HTTPResponse(status: .ok, headers: [HTTPHeader("Content-Type", "application/json")], body: jwks)
        case ("/v1/sessions", _): response = .error(.methodNotAllowed, "method_not_allowed", "use POST", headers: [HTTPHeader("Allow", "POST")])
        case ("/v1/health", _), ("/v1/jwks", _): response = .error(.methodNotAllowed, "method_not_allowed", "use GET", headers: [HTTPHeader("Allow", "GET")])
        default: response = .error(.notFound, "not_found", "no such endpoint; see /v1/sessions, /v1/health, /v1/jwks")
        }
        if response.status != .ok && request.path != "/v1/sessions" {
            log.write("request_refused", ["method": request.method, "path": request.path, "status": response.status.rawValue])
        }
        return response
    }

    /// Reloads the decision policy file (SIGHUP); a bad file keeps the old one.
    func reloadPolicy() {
        guard let file = options.policyFile else {
            log.write("policy_reload", ["result": "skipped", "detail": "no --policy file; the built-in policy stays"])
            return
        }
        do {
            let policy = try AttestCommand.loadPolicy(file)
            state.withLock { $0.setup.policy = policy }
            log.write("policy_reload", ["result": "ok", "policy_version": policy.version])
        } catch {
            log.write("policy_reload", ["result": "refused", "detail": error.message], level: "error")
        }
    }

    var sessionRunning: Bool { state.withLock { $0.running != nil } }
    var sessionsServed: Int { state.withLock { $0.sessionsServed } }

    // MARK: health

    enum DeviceState: String { case ok, lost, busy }

    /// The device as it is now: gone, held by another process, or free.
    static func probe(_ path: String) -> (state: DeviceState, holders: [DeviceHolder]) {
        var info = stat()
        guard stat(path, &info) == 0 else { return (.lost, []) }
        guard info.st_mode & S_IFMT == S_IFCHR else { return (.ok, []) }
        let holders = DeviceHolders.holders(of: path)
        return (holders.isEmpty ? .ok : .busy, holders)
    }

    func health() -> [String: Any] {
        let (probed, holders) = Self.probe(options.device)
        let snapshot = state.withLock { current in
            (running: current.running != nil, served: current.sessionsServed, failed: current.sessionsFailed,
             verdict: current.lastPathVerdict, decision: current.lastDecision, policy: current.setup.policy.version)
        }
        let deviceState = probed == .ok && snapshot.running ? DeviceState.busy : probed
        var device: [String: Any] = ["path": options.device, "state": deviceState.rawValue]
        if !holders.isEmpty { device["holders"] = holders.map { "\($0.command) (pid \($0.pid))" } }
        var body: [String: Any] = [
            "version": CommandLineTool.version,
            "uptime_seconds": Double(monotonicNanoseconds() - started) / 1e9,
            "device": device,
            "session_running": snapshot.running,
            "sessions_served": snapshot.served,
            "sessions_failed": snapshot.failed,
            "policy_version": snapshot.policy,
            "last_capture_path_verdict": snapshot.verdict ?? NSNull(),
            "last_decision": snapshot.decision ?? NSNull(),
        ]
        if let audit {
            let (records, head) = audit.state
            body["audit"] = ["records": records, "head": head]
        }
        return body
    }

    // MARK: sessions

    /// The session body: `{"nonce": B64URL, "audience"?: str, "seconds"?: number}`.
    struct SessionRequest {
        var nonce: [UInt8]
        var audience: String?
        var seconds: Double
    }

    func parseSessionRequest(_ request: HTTPRequest) -> Result<SessionRequest, HTTPRequestError> {
        if let type = request.header("Content-Type"), type.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() != "application/json" {
            return .failure(.init(.unsupportedMediaType, "unsupported_media_type", "the body must be application/json"))
        }
        guard let object = StrictJSON.object(request.body) else {
            return .failure(.init(.badRequest, "bad_json", "the body is not one JSON object with unique member names"))
        }
        let known: Set = ["nonce", "audience", "seconds"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            return .failure(.init(.badRequest, "unknown_field", "unknown field '\(unknown)'; the fields are nonce, audience and seconds"))
        }
        guard let text = object["nonce"] as? String, let nonce = Base64URL.decode(text), TokenVerifier.nonceSizes.contains(nonce.count) else {
            return .failure(.init(.badRequest, "bad_nonce", "nonce must be base64url of 8 to 64 bytes (RFC 9711 eat_nonce)"))
        }
        var audience: String?
        if let value = object["audience"] {
            // 256 characters: a URL or a service name, with room to spare.
            guard let text = value as? String, !text.isEmpty, text.count <= 256 else {
                return .failure(.init(.badRequest, "bad_audience", "audience must be a string of 1 to 256 characters"))
            }
            audience = text
        }
        var seconds = options.defaultSeconds
        if let value = object["seconds"] {
            let number = (value as? Int).map(Double.init) ?? (value as? Double)
            guard let number, number.isFinite, number > 0, number <= options.maximumSeconds, !(value is Bool) else {
                return .failure(.init(.badRequest, "bad_seconds", "seconds must be a number above 0 and at most \(options.maximumSeconds)"))
            }
            seconds = number
        }
        return .success(SessionRequest(nonce: nonce, audience: audience, seconds: seconds))
    }

    private func session(_ request: HTTPRequest) -> HTTPResponse {
        let parsed: SessionRequest
        switch parseSessionRequest(request) {
        case .success(let value): parsed = value
        case .failure(let error):
            log.write("session_refused", ["status": error.status.rawValue, "code": error.code])
            return .error(error.status, error.code, error.detail)
        }
        let now = monotonicNanoseconds()
        // Either the setup to run with (the session is now ours) or the
        // seconds until the running one should be done.
        let claimed = state.withLock { current -> (setup: AttestSetup?, retryAfter: Double) in
            if let running = current.running {
                // Retry once the running window and about a second of analysis are over.
                return (nil, running.seconds - Double(now - running.started) / 1e9 + 1)
            }
            current.running = (now, parsed.seconds)
            return (current.setup, 0)
        }
        guard let setup = claimed.setup else {
            log.write("session_refused", ["status": 409, "code": "session_running"])
            let retry = String(Int(max(1, claimed.retryAfter.rounded(.up))))
            return .error(.conflict, "session_running", "a session is already running on \(options.device)", headers: [HTTPHeader("Retry-After", retry)])
        }
        defer { state.withLock { $0.running = nil } }

        let (deviceState, holders) = Self.probe(options.device)
        if deviceState == .lost {
            return failed(.init(.serviceUnavailable, "device_lost", "\(options.device) is gone (unplugged or unbound)"), started: now)
        }
        if deviceState == .busy {
            let named = holders.map { "\($0.command) (pid \($0.pid))" }.joined(separator: ", ")
            return failed(.init(.serviceUnavailable, "device_busy", "\(options.device) is held by \(named)"), started: now)
        }
        let attestRequest = AttestRequest(nonce: parsed.nonce, audience: parsed.audience, seconds: parsed.seconds, keep: nil, replaceKept: false,
                                          filePacing: .recorded, stop: NoStopRequest())
        let quiet = Console(writeOut: { _ in }, writeError: { _ in }, errorIsTerminal: false)
        let outcome: AttestOutcome
        do {
            outcome = try AttestSession.run(options.device, setup: setup, request: attestRequest, console: quiet)
        } catch {
            return failed(Self.refusal(for: error), started: now)
        }
        let record: AuditRecord?
        do {
            record = try audit?.append(time: CommandLineTool.timestamp(), jti: outcome.jti, decision: outcome.decision.rawValue, reasons: outcome.reasons, token: outcome.token)
        } catch {
            // A token the audit log cannot account for is not released.
            return failed(.init(.internalServerError, "audit_failed", error.message), started: now)
        }
        let postCapture = Double(monotonicNanoseconds() - outcome.windowClosed) / 1e6
        state.withLock { current in
            current.sessionsServed += 1
            current.lastPathVerdict = outcome.pathVerdict.rawValue
            current.lastDecision = outcome.decision.rawValue
        }
        var line: [String: Any] = [
            "jti": outcome.jti, "decision": outcome.decision.rawValue, "reasons": outcome.reasons, "capture_path": outcome.pathVerdict.rawValue,
            "frames": outcome.frames, "capture_ms": rounded(outcome.captureMilliseconds), "post_capture_ms": rounded(postCapture),
            "total_ms": rounded(Double(monotonicNanoseconds() - now) / 1e6),
        ]
        if let record { line["audit_seq"] = record.seq }
        log.write("session", line)
        return .json([
            "token": outcome.token,
            "evidence_png_base64": Data(outcome.evidencePNG).base64EncodedString(),
            "summary": [
                "jti": outcome.jti, "decision": outcome.decision.rawValue, "reasons": outcome.reasons, "capture_path": outcome.pathVerdict.rawValue,
                "frames": outcome.frames, "evidence_frame": outcome.evidenceFrameIndex, "evidence_sha256": outcome.evidenceImageSHA256,
                "capture_ms": rounded(outcome.captureMilliseconds), "post_capture_ms": rounded(postCapture), "text": outcome.summary,
            ] as [String: Any],
        ])
    }

    /// Counts and logs a failed session and answers it. A 503 carries
    /// Retry-After: 5: a USB camera re-enumerates, or a holder lets go,
    /// within seconds, and a kiosk app should not hammer a lost device.
    private func failed(_ error: HTTPRequestError, started: Int64) -> HTTPResponse {
        state.withLock { $0.sessionsFailed += 1 }
        log.write("session_failed", ["status": error.status.rawValue, "code": error.code, "detail": error.detail,
                                     "total_ms": rounded(Double(monotonicNanoseconds() - started) / 1e6)], level: "error")
        let retry = error.status == .serviceUnavailable ? [HTTPHeader("Retry-After", "5")] : []
        return .error(error.status, error.code, error.detail, headers: retry)
    }

    /// A session's failure as the client sees it: the camera's troubles are
    /// 503 (try again later), anything else 500.
    static func refusal(for failure: CommandFailure) -> HTTPRequestError {
        switch failure.code {
        case .notFound, .deviceLost: return .init(.serviceUnavailable, "device_lost", failure.message)
        case .deviceBusy: return .init(.serviceUnavailable, "device_busy", failure.message)
        case .timeout: return .init(.serviceUnavailable, "device_timeout", failure.message)
        case .permissionDenied, .notV4L2, .cannotCapture, .formatRejected: return .init(.serviceUnavailable, "device_unusable", failure.message)
        default: return .init(.internalServerError, "session_failed", failure.message)
        }
    }

    private func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }
}

extension HTTPResponse {
    /// 200 with a JSON object (keys sorted, so answers are stable).
    static func json(_ object: [String: Any]) -> HTTPResponse {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return HTTPResponse(status: .ok, headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body) + [0x0a])
    }
}

/// Log lines as JSON objects on stderr, one per event, which journald
/// keeps. No image data and no nonce values ever go in.
struct JSONLog: Sendable {
    let write: @Sendable (String) -> Void

    func write(_ event: String, _ fields: [String: Any] = [:], level: String = "info") {
        var object = fields
        object["event"] = event
        object["level"] = level
        object["time"] = CommandLineTool.timestamp()
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        write(String(decoding: data, as: UTF8.self) + "\n")
    }
}
