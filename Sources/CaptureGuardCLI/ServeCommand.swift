import Attestation
import CaptureCrypto
import Foundation
import Glibc
import LocalAPI

/// `serve`: the long-running kiosk agent. Parses its options, opens the
/// audit log, binds the socket, then hands signals to a thread of their own
/// (SIGTERM/SIGINT: stop accepting, let a running session answer, exit 0;
/// SIGHUP: reload the policy) and serves until stopped.
enum ServeCommand {
    static let defaultSocket = "/run/captureguard/agent.sock"

    static let command = Command(
        name: "serve",
        summary: "run the kiosk agent: HTTP/1.1 on a Unix socket (sessions, health, jwks)",
        help: """
        Usage: captureguard serve --device DEVICE|CAPTURE --key agent.key
                                  [--socket PATH] [--socket-group GROUP] [--socket-mode 0660]
                                  [--listen 127.0.0.1:PORT] [--policy FILE] [--sensor sensor.prnu]
                                  [--pinned pinned.json] [--cascade XML] [--audit FILE]
                                  [--alg EdDSA|Ed25519|ES256] [--issuer ID]
                                  [--default-seconds 3] [--max-seconds 30]
                                  [--idle-timeout 5] [--request-timeout 10]

        Serves the local API (README, "Kiosk agent service") over HTTP/1.1 on a
        Unix domain socket, one request per connection:
          POST /v1/sessions  {"nonce": B64URL, "audience"?: str, "seconds"?: number}
                             -> 200 {token, evidence_png_base64, summary}
                                400 bad_json|unknown_field|bad_nonce|bad_audience|bad_seconds
                                409 session_running (Retry-After), 503 device_lost|device_busy|...
          GET  /v1/health    version, uptime, device state (ok|lost|busy), last
                             capture-path verdict, sessions served, policy version
          GET  /v1/jwks      the agent's public key
        One session at a time; the device is opened per session and released
        after it, and its capture path is fingerprinted (and checked against
        --pinned) every session. A capture file as --device is replayed at its
        recorded pace (for tests and load runs; tokens say file_source).
        Logs are JSON lines on stderr: one per session (jti, decision,
        reasons, durations), never image data or nonces.
        SIGTERM or SIGINT: stop accepting, answer a running session, exit 0.
        SIGHUP: reload --policy (a bad file keeps the old policy).

        Options:
          --device PATH        the camera (or a capture file)
          --key FILE           the agent's private key (mode 600; see keygen)
          --socket PATH        Unix socket (default \(defaultSocket))
          --socket-group NAME  group of the socket (a name or a number): the kiosk app's group
          --socket-mode MODE   octal mode of the socket (default 0660; never world-accessible)
          --listen HOST:PORT   also listen on loopback TCP (127.0.0.0/8 or [::1] only).
                               Any local user and process can then call the API: see the README.
          --policy FILE        decision policy JSON (reloaded on SIGHUP)
          --sensor FILE        check the PRNU against this enroll-sensor fingerprint
          --pinned FILE        compare every session's capture path with this pinned path
          --cascade XML        face cascade (default as attest)
          --audit FILE         append-only, hash-chained audit log (see audit-verify)
          --alg ALG            EdDSA (default for Ed25519 keys), Ed25519 or ES256
          --issuer ID          the iss claim (default captureguard:<key thumbprint>)
          --default-seconds N  window when a request names none (default 3)
          --max-seconds N      longest window a request may ask for (default 30)
          --idle-timeout S     seconds without a byte before 408 (default 5)
          --request-timeout S  seconds for a whole request to arrive (default 10)
          --help               show this help

        """,
        run: run)

    static func run(_ arguments: [String], _ console: Console) throws(CommandFailure) -> ExitCode {
        let parsed = try ParsedArguments(
            arguments,
            valued: ["device", "key", "socket", "socket-group", "socket-mode", "listen", "policy", "sensor", "pinned", "cascade", "audit",
                     "alg", "issuer", "default-seconds", "max-seconds", "idle-timeout", "request-timeout"],
            switches: [])
        guard parsed.positionals.isEmpty else { throw CommandFailure(.usage, "unexpected argument '\(parsed.positionals[0])'") }
        // The device may be absent at start (a kiosk boots before its USB
        // camera enumerates): health says lost until it appears.
        let device = try parsed.required("device")
        // 30 s: ten times the usual 3 s window; longer asks are refused, so
        // one client cannot hold the camera for minutes.
        let maximumSeconds = try parsed.positiveNumber("max-seconds", atMost: 600) ?? 30
        let defaultSeconds = try parsed.positiveNumber("default-seconds", atMost: maximumSeconds) ?? min(3, maximumSeconds)
        var configuration = ServerConfiguration()
        configuration.idleTimeout = try parsed.positiveNumber("idle-timeout", atMost: 3600) ?? configuration.idleTimeout
        configuration.requestTimeout = try parsed.positiveNumber("request-timeout", atMost: 3600) ?? configuration.requestTimeout
        // A running session answers before the drain ends; add a minute for analysis.
        configuration.drainTimeout = maximumSeconds + 60

        let addresses = try listenAddresses(parsed)
        let setup = try AttestSetup(parsed, console: console)
        let jwks: [UInt8]
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            jwks = Array(try encoder.encode(KeyFile.jwks(for: setup.signer.key))) + [0x0a]
        } catch {
            throw CommandFailure(.internalError, "cannot encode the JWKS: \(error)")
        }
        let audit: AuditLog?
        do { audit = try parsed.value("audit").map { try AuditLog(path: $0) } } catch {
            throw CommandFailure(.auditBroken, (error as? AuditLogError)?.message ?? "\(error)")
        }
        let log = JSONLog(write: { line in FileHandle.standardError.write(Data(line.utf8)) })
        let service = AgentService(
            options: .init(device: device, policyFile: parsed.value("policy"), maximumSeconds: maximumSeconds, defaultSeconds: defaultSeconds),
            setup: setup, jwks: jwks, audit: audit, log: log)

        // Block the stop and reload signals in every thread (threads inherit
        // the mask) before any is started; one thread takes them with sigwait.
        var handled = sigset_t()
        sigemptyset(&handled)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&handled, signal) }
        pthread_sigmask(SIG_BLOCK, &handled, nil)
        signal(SIGPIPE, SIG_IGN)
        let waitedFor = handled

        let server: HTTPServer
        do {
            server = try HTTPServer(listening: addresses, configuration: configuration, refused: { error in
                log.write("request_refused", ["status": error.status.rawValue, "code": error.code])
            }) { request in service.handle(request) }
        } catch {
            throw CommandFailure(.outputError, "cannot listen: \(error.message)")
        }
        let signalThread = Thread {
            var set = waitedFor
            while true {
                var received: Int32 = 0
                guard sigwait(&set, &received) == 0 else { continue }
                if received == SIGHUP {
                    service.reloadPolicy()
                    continue
                }
                log.write("stopping", ["signal": received == SIGTERM ? "SIGTERM" : "SIGINT", "session_running": service.sessionRunning])
                server.shutdown()
                return
            }
        }
        signalThread.start()
        var listening: [String] = []
        for address in addresses {
            switch address {
            case .unix(let path, let mode, _): listening.append("unix:\(path) mode \(String(mode, radix: 8))")
            case .loopback(let host, let port): listening.append("tcp:\(host):\(port)")
            }
        }
        log.write("started", ["version": CommandLineTool.version, "device": device, "listening": listening, "kid": setup.signer.kid,
                              "policy_version": setup.policy.version, "audit": parsed.value("audit") ?? NSNull()])
        server.run()
        log.write("stopped", ["sessions_served": service.sessionsServed])
        return .success
    }

    static func listenAddresses(_ parsed: ParsedArguments) throws(CommandFailure) -> [ListenAddress] {
        let modeText = parsed.value("socket-mode") ?? "0660"
        guard let mode = mode_t(modeText, radix: 8), mode & 0o7777 == mode else { throw CommandFailure(.usage, "--socket-mode must be an octal mode such as 0660") }
        guard mode & 0o007 == 0 else { throw CommandFailure(.usage, "--socket-mode \(modeText) lets every local user in; use --socket-group to admit the kiosk app") }
        var group: gid_t?
        if let name = parsed.value("socket-group") {
            if let number = gid_t(name) {
                group = number
            } else if let entry = getgrnam(name) {
                group = entry.pointee.gr_gid
            } else {
                throw CommandFailure(.notFound, "--socket-group \(name): no such group")
            }
        }
        var addresses: [ListenAddress] = [.unix(path: parsed.value("socket") ?? defaultSocket, mode: mode, group: group)]
        if let listen = parsed.value("listen") {
            guard let colon = listen.lastIndex(of: ":"), let port = UInt16(listen[listen.index(after: colon)...]), port > 0 else {
                throw CommandFailure(.usage, "--listen must be HOST:PORT, e.g. 127.0.0.1:8471")
            }
            let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            addresses.append(.loopback(host: host, port: port))
        }
        return addresses
    }
}

/// `audit-verify`: checks an audit log's hash chain.
enum AuditCommand {
    static let command = Command(
        name: "audit-verify",
        summary: "check a serve audit log's hash chain (edited, deleted or reordered records)",
        help: """
        Usage: captureguard audit-verify FILE [--anchor HASH] [--json]

        Reads an audit log written by 'serve --audit' and checks every record:
        sequence numbers without gaps, each record linked to the hash of the
        one before it, each hash matching its content. An edited, deleted,
        inserted or reordered record is reported with its number (exit 21).
        Removing records from the end leaves a valid shorter chain: keep the
        head hash (printed here, and in GET /v1/health) somewhere else and pass
        it as --anchor, which must be a record of the chain.

        Options:
          --anchor HASH  a record hash noted earlier; it must still be in the chain
          --json         print {records, head} as JSON
          --help         show this help

        """,
        run: run)

    static func run(_ arguments: [String], _ console: Console) throws(CommandFailure) -> ExitCode {
        let parsed = try ParsedArguments(arguments, valued: ["anchor"], switches: ["json"])
        let file = try parsed.single("FILE")
        let bytes = Array(try PathCommands.readFile(file))
        let summary: AuditChain.Summary
        do { summary = try AuditChain.verify(bytes) } catch { throw CommandFailure(.auditBroken, "\(file): \(error.message)") }
        if let anchor = parsed.value("anchor"), !summary.hashes.contains(anchor.lowercased()) {
            throw CommandFailure(.auditBroken, "\(file): the anchor \(anchor.prefix(16))… is not in the chain: records were removed from the end or the log was replaced")
        }
        if parsed.has("json") {
            console.out("{\"records\":\(summary.records),\"head\":\"\(summary.head)\"}")
        } else {
            console.out("\(file): ok, \(summary.records) records, head \(summary.head)")
        }
        return .success
    }
}
