// CaptureGuardCLI: the `captureguard` command line.
//
// Parses arguments, runs one command against the capture engine and the
// capture-file module, and turns every failure into one line on stderr and a
// documented exit code (README, "Exit codes"). It holds no state between
// runs; `CommandLineTool.run` is what `main.swift` and the tests call.

import Attestation
import CaptureCrypto
import CaptureEngine
import CaptureFile

/// The process exit codes, stable and documented in the README.
public enum ExitCode: Int32, CaseIterable, Sendable {
    case success = 0
    /// A bug: an error CaptureGuard did not expect.
    case internalError = 1
    case usage = 2
    case notFound = 3
    case permissionDenied = 4
    case notV4L2 = 5
    case cannotCapture = 6
    case deviceBusy = 7
    /// The device vanished mid-stream; every frame before it was kept.
    case deviceLost = 8
    /// No frame arrived within the poll timeout; frames before it were kept.
    case timeout = 9
    /// A capture, Y4M or MJPEG file that is foreign, corrupt or damaged.
    case invalidInput = 10
    /// The output exists (without --force) or cannot be written.
    case outputError = 11
    case formatRejected = 12
    /// A private key file the group or others can read: refused.
    case insecureKey = 13
    /// `verify` rejected the token; stderr is "captureguard verify: CODE: detail".
    case tokenRejected = 20
    /// An audit log whose hash chain is broken (audit-verify, serve --audit).
    case auditBroken = 21
    /// SIGINT or SIGTERM stopped a recording; every frame before it was kept.
    case interrupted = 130

    public var summary: String {
        switch self {
        case .success: return "success"
        case .internalError: return "internal error (a bug: please report it)"
        case .usage: return "usage error: unknown command or option, missing or bad argument"
        case .notFound: return "device or file not found"
        case .permissionDenied: return "permission denied"
        case .notV4L2: return "not a V4L2 device (regular file, directory, or a character device without VIDIOC_QUERYCAP)"
        case .cannotCapture: return "V4L2 node that cannot capture video now (no capture capability, or no capture format yet); capture commands only"
        case .deviceBusy: return "device busy; the message names the holding process where /proc shows it"
        case .deviceLost: return "device lost mid-stream (unplugged); frames recorded before it are kept"
        case .timeout: return "no frame within the poll timeout; frames recorded before it are kept"
        case .invalidInput: return "input file is foreign, corrupt, damaged or unparseable"
        case .outputError: return "output exists (use --force) or cannot be written"
        case .formatRejected: return "requested format, size or rate not supported by the device"
        case .insecureKey: return "the private key file is readable by group or others (chmod 600)"
        case .tokenRejected: return "verify rejected the token; stderr is 'captureguard verify: CODE: detail'"
        case .auditBroken: return "the audit log's hash chain is broken (edited, deleted or reordered records, or a torn last line)"
        case .interrupted: return "interrupted by SIGINT/SIGTERM; the capture file is closed with every frame so far"
        }
    }
}

/// An error on its way to stderr and the exit status.
struct CommandFailure: Error {
    var code: ExitCode
    var message: String

    init(_ code: ExitCode, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Maps any error from the lower modules to its exit code; anything
    /// unforeseen is an internal error, never a crash.
    init(_ error: any Error) {
        switch error {
        case let failure as CommandFailure: self = failure
        case let device as DeviceError: self.init(device: device)
        case let file as CaptureFileError: self.init(file: file)
        case let conversion as FrameConverter.ConversionError: self.init(.invalidInput, conversion.message)
        case let key as KeyFileError:
            switch key {
            case .notFound: self.init(.notFound, key.message)
            case .unreadable: self.init(.permissionDenied, key.message)
            case .insecurePermissions: self.init(.insecureKey, key.message)
            case .invalid: self.init(.invalidInput, key.message)
            case .exists, .writeFailed: self.init(.outputError, key.message)
            }
        case let crypto as CryptoError: self.init(.internalError, crypto.message)
        default: self.init(.internalError, "\(error)")
        }
    }

    init(device error: DeviceError) {
        let code: ExitCode
        switch error {
        case .notFound: code = .notFound
        case .permissionDenied: code = .permissionDenied
        case .notV4L2: code = .notV4L2
        case .cannotCapture: code = .cannotCapture
        case .busy: code = .deviceBusy
        case .formatRejected: code = .formatRejected
        case .deviceLost: code = .deviceLost
        case .timeout: code = .timeout
        case .ioctlFailed: code = .internalError
        }
        self.init(code, error.message)
    }

    init(file error: CaptureFileError) {
        let code: ExitCode
        switch error {
        case .notFound: code = .notFound
        case .permissionDenied: code = .permissionDenied
        case .foreign, .unsupportedVersion, .corruptHeader, .invalidInput, .unreadable: code = .invalidInput
        case .outputExists, .io: code = .outputError
        }
        self.init(code, error.message)
    }
}
