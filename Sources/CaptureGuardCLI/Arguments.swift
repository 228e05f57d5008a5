import Verifier

/// A small, strict argument parser: every option must be declared, values
/// are checked, and anything unexpected is a usage error (exit 2).
struct ParsedArguments {
    private(set) var positionals: [String] = []
    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    /// - Parameters:
    ///   - valued: options that take a value (`--out FILE` or `--out=FILE`).
    ///   - switches: options that take none (`--json`).
    init(_ arguments: [String], valued: Set<String>, switches: Set<String>) throws(CommandFailure) {
        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if onlyPositionals || !argument.hasPrefix("--") || argument == "-" {
                if argument.hasPrefix("-") && argument != "-" && !onlyPositionals {
                    throw CommandFailure(.usage, "unknown option \(argument)")
                }
                positionals.append(argument)
                continue
            }
            if argument == "--" {
                onlyPositionals = true
                continue
            }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if valued.contains(name) {
                if let inlineValue {
                    values[name] = inlineValue
                } else {
                    guard index < arguments.count else { throw CommandFailure(.usage, "--\(name) needs a value") }
                    values[name] = arguments[index]
                    index += 1
                }
            } else if switches.contains(name) {
                guard inlineValue == nil else { throw CommandFailure(.usage, "--\(name) takes no value") }
                flags.insert(name)
            } else {
                throw CommandFailure(.usage, "unknown option --\(name)")
            }
        }
    }

    func has(_ flag: String) -> Bool { flags.contains(flag) }

    func value(_ name: String) -> String? { values[name] }

    func required(_ name: String) throws(CommandFailure) -> String {
        guard let value = values[name], !value.isEmpty else { throw CommandFailure(.usage, "--\(name) is required") }
        return value
    }

    func positiveInteger(_ name: String, atMost limit: Int) throws(CommandFailure) -> Int? {
        guard let text = values[name] else { return nil }
        guard let value = Int(text), value > 0, value <= limit else {
            throw CommandFailure(.usage, "--\(name) must be an integer from 1 to \(limit), got '\(text)'")
        }
        return value
    }

    func positiveNumber(_ name: String, atMost limit: Double) throws(CommandFailure) -> Double? {
        guard let text = values[name] else { return nil }
        guard let value = Double(text), value > 0, value <= limit else {
            throw CommandFailure(.usage, "--\(name) must be a number above 0 and at most \(limit), got '\(text)'")
        }
        return value
    }

    /// `--nonce`: the server's challenge, base64url of 8 to 64 bytes (the
    /// RFC 9711 `eat_nonce` size rule both attest and verify enforce).
    func nonce() throws(CommandFailure) -> [UInt8] {
        let text = try required("nonce")
        guard let nonce = Base64URL.decode(text), TokenVerifier.nonceSizes.contains(nonce.count) else {
            throw CommandFailure(.usage, "--nonce must be base64url of 8 to 64 bytes (RFC 9711 eat_nonce)")
        }
        return nonce
    }

    /// Exactly one positional argument, described as `what` in errors.
    func single(_ what: String) throws(CommandFailure) -> String {
        guard positionals.count == 1 else {
            throw CommandFailure(.usage, positionals.isEmpty ? "missing \(what)" : "expected one \(what), got \(positionals.count) arguments")
        }
        return positionals[0]
    }
}

/// Upper bounds for numeric options, so no later conversion can overflow.
enum ArgumentLimits {
    /// A day: kiosk sessions last seconds, and a recording is bounded by disk.
    static let seconds = 86_400.0
    /// 24 h at 1,000 fps.
    static let frames = 86_400_000
    /// The fastest V4L2 cameras (high-speed industrial sensors) run near 1,000 fps.
    static let framesPerSecond = 1_000
    /// poll() takes milliseconds as Int32; 10 minutes is far past any camera's start-up.
    static let pollTimeout = 600.0
}
