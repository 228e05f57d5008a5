import CaptureModel
import Glibc

/// Reads the parts of a capture path that live outside V4L2: where the node
/// hangs in sysfs, its sibling nodes, the loaded kernel modules and what
/// could interpose on the agent. Every reader returns nil ("unknown") when
/// the information cannot be read, never a guess.
public struct HostProbe: Sendable {
    public var sysfsRoot: String
    public var procRoot: String
    public var devRoot: String

    public init(sysfsRoot: String = "/sys", procRoot: String = "/proc", devRoot: String = "/dev") {
        self.sysfsRoot = sysfsRoot
        self.procRoot = procRoot
        self.devRoot = devRoot
    }

    /// The /sys/class/video4linux entry of a device node, found by device
    /// number so /dev/v4l/by-id links and renamed nodes resolve too.
    public func classDirectory(forNode path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFCHR else { return nil }
        let wanted = "\(major(info.st_rdev)):\(minor(info.st_rdev))"
        let classRoot = "\(sysfsRoot)/class/video4linux"
        return directoryEntries(classRoot).sorted().first { name in
            readSmallFile("\(classRoot)/\(name)/dev")?.trimmingTrailingNewline == wanted
        }.map { "\(classRoot)/\($0)" }
    }

    /// Where the node hangs: its resolved sysfs path, bus, bound driver and,
    /// for USB, the descriptor attributes of the device.
    public func placement(forNode path: String) -> SysfsPlacement? {
        guard let classDirectory = classDirectory(forNode: path) else { return nil }
        var placement = SysfsPlacement()
        placement.name = readSmallFile("\(classDirectory)/name")?.trimmingTrailingNewline
        placement.devicePath = resolvedPath(classDirectory)
        guard let parent = resolvedPath("\(classDirectory)/device") else {
            // No parent device: the node was registered by software alone.
            placement.bus = placement.devicePath?.contains("/devices/virtual/") == true ? .virtual : nil
            return placement
        }
        let subsystem = resolvedPath("\(parent)/subsystem").map(lastComponent)
        switch subsystem {
        case "usb": placement.bus = .usb
        case "pci": placement.bus = .pci
        case "platform": placement.bus = .platform
        case .some: placement.bus = .other
        case .none: placement.bus = nil
        }
        placement.driver = resolvedPath("\(parent)/driver").map(lastComponent)
        if placement.bus == .usb { placement.usb = usbDescriptor(interface: parent) }
        return placement
    }

    /// A USB video node's parent is the interface (e.g. 1-1:1.0); the
    /// descriptor attributes live on the device directory above it.
    private func usbDescriptor(interface: String) -> USBDescriptor {
        var descriptor = USBDescriptor()
        descriptor.interfaceClass = attribute(interface, "bInterfaceClass")
        var directory = interface
        // The device directory is the interface's parent; a few more levels
        // tolerate composite layouts without ever climbing to the host bus.
        for _ in 0..<4 {
            if attribute(directory, "idVendor") != nil { break }
            directory = String(directory[..<(directory.lastIndex(of: "/") ?? directory.endIndex)])
        }
        descriptor.vendorID = attribute(directory, "idVendor")
        descriptor.productID = attribute(directory, "idProduct")
        descriptor.manufacturer = attribute(directory, "manufacturer")
        descriptor.product = attribute(directory, "product")
        descriptor.serial = attribute(directory, "serial")
        descriptor.bcdDevice = attribute(directory, "bcdDevice")
        descriptor.speed = attribute(directory, "speed")
        return descriptor
    }

    private func attribute(_ directory: String, _ name: String) -> String? {
        readSmallFile("\(directory)/\(name)", limit: 4096)?.trimmingTrailingNewline
    }

    /// Other video4linux nodes and media controllers of the same parent
    /// device. Video nodes are opened just long enough to tell a metadata
    /// node (capture of `V4L2_META_FMT_*`) from a video node.
    public func siblings(ofNode path: String) -> [SiblingNode]? {
        guard let classDirectory = classDirectory(forNode: path) else { return nil }
        guard let parent = resolvedPath("\(classDirectory)/device") else { return [] }
        let classRoot = "\(sysfsRoot)/class/video4linux"
        let ownName = lastComponent(classDirectory)
        var result: [SiblingNode] = []
        for name in directoryEntries(classRoot).sorted() where name != ownName {
            guard resolvedPath("\(classRoot)/\(name)/device") == parent else { continue }
            let node = "\(devRoot)/\(name)"
            var kind = SiblingNode.Kind.other
            if name.hasPrefix("video"), let device = try? VideoDevice(inspecting: node) {
                kind = device.capability.isMetadataNode ? .metadata : .video
            }
            result.append(SiblingNode(node: node, kind: kind, name: attribute("\(classRoot)/\(name)", "name")))
        }
        for name in directoryEntries(parent).sorted() where name.hasPrefix("media") && Int(name.dropFirst(5)) != nil {
            result.append(SiblingNode(node: "\(devRoot)/\(name)", kind: .media, name: attribute("\(parent)/\(name)", "model")))
        }
        return result
    }

    /// /proc/modules, with the modules that make cameras out of software
    /// marked, plus any such module built into the kernel (it has a
    /// /sys/module directory but no /proc/modules line). Nil when neither
    /// can be read (a kernel without module support), which is "unknown".
    public func modules() -> [KernelModule]? {
        let loadable = readSmallFile("\(procRoot)/modules", limit: 4 << 20)
        let sysModules = Set(directoryEntries("\(sysfsRoot)/module"))
        guard loadable != nil || !sysModules.isEmpty else { return nil }
        var modules: [KernelModule] = (loadable ?? "").split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard let name = fields.first else { return nil }
            var taint: String?
            if let open = line.lastIndex(of: "("), let close = line.lastIndex(of: ")"), open < close {
                taint = String(line[line.index(after: open)..<close])
            }
            return KernelModule(name: String(name), marked: KernelModule.mark(for: String(name)), taint: taint)
        }
        let listed = Set(modules.map(\.name))
        for name in sysModules.sorted() where !listed.contains(name) {
            if let mark = KernelModule.mark(for: name) {
                modules.append(KernelModule(name: name, marked: mark, taint: "builtin"))
            }
        }
        return modules
    }

    /// Directories libv4l2 loads plugins from, per architecture; the
    /// library's compiled-in path is LIBDIR/libv4l/plugins.
    static let pluginDirectories = [
        "/usr/lib/x86_64-linux-gnu/libv4l/plugins", "/usr/lib/aarch64-linux-gnu/libv4l/plugins",
        "/usr/lib/arm-linux-gnueabihf/libv4l/plugins", "/usr/lib/libv4l/plugins", "/usr/lib64/libv4l/plugins",
    ]

    /// What could sit between the agent and the kernel: LD_PRELOAD in the
    /// agent's environment, /etc/ld.so.preload, and libv4l2 plugins.
    public func integrity(environment: [String: String], etcRoot: String = "/etc") -> AgentIntegrity {
        let preloadFile = readSmallFile("\(etcRoot)/ld.so.preload")?
            .split(whereSeparator: { $0 == "\n" || $0 == " " || $0 == ":" })
            .map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty } ?? []
        let plugins = Self.pluginDirectories.flatMap { directory in
            directoryEntries(directory).filter { $0.hasSuffix(".so") }.sorted().map { "\(directory)/\($0)" }
        }
        let preload = environment["LD_PRELOAD"].flatMap { $0.isEmpty ? nil : $0 }
        return AgentIntegrity(ldPreload: preload, ldSoPreload: preloadFile, libv4lPlugins: plugins)
    }
}

func lastComponent(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}

/// glibc's `major()`/`minor()` are macros Swift does not import; these use
/// the same masks as <bits/sysmacros.h>.
func major(_ device: dev_t) -> UInt64 {
    let d = UInt64(device)
    return ((d & 0x0000_0000_000f_ff00) >> 8) | ((d & 0xffff_f000_0000_0000) >> 32)
}

func minor(_ device: dev_t) -> UInt64 {
    let d = UInt64(device)
    return (d & 0x0000_0000_0000_00ff) | ((d & 0x0000_0fff_fff0_0000) >> 12)
}
