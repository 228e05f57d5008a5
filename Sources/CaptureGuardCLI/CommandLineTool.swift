import CaptureEngine
import CaptureFile
import CaptureModel
import Foundation
import Glibc

/// Where a command's output goes. The real process writes to file
/// descriptors 1 and 2; tests capture both into strings.
public struct Console {
    public var writeOut: (String) -> Void
    public var writeError: (String) -> Void
    /// Live progress lines are drawn only when stderr is a terminal.
    public var errorIsTerminal: Bool

    public init(writeOut: @escaping (String) -> Void, writeError: @escaping (String) -> Void, errorIsTerminal: Bool) {
        self.writeOut = writeOut
        self.writeError = writeError
        self.errorIsTerminal = errorIsTerminal
    }

    public static func standard() -> Console {
        Console(
            writeOut: { text in FileHandle.standardOutput.write(Data(text.utf8)) },
            writeError: { text in FileHandle.standardError.write(Data(text.utf8)) },
            errorIsTerminal: isatty(2) == 1)
    }

    func out(_ line: String) { writeOut(line + "\n") }
    func warn(_ line: String) { writeError("captureguard: warning: \(line)\n") }
}

/// One subcommand: its name, a one-line summary, its full help text, and
/// the function that runs it.
struct Command: Sendable {
    var name: String
    var summary: String
    var help: String
    var run: @Sendable ([String], Console) throws(CommandFailure) -> ExitCode
}

public enum CommandLineTool {
    public static let version = "0.1.0"
    static var recorder: String { "captureguard \(version)" }

    static let commands: [Command] = [
        DeviceCommands.devices, DeviceCommands.inspect, PathCommands.assessPath, PathCommands.enrollPath,
        RecordCommand.command, FileCommands.replay, FileCommands.importY4M, FileCommands.importMJPEG, FileCommands.exportY4M,
        ForensicsCommands.analyze, ForensicsCommands.enrollSensor, FaceCommands.detectFaces,
        AttestCommand.command, TokenCommands.keygen, TokenCommands.verify, ServeCommand.command, AuditCommand.command,
    ]

    /// Runs one invocation (arguments without the program name) and returns
    /// the exit status. Never traps on bad input.
    public static func run(_ arguments: [String], console: Console) -> Int32 {
        guard let first = arguments.first else {
            console.writeError(usage)
            return ExitCode.usage.rawValue
        }
        switch first {
        case "--help", "-h", "help":
            if arguments.count > 1, let command = commands.first(where: { $0.name == arguments[1] }) {
                console.writeOut(command.help)
            } else {
                console.writeOut(usage)
            }
            return ExitCode.success.rawValue
        case "--version", "-V":
            console.out(recorder)
            return ExitCode.success.rawValue
        default:
            break
        }
        guard let command = commands.first(where: { $0.name == first }) else {
            console.writeError("captureguard: unknown command '\(first)'\n\(usage)")
            return ExitCode.usage.rawValue
        }
        let rest = Array(arguments.dropFirst())
        if rest.contains("--help") || rest.contains("-h") {
            console.writeOut(command.help)
            return ExitCode.success.rawValue
        }
        do {
            return try command.run(rest, console).rawValue
        } catch {
            let hint = error.code == .usage ? " (see 'captureguard \(command.name) --help')" : ""
            console.writeError("captureguard \(command.name): \(error.message)\(hint)\n")
            return error.code.rawValue
        }
    }

    static var usage: String {
        let width = (commands.map(\.name.count).max() ?? 0) + 2
        let lines = commands.map { "  " + $0.name.padding(toLength: width, withPad: " ", startingAt: 0) + $0.summary }
        return """
        captureguard \(version): camera-injection and capture-path detector for V4L2

        Usage: captureguard COMMAND [OPTIONS]

        Commands:
        \(lines.joined(separator: "\n"))

        Options for every command: --help. Global: --version.
        Exit codes are listed in the README ("Exit codes").

        """
    }

    /// Wall-clock now as RFC 3339 UTC, for capture headers.
    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }

    /// A live device's full fingerprint, read now.
    static func fingerprint(of device: VideoDevice) -> DeviceFingerprint {
        device.fingerprint(environment: ProcessInfo.processInfo.environment, collectedAt: timestamp())
    }

    /// Encodes a value as pretty JSON for stdout.
    static func json<T: Encodable>(_ value: T) throws(CommandFailure) -> String {
        do {
            return String(decoding: try CaptureJSON.encoder(pretty: true).encode(value), as: UTF8.self)
        } catch {
            throw CommandFailure(.internalError, "cannot encode JSON: \(error)")
        }
    }
}
