import CaptureModel

/// The decision policy: for each finding code, its severity and which
/// verdict it pushes towards. Versioned data, so a token can say which
/// policy produced a verdict and an operator can ship a stricter one
/// (`assess-path --policy FILE`, same JSON shape).
public struct PathPolicy: Hashable, Sendable, Codable {
    public struct Rule: Hashable, Sendable, Codable {
        public var severity: Severity
        /// The verdict this finding alone implies; nil for context only.
        public var verdict: PathVerdict?

        public init(_ severity: Severity, _ verdict: PathVerdict?) {
            self.severity = severity
            self.verdict = verdict
        }
    }

    public var version: String
    public var rules: [String: Rule]

    public init(version: String, rules: [String: Rule]) {
        self.version = version
        self.rules = rules
    }

    /// The built-in policy. Severities rank how hard a signal is to forge:
    /// driver names, capabilities, the sysfs parent, driver-private controls
    /// and openers come from the kernel; card labels and bus_info come from
    /// module parameters an attacker sets.
    public static let standard = PathPolicy(version: "capture-path-policy/1", rules: [
        "virtual_camera_driver": Rule(.attack, .virtual),
        "test_driver": Rule(.attack, .virtual),
        "loopback_output_capability": Rule(.attack, .virtual),
        "virtual_bus": Rule(.attack, .virtual),
        "virtual_driver_markers": Rule(.attack, .virtual),
        "writer_process": Rule(.attack, .virtual),
        "preload_interposer": Rule(.attack, .suspicious),
        "pinned_path_changed": Rule(.suspicious, .suspicious),
        "usb_gadget_vendor": Rule(.suspicious, .suspicious),
        "usb_gadget_strings": Rule(.suspicious, .suspicious),
        "bus_info_mismatch": Rule(.suspicious, .suspicious),
        "other_opener": Rule(.suspicious, .suspicious),
        "emulated_format_only": Rule(.suspicious, .suspicious),
        "libv4l_plugin": Rule(.suspicious, .suspicious),
        "virtual_camera_module_loaded": Rule(.suspicious, .suspicious),
        "virtual_camera_label": Rule(.suspicious, .suspicious),
        "test_driver_module_loaded": Rule(.info, nil),
        "uvc_metadata_node_missing": Rule(.info, nil),
        "physical_bus": Rule(.info, .physical),
        "sysfs_unknown": Rule(.info, nil),
    ])

    /// The verdict a set of findings implies: any virtual evidence wins,
    /// then anything suspicious, then positive physical evidence; with none
    /// of those the path is unknown.
    public func verdict(for findings: [Finding]) -> PathVerdict {
        // A code missing from a (custom, perhaps older) policy counts as
        // suspicious, so a new attack signal is never dropped silently.
        let implied = findings.compactMap { finding in rules[finding.code].map(\.verdict) ?? .suspicious }
        if implied.contains(.virtual) { return .virtual }
        if implied.contains(.suspicious) { return .suspicious }
        if implied.contains(.physical) { return .physical }
        return .unknown
    }

    /// A finding for `code` at the severity this policy assigns. Codes the
    /// policy does not know are reported as suspicious (and imply a
    /// suspicious verdict): an unknown signal must not pass silently.
    func finding(_ code: String, _ message: String, _ evidence: [String: String]) -> Finding {
        Finding(code: code, severity: rules[code]?.severity ?? .suspicious, message: message, evidence: evidence.filter { !$0.value.isEmpty })
    }
}
