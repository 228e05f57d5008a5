import CaptureEngine
import CaptureFile
import CaptureModel
import CapturePath
import Foundation

enum PathCommands {
    static let enrollPath = Command(
        name: "enroll-path",
        summary: "pin the kiosk camera's capture path (stable fingerprint hash)",
        help: """
        Usage: captureguard enroll-path DEVICE --out PINNED.json [--force] [--json]

        Reads DEVICE's fingerprint and writes its stable identity (driver, card,
        bus_info, capabilities, formats, controls, inputs, sysfs parent and USB
        descriptor; not the node number, openers, modules or kernel version) and
        its SHA-256 to PINNED.json. 'assess-path --pinned' then reports
        pinned_path_changed when the camera is swapped or re-enumerated differently.

        Options:
          --out FILE  pinned path file to create (refuses to overwrite without --force)
          --force     replace an existing FILE
          --json      print the pinned document on stdout too
          --help      show this help

        """,
        run: { (arguments, console) throws(CommandFailure) in
            let parsed = try ParsedArguments(arguments, valued: ["out"], switches: ["force", "json"])
            let path = try parsed.single("DEVICE")
            let outPath = try parsed.required("out")
            if !parsed.has("force") && FileManager.default.fileExists(atPath: outPath) {
                throw CommandFailure(CaptureFileError.outputExists(path: outPath))
            }
            let device: VideoDevice
            do { device = try VideoDevice(inspecting: path) } catch { throw CommandFailure(error) }
            let pinned: PinnedPath
            do { pinned = try PinnedPath(fingerprint: CommandLineTool.fingerprint(of: device), enrolledAt: CommandLineTool.timestamp()) } catch {
                throw CommandFailure(.internalError, "cannot hash the fingerprint: \(error)")
            }
            let text = try CommandLineTool.json(pinned)
            try writeAtomically(text + "\n", to: outPath)
            if parsed.has("json") { console.out(text) }
            console.writeError("pinned \(path) sha256 \(pinned.sha256) -> \(outPath)\n")
            return .success
        })

    static let assessPath = Command(
        name: "assess-path",
        summary: "judge a capture path: findings with reason codes and a verdict",
        help: """
        Usage: captureguard assess-path DEVICE [--pinned FILE] [--policy FILE] [--json]
               captureguard assess-path --fingerprint FILE [--pinned FILE] [--policy FILE] [--json]

        Fingerprints DEVICE (or reads a captureguard.fingerprint/1 JSON file, e.g.
        one saved from 'inspect' or rebuilt from a v4l2-ctl dump, or the device
        fingerprint a .cgcap capture recorded) and prints each
        finding (code, severity info|suspicious|attack, evidence) and the verdict:
        physical, virtual, suspicious or unknown. Codes are listed in the README.
        A missing fingerprint section is unknown, never evidence of an attack.
        The exit status is 0 whatever the verdict; read the verdict from the output.

        Options:
          --fingerprint FILE  assess a saved fingerprint (JSON or .cgcap) instead of a device
          --pinned FILE       compare with a path pinned by enroll-path
          --policy FILE       use this policy JSON instead of the built-in one
          --json              print the assessment as JSON
          --help              show this help

        """,
        run: { (arguments, console) throws(CommandFailure) in
            let parsed = try ParsedArguments(arguments, valued: ["fingerprint", "pinned", "policy"], switches: ["json"])
            let fingerprint: DeviceFingerprint
            if let file = parsed.value("fingerprint") {
                guard parsed.positionals.isEmpty else { throw CommandFailure(.usage, "give either DEVICE or --fingerprint FILE, not both") }
                fingerprint = try loadFingerprint(file)
            } else {
                let path = try parsed.single("DEVICE (or --fingerprint FILE)")
                let device: VideoDevice
                do { device = try VideoDevice(inspecting: path) } catch { throw CommandFailure(error) }
                fingerprint = CommandLineTool.fingerprint(of: device)
            }
            let pinned = try parsed.value("pinned").map { file throws(CommandFailure) in
                try loadDocument(PinnedPath.self, from: file, schema: PinnedPath.schemaName, what: "pinned path") { $0.schema }
            }
            let policy = try parsed.value("policy").map { file throws(CommandFailure) in
                try loadDocument(PathPolicy.self, from: file, schema: nil, what: "policy") { _ in "" }
            } ?? .standard
            let assessment = PathAssessor.assess(fingerprint, pinned: pinned, policy: policy)
            if parsed.has("json") {
                console.out(try CommandLineTool.json(assessment))
            } else {
                printAssessment(assessment, fingerprint, console)
            }
            return .success
        })

    /// A fingerprint JSON document, or the fingerprint a capture file
    /// recorded of its device.
    static func loadFingerprint(_ file: String) throws(CommandFailure) -> DeviceFingerprint {
        // A file with the capture magic is a capture, and its own error
        // (damaged header, ...) is the one to report.
        let magic = FileHandle(forReadingAtPath: file).map { handle in
            defer { try? handle.close() }
            return (try? handle.read(upToCount: 5)) ?? nil
        } ?? nil
        if magic == Data("CGCAP".utf8) {
            let reader = try FileCommands.openCapture(file)
            guard let device = reader.info.device else {
                throw CommandFailure(.invalidInput, "\(file): this capture was imported (\(reader.info.sourceKind.rawValue)); it has no device fingerprint")
            }
            return device
        }
        return try loadDocument(DeviceFingerprint.self, from: file, schema: DeviceFingerprint.schemaName, what: "fingerprint") { $0.schema }
    }

    static func printAssessment(_ assessment: PathAssessment, _ fingerprint: DeviceFingerprint, _ console: Console) {
        let q = fingerprint.querycap
        console.out("path:    \(assessment.node.isEmpty ? "(fingerprint)" : assessment.node)  driver '\(q.driver)'  card '\(q.card)'  bus '\(q.busInfo)'")
        if let hash = assessment.fingerprintSHA256 { console.out("sha256:  \(hash)") }
        for finding in assessment.findings {
            let evidence = finding.evidence.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            console.out("\(finding.severity.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(finding.code): \(finding.message)" + (evidence.isEmpty ? "" : "  [\(evidence)]"))
        }
        console.out("verdict: \(assessment.verdict.rawValue)  (policy \(assessment.policyVersion))")
    }

    /// A whole input file; a missing file is exit 3, an unreadable one exit 4.
    static func readFile(_ file: String) throws(CommandFailure) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            if !FileManager.default.fileExists(atPath: file) { throw CommandFailure(.notFound, "\(file): no such file") }
            throw CommandFailure(.permissionDenied, "\(file): cannot read")
        }
    }

    /// Reads and decodes a JSON document, turning every way it can be wrong
    /// into one line that names the file and the offending field.
    static func loadDocument<T: Decodable>(_ type: T.Type, from file: String, schema: String?, what: String, schemaOf: (T) -> String) throws(CommandFailure) -> T {
        let data = try readFile(file)
        if let schema {
            // Check the schema first, so a different document gets a clear
            // "wrong schema" rather than a missing-field error.
            let object = try? JSONSerialization.jsonObject(with: data)
            if let dictionary = object as? [String: Any], let found = dictionary["schema"] as? String, found != schema {
                throw CommandFailure(.invalidInput, "\(file): not a \(schema) document (schema '\(found)')")
            }
        }
        let value: T
        do {
            value = try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw CommandFailure(.invalidInput, "\(file): invalid \(what): \(describe(error))")
        } catch {
            throw CommandFailure(.invalidInput, "\(file): invalid \(what): \(error)")
        }
        if let schema, schemaOf(value) != schema {
            throw CommandFailure(.invalidInput, "\(file): not a \(schema) document (schema '\(schemaOf(value))')")
        }
        return value
    }

    /// One line from a DecodingError: the JSON path and what was wrong.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? "(top level)" : text)
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(jsonTypeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(jsonTypeName(type)), found null"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): missing"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "malformed JSON" }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int64.Type, is UInt32.Type, is UInt64.Type, is Int32.Type: return "an integer"
        case is Double.Type: return "a number"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "an object"
        }
    }

    /// Writes text to a hidden temporary beside `path` and renames it into place.
    static func writeAtomically(_ text: String, to path: String) throws(CommandFailure) {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CommandFailure(.outputError, "\(path): cannot write: \(error.localizedDescription)")
        }
    }
}
