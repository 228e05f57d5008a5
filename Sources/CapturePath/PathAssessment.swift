import CaptureModel

/// The result of judging one capture path.
public struct PathAssessment: Hashable, Sendable, Codable {
    public var schema = "captureguard.path-assessment/1"
    public var node: String
    public var verdict: PathVerdict
    public var findings: [Finding]
    public var policyVersion: String
    /// SHA-256 of the fingerprint's stable identity (see `StableIdentity`).
    public var fingerprintSHA256: String?

    enum CodingKeys: String, CodingKey {
        case schema, node, verdict, findings
        case policyVersion = "policy_version"
        case fingerprintSHA256 = "fingerprint_sha256"
    }
}

/// The capture-path rules. Each looks at one kind of evidence and returns
/// findings; none performs I/O. They are general: they test what a driver,
/// a bus or a process is, never a list of example devices.
public enum PathAssessor {
    /// Driver-private controls of v4l2loopback and the input/output names
    /// loopback drivers register. Matched by name only: the private ID range
    /// (0x0098f900 on) is shared by every driver, vivid's test controls too.
    static let loopbackControlNames: Set<String> = ["keep_format", "sustain_framerate", "timeout", "timeout_image_io"]
    static let loopbackInputNames: Set<String> = ["loopback", "akvcam-input", "akvcam-output"]
    /// Words that virtual-camera products put in their labels. Labels are
    /// attacker-controlled, so a match is only suspicious and a miss means
    /// nothing.
    static let virtualLabelWords = ["virtual", "dummy", "loopback", "obs ", "fake", "akvcam", "manycam", "droidcam", "iriun", "webcamoid", "xsplit", "snap camera"]
    /// The plugin libv4l2 itself ships (v4l-utils lib/libv4l-mplane); any
    /// other plugin is loaded into the agent by someone else.
    static let libv4lOwnPlugins: Set<String> = ["libv4l-mplane.so"]
    /// USB vendor 0x1d6b is the Linux Foundation's: the kernel's gadget
    /// framework (g_webcam, configfs UVC functions) and root hubs use it; no
    /// camera maker ships under it.
    static let linuxFoundationVendor = "1d6b"
    /// uvcvideo names a node "<iProduct>: <interface string>" and the
    /// kernel's UVC gadget function (drivers/usb/gadget/function/f_uvc.c)
    /// names its control interface "UVC Camera" unless configured otherwise,
    /// so a uvcvideo card ending in ": UVC Camera" is a Linux gadget's
    /// default. (A camera without an iProduct string is "UVC Camera
    /// (vvvv:pppp)", which does not match.)
    static let gadgetInterfaceSuffix = ": uvc camera"

    public static func assess(_ fingerprint: DeviceFingerprint, pinned: PinnedPath? = nil, policy: PathPolicy = .standard) -> PathAssessment {
        var findings: [Finding] = []
        findings += driverFindings(fingerprint, policy)
        findings += capabilityFindings(fingerprint, policy)
        findings += placementFindings(fingerprint, policy)
        findings += markerFindings(fingerprint, policy)
        // On a node software can feed (a loopback, or anything that accepts
        // written frames), another opener is, in practice, the producer.
        let softwareFed = findings.contains { ["virtual_camera_driver", "virtual_bus", "virtual_driver_markers", "loopback_output_capability"].contains($0.code) }
        findings += openerFindings(fingerprint, nodeIsSoftwareFed: softwareFed, policy)
        findings += moduleFindings(fingerprint, policy)
        findings += integrityFindings(fingerprint, policy)
        findings += formatFindings(fingerprint, policy)
        findings += labelFindings(fingerprint, policy)
        let hash = try? StableIdentity(fingerprint).sha256()
        if let pinned {
            findings += pinnedFindings(fingerprint, hash: hash, pinned: pinned, policy)
        }
        return PathAssessment(node: fingerprint.node, verdict: policy.verdict(for: findings), findings: findings,
                              policyVersion: policy.version, fingerprintSHA256: hash)
    }

    /// Lowercased, without spaces, dashes or underscores: "v4l2 loopback"
    /// and "v4l2_loopback" are the same driver.
    static func normalized(_ name: String) -> String {
        String(name.lowercased().filter { $0 != " " && $0 != "-" && $0 != "_" })
    }

    static func driverFindings(_ f: DeviceFingerprint, _ policy: PathPolicy) -> [Finding] {
        var findings: [Finding] = []
        let names = [("querycap", f.querycap.driver), ("sysfs", f.sysfs?.driver ?? "")].filter { !$0.1.isEmpty }
        for (origin, name) in names {
            // Driver names are compiled into the drivers; a module parameter
            // cannot change them (v4l2loopback's card_label changes only
            // `card`). The same names as the modules (KernelModule.mark).
            switch KernelModule.mark(for: normalized(name)) {
            case .virtualCamera:
                findings.append(policy.finding("virtual_camera_driver", "the \(origin) driver '\(name)' is a software virtual camera", ["driver": name, "origin": origin]))
            case .testDriver:
                findings.append(policy.finding("test_driver", "the \(origin) driver '\(name)' is a kernel test driver, not a camera", ["driver": name, "origin": origin]))
            case .none:
                break
            }
        }
        // The same driver seen twice is one fact.
        var seen = Set<String>()
        return findings.filter { seen.insert($0.code + normalized($0.evidence["driver"] ?? "")).inserted }
    }

    static func capabilityFindings(_ f: DeviceFingerprint, _ policy: PathPolicy) -> [Finding] {
        let node = f.querycap.nodeCapabilities
        let output: Capabilities = [.videoOutput, .videoOutputMplane]
        let memoryToMemory: Capabilities = [.videoM2M, Capabilities(rawValue: 0x4000)]
        // A camera node never accepts frames from user space. A codec
        // (mem2mem) does, but it is no camera and announces M2M.
        guard !node.isDisjoint(with: output), node.isDisjoint(with: memoryToMemory) else { return [] }
        return [policy.finding(
            "loopback_output_capability",
            node.contains(.videoCapture) ? "the node accepts written frames and delivers them as capture" : "the node is output-only: something writes frames into it",
            ["device_caps": hex(f.querycap.deviceCaps.rawValue), "device_cap_names": node.names.joined(separator: ",")])]
    }

    static func placementFindings(_ f: DeviceFingerprint, _ policy: PathPolicy) -> [Finding] {
        guard let sysfs = f.sysfs else {
            return [policy.finding("sysfs_unknown", "no sysfs placement in this fingerprint: the bus cannot be checked", [:])]
        }
        var findings: [Finding] = []
        let busInfo = f.querycap.busInfo
        switch sysfs.bus {
        case .virtual:
            findings.append(policy.finding("virtual_bus", "the node has no parent device: it was registered by software alone", ["device_path": sysfs.devicePath ?? ""]))
        case .usb, .pci, .platform:
            findings.append(policy.finding("physical_bus", "the node hangs off a \(sysfs.bus?.rawValue ?? "") device bound to '\(sysfs.driver ?? "?")'",
                                           ["bus": sysfs.bus?.rawValue ?? "", "driver": sysfs.driver ?? "", "device_path": sysfs.devicePath ?? ""]))
        case .other, .none:
            break
        }
        // bus_info is free text from the driver (and from module parameters
        // for v4l2loopback); a USB claim must match the sysfs bus.
        let claimsUSB = busInfo.hasPrefix("usb-")
        if let bus = sysfs.bus, bus != .other, claimsUSB != (bus == .usb) {
            findings.append(policy.finding("bus_info_mismatch", "bus_info '\(busInfo)' does not match the sysfs bus '\(bus.rawValue)'", ["bus_info": busInfo, "sysfs_bus": bus.rawValue]))
        }
        if let usb = sysfs.usb {
            if usb.vendorID?.lowercased() == linuxFoundationVendor {
                findings.append(policy.finding("usb_gadget_vendor", "USB vendor 1d6b is the Linux gadget framework's, not a camera maker's",
                                               ["vendor_id": usb.vendorID ?? "", "product_id": usb.productID ?? ""]))
            }
            // The kernel's default gadget iManufacturer is "Linux <release>
            // with <UDC driver>"; configfs examples keep "gadget" in names.
            let strings = [usb.manufacturer, usb.product].compactMap { $0 }.joined(separator: " ").lowercased()
            if strings.contains("gadget") || strings.contains("linux foundation") || (strings.hasPrefix("linux ") && strings.contains(" with ")) {
                findings.append(policy.finding("usb_gadget_strings", "the USB strings name a Linux gadget", ["manufacturer": usb.manufacturer ?? "", "product": usb.product ?? ""]))
            }
        }
        if normalized(sysfs.driver ?? "") == "uvcvideo", let siblings = f.siblings, !siblings.contains(where: { $0.kind == .metadata }) {
            findings.append(policy.finding("uvc_metadata_node_missing", "a uvcvideo node without its metadata node (kernels before 4.16 have none)", [:]))
        }
        return findings
    }

    static func markerFindings(_ f: DeviceFingerprint, _ policy: PathPolicy) -> [Finding] {
        var markers: [String] = []
        for control in f.controls ?? [] where loopbackControlNames.contains(control.name) {
            markers.append("control \(control.name) (\(hex(control.id)))")
        }
        for input in f.inputs ?? [] where loopbackInputNames.contains(input.name) {
            markers.append("input '\(input.name)'")
        }
        guard !markers.isEmpty else { return [] }
        return [policy.finding("virtual_driver_markers", "driver-private controls or inputs of a loopback driver", ["markers": markers.joined(separator: "; ")])]
    }

    static func openerFindings(_ f: DeviceFingerprint, nodeIsSoftwareFed: Bool, _ policy: PathPolicy) -> [Finding] {
        (f.openers ?? []).map { opener in
            let evidence = ["pid": String(opener.pid), "comm": opener.command, "mode": opener.mode.rawValue]
            if nodeIsSoftwareFed || opener.mode == .write {
                return policy.finding("writer_process", "\(opener.command) (pid \(opener.pid)) holds the node open for writing", evidence)
            }
            return policy.finding("other_opener", "\(opener.command) (pid \(opener.pid)) has the camera open", evidence)
        }
    }

    static func moduleFindings(_ f: DeviceFingerprint, _ policy: PathPolicy) -> [Finding] {
        (f.modules ?? []).compactMap { module in
            switch module.marked {
            case .virtualCamera:
                return policy.finding("virtual_camera_module_loaded", "kernel module \(module.name) is loaded: software can create cameras here",
                                      ["module": module.name, "taint": module.taint ?? ""])
            case .testDriver:
                return policy.finding("test_driver_module_loaded", "kernel test driver \(module.name) is loaded", ["module": module.name])
            case .none:
                return nil
            }
        }
    }

    static func integrityFindings(_ f: DeviceFingerprint, _ policy: PathPolicy) -> [Finding] {
        guard let integrity = f.integrity else { return [] }
        var findings: [Finding] = []
        if let preload = integrity.ldPreload {
            findings.append(policy.finding("preload_interposer", "LD_PRELOAD is set for the agent: a library can rewrite its ioctls and frames", ["ld_preload": preload]))
        }
        if !integrity.ldSoPreload.isEmpty {
            findings.append(policy.finding("preload_interposer", "/etc/ld.so.preload loads libraries into every process", ["ld_so_preload": integrity.ldSoPreload.joined(separator: ",")]))
        }
        let foreign = integrity.libv4lPlugins.filter { !libv4lOwnPlugins.contains(lastPathComponent($0)) }
        if !foreign.isEmpty {
            findings.append(policy.finding("libv4l_plugin", "libv4l2 plugins that v4l-utils does not ship: they run inside the agent", ["plugins": foreign.joined(separator: ",")]))
        }
        return findings
    }

    static func formatFindings(_ f: DeviceFingerprint, _ policy: PathPolicy) -> [Finding] {
        guard let formats = f.formats, !formats.isEmpty, formats.allSatisfy(\.isEmulated) else { return [] }
        return [policy.finding("emulated_format_only", "every format is emulated by libv4l: nothing native comes from the driver",
                               ["formats": formats.map { $0.pixelFormat.fourcc }.joined(separator: ",")])]
    }

    static func labelFindings(_ f: DeviceFingerprint, _ policy: PathPolicy) -> [Finding] {
        var findings: [Finding] = []
        if normalized(f.querycap.driver) == "uvcvideo" && f.querycap.card.lowercased().hasSuffix(gadgetInterfaceSuffix) {
            findings.append(policy.finding("usb_gadget_strings", "the card '\(f.querycap.card)' carries the Linux UVC gadget's default interface name",
                                           ["card": f.querycap.card]))
        }
        return findings + virtualLabelFindings(f, policy)
    }

    static func virtualLabelFindings(_ f: DeviceFingerprint, _ policy: PathPolicy) -> [Finding] {
        let card = f.querycap.card.lowercased() + " "
        guard let word = virtualLabelWords.first(where: { card.contains($0) }) else { return [] }
        return [policy.finding("virtual_camera_label", "the card label '\(f.querycap.card)' names a virtual camera (labels are attacker-set: weak evidence)",
                               ["card": f.querycap.card, "matched": word.trimmed(" ")])]
    }

    static func pinnedFindings(_ f: DeviceFingerprint, hash: String?, pinned: PinnedPath, _ policy: PathPolicy) -> [Finding] {
        guard hash != pinned.sha256 else { return [] }
        let changed = StableIdentity(f).differences(from: pinned.identity)
        return [policy.finding("pinned_path_changed", "the capture path differs from the one enrolled on \(pinned.enrolledAt)",
                               ["pinned_sha256": pinned.sha256, "current_sha256": hash ?? "", "changed": changed.joined(separator: ",")])]
    }
}

func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }

func lastPathComponent(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}

extension String {
    func trimmed(_ set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
