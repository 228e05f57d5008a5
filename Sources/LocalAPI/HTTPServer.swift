import Foundation
import Glibc
import Synchronization

/// Where the server listens. A Unix socket is the default and the only
/// place a kiosk app should reach; TCP is loopback only and opt-in.
public enum ListenAddress: Sendable, Equatable {
    /// A Unix domain socket at `path`, chmod `mode`, chgrp `group` if given.
    case unix(path: String, mode: mode_t, group: gid_t?)
    /// A TCP port on 127.0.0.1 or ::1.
    case loopback(host: String, port: UInt16)
}

public struct ListenError: Error, Sendable {
    public var message: String
}

/// How long a client may take, and how many may be connected at once.
public struct ServerConfiguration: Sendable {
    public var limits = HTTPLimits()
    /// Seconds without a byte before a connection is answered 408 and
    /// closed. A local client writes its ~200-byte request at once; 5 s
    /// forgives a stalled app while a silent connection frees its slot soon.
    public var idleTimeout: Double = 5
    /// Seconds from accept to a complete request, however the bytes trickle
    /// in: the slowloris bound, twice the idle timeout so one pause fits.
    public var requestTimeout: Double = 10
    /// Seconds to deliver a response to a client that stopped reading: a
    /// 720p answer (~3.7 MB) takes milliseconds over a Unix socket.
    public var writeTimeout: Double = 10
    /// Connections served at once; more are answered 503 at accept. One
    /// camera serves one session at a time, so a handful suffices; 64 lets
    /// health checks through while clients queue for the camera.
    public var maximumConnections = 64
    /// Seconds `run` waits for connections in progress after `shutdown`.
    public var drainTimeout: Double = 120

    public init() {}
}

/// A small threaded HTTP/1.1 server: one thread accepts on every listener,
/// each connection gets a thread, reads one request under the deadlines of
/// its configuration, answers it through `handler` and closes.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse
    /// Told of every request refused before it reached the handler
    /// (malformed, too large, too slow, too many connections), for the log.
    public typealias RefusalObserver = @Sendable (HTTPRequestError) -> Void

    private let sockets: [Int32]
    private let unixPaths: [String]
    private let configuration: ServerConfiguration
    private let handler: Handler
    private let refused: RefusalObserver
    private let wake: (read: Int32, write: Int32)
    private let active = Mutex(0)
    private let stopping = Atomic<Bool>(false)

    /// Binds and listens on every address; nothing is left open on failure.
    public init(listening addresses: [ListenAddress], configuration: ServerConfiguration, refused: @escaping RefusalObserver = { _ in },
                handler: @escaping Handler) throws(ListenError) {
        var opened: [Int32] = []
        var paths: [String] = []
        do {
            for address in addresses {
                switch address {
                case .unix(let path, let mode, let group):
                    opened.append(try Self.listenUnix(path: path, mode: mode, group: group))
                    paths.append(path)
                case .loopback(let host, let port):
                    opened.append(try Self.listenLoopback(host: host, port: port))
                }
            }
        } catch {
            opened.forEach { close($0) }
            paths.forEach { unlink($0) }
            throw error
        }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            opened.forEach { close($0) }
            paths.forEach { unlink($0) }
            throw ListenError(message: "cannot create the wake pipe: \(String(cString: strerror(errno)))")
        }
        for end in pipeEnds {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        sockets = opened
        unixPaths = paths
        self.configuration = configuration
        self.handler = handler
        self.refused = refused
        wake = (pipeEnds[0], pipeEnds[1])
    }

    deinit {
        close(wake.read)
        close(wake.write)
    }

    /// Connections being served now.
    public var activeConnections: Int { active.withLock { $0 } }

    /// Accepts until `shutdown`, then closes the listeners, removes the Unix
    /// socket files and waits (up to the drain timeout) for connections in
    /// progress to be answered.
    public func run() {
        var descriptors = sockets.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        descriptors.append(pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0))
        while !stopping.load(ordering: .acquiring) {
            let ready = poll(&descriptors, nfds_t(descriptors.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in sockets.indices where descriptors[index].revents & Int16(POLLIN) != 0 {
                acceptOne(sockets[index])
            }
        }
        sockets.forEach { close($0) }
        unixPaths.forEach { unlink($0) }
        let deadline = Date().addingTimeInterval(configuration.drainTimeout)
        while activeConnections > 0 && Date() < deadline { usleep(10_000) }
    }

    /// Stops accepting; safe from any thread, including a signal thread.
    public func shutdown() {
        stopping.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    private func acceptOne(_ listener: Int32) {
        let client = accept(listener, nil, nil)
        guard client >= 0 else { return }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        let admitted = active.withLock { count -> Bool in
            guard count < configuration.maximumConnections else { return false }
            count += 1
            return true
        }
        guard admitted else {
            let error = HTTPRequestError(.serviceUnavailable, "too_many_connections", "the agent is serving \(configuration.maximumConnections) connections")
            refused(error)
            let refusal = HTTPResponse.error(error.status, error.code, error.detail, headers: [HTTPHeader("Retry-After", "1")])
            // No lingering here: the accept loop must not wait on a client.
            Connection(descriptor: client, configuration: configuration).send(refusal, linger: false)
            close(client)
            return
        }
        let thread = Thread { [self] in
            let connection = Connection(descriptor: client, configuration: configuration)
            connection.serve(handler, refused: refused)
            close(client)
            active.withLock { $0 -= 1 }
        }
        // 4 MiB: a session (decode, forensics, face scans, PNG, JSON) runs
        // on this thread; the address space is reserved, not committed.
        thread.stackSize = 4 << 20
        thread.start()
    }

    // MARK: listening sockets

    private static func failure(_ what: String) -> ListenError {
        ListenError(message: "\(what): \(String(cString: strerror(errno)))")
    }

    private static func listenUnix(path: String, mode: mode_t, group: gid_t?) throws(ListenError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard !pathBytes.isEmpty, pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw ListenError(message: "\(path): a Unix socket path is 1 to \(MemoryLayout.size(ofValue: address.sun_path) - 1) bytes")
        }
        // A stale socket from a crashed run is replaced; anything else at the
        // path is left alone and refused.
        var existing = stat()
        if lstat(path, &existing) == 0 {
            guard existing.st_mode & S_IFMT == S_IFSOCK else { throw ListenError(message: "\(path) exists and is not a socket; refusing to replace it") }
            unlink(path)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in pathBytes.enumerated() { raw[index] = byte }
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw failure("socket(AF_UNIX)") }
        // The socket is created with no permissions for anyone but the owner,
        // then opened up to the mode: no window where others can connect.
        let previousMask = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(previousMask)
        guard bound == 0 else {
            let error = failure("\(path): bind")
            close(descriptor)
            throw error
        }
        if let group, chown(path, uid_t.max, group) != 0 {
            let error = failure("\(path): chgrp to \(group)")
            close(descriptor)
            unlink(path)
            throw error
        }
        guard chmod(path, mode) == 0, listen(descriptor, 64) == 0 else {
            let error = failure("\(path): chmod/listen")
            close(descriptor)
            unlink(path)
            throw error
        }
        return descriptor
    }

    private static func listenLoopback(host: String, port: UInt16) throws(ListenError) -> Int32 {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let info = found else {
            throw ListenError(message: "\(host): not a numeric IP address")
        }
        defer { freeaddrinfo(found) }
        guard isLoopback(info.pointee) else { throw ListenError(message: "\(host) is not a loopback address; the agent listens on 127.0.0.0/8 or ::1 only") }
        let descriptor = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw failure("socket") }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, listen(descriptor, 64) == 0 else {
            let error = failure("\(host):\(port): bind/listen")
            close(descriptor)
            throw error
        }
        return descriptor
    }

    private static func isLoopback(_ info: addrinfo) -> Bool {
        guard let address = info.ai_addr else { return false }
        switch info.ai_family {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) >> 24 == 127 }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin6_addr) { bytes in bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1 }
            }
        default:
            return false
        }
    }
}

/// One accepted connection: read a request under the deadlines, answer, and
/// linger briefly so the client reads the answer before the close.
struct Connection {
    let descriptor: Int32
    let configuration: ServerConfiguration

    func serve(_ handler: HTTPServer.Handler, refused: HTTPServer.RefusalObserver) {
        var parser = HTTPRequestParser(limits: configuration.limits)
        let deadline = monotonicSeconds() + configuration.requestTimeout
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let remaining = deadline - monotonicSeconds()
            let wait = min(configuration.idleTimeout, remaining)
            guard wait > 0, waitReadable(seconds: wait) else {
                let error = HTTPRequestError(.requestTimeout, "request_timeout", "the request did not arrive within the time allowed")
                refused(error)
                send(.error(error.status, error.code, error.detail))
                return
            }
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            // The client went away before finishing its request: nothing to answer.
            guard count > 0 else { return }
            switch parser.consume(chunk[0..<count]) {
            case .incomplete(let sendContinue):
                if sendContinue { write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) }
            case .refused(let error):
                refused(error)
                send(.error(error.status, error.code, error.detail))
                return
            case .complete(let request):
                send(handler(request))
                return
            }
        }
    }

    /// Sends the whole response, half-closes, then drains what the client
    /// still sends for a moment: closing with unread bytes would reset the
    /// connection and could destroy the response before the client reads it.
    func send(_ response: HTTPResponse, linger: Bool = true) {
        write(response.encoded())
        shutdown(descriptor, Int32(SHUT_WR))
        guard linger else { return }
        var sink = [UInt8](repeating: 0, count: 4096)
        let until = monotonicSeconds() + 0.2
        var drained = 0
        // 256 KiB or 200 ms, whichever comes first, bounds the courtesy.
        while drained < 256 * 1024, until > monotonicSeconds(), waitReadable(seconds: until - monotonicSeconds()) {
            let count = sink.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            drained += count
        }
    }

    private func write(_ bytes: [UInt8]) {
        var sent = 0
        let deadline = monotonicSeconds() + configuration.writeTimeout
        while sent < bytes.count {
            var descriptors = [pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)]
            let remaining = deadline - monotonicSeconds()
            guard remaining > 0, poll(&descriptors, 1, Int32(remaining * 1000)) > 0 else { return }
            let count = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.send(descriptor, base + sent, bytes.count - sent, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return
            }
            sent += count
        }
    }

    private func waitReadable(seconds: Double) -> Bool {
        var descriptors = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
        while true {
            let result = poll(&descriptors, 1, Int32(max(1, (seconds * 1000).rounded(.up))))
            if result < 0 && errno == EINTR { continue }
            return result > 0
        }
    }
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

extension HTTPResponse {
    /// A JSON body `{"error": CODE, "detail": TEXT}` with the given status.
    public static func error(_ status: HTTPStatus, _ code: String, _ detail: String, headers: [HTTPHeader] = []) -> HTTPResponse {
        let body = "{\"error\":\(JSONText.quoted(code)),\"detail\":\(JSONText.quoted(detail))}\n"
        return HTTPResponse(status: status, headers: [HTTPHeader("Content-Type", "application/json")] + headers, body: Array(body.utf8))
    }
}

/// JSON string quoting for the few bodies built by hand.
public enum JSONText {
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
