// Findings: what every analyser reports, whatever it looks at (the capture
// path, frame forensics, face PAD). One shape, so the decision policy and
// the token treat them alike.

/// How much a finding weighs on its own.
public enum Severity: String, Hashable, Sendable, Codable, Comparable, CaseIterable {
    /// Context worth recording; never moves the verdict towards an attack.
    case info
    /// Unusual for a kiosk camera, or forgeable evidence of an attack.
    case suspicious
    /// Hard-to-forge evidence that frames do not come from a sensor on a
    /// physical bus, or that the path is being tampered with.
    case attack

    private var rank: Int {
        switch self {
        case .info: return 0
        case .suspicious: return 1
        case .attack: return 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// One observation by an analyser.
public struct Finding: Hashable, Sendable, Codable {
    /// Stable snake_case code, listed in the README.
    public var code: String
    public var severity: Severity
    /// One line for a person.
    public var message: String
    /// The facts behind it, e.g. `["driver": "v4l2 loopback"]`.
    public var evidence: [String: String]

    public init(code: String, severity: Severity, message: String, evidence: [String: String]) {
        self.code = code
        self.severity = severity
        self.message = message
        self.evidence = evidence
    }
}
