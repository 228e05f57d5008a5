/// Everything CaptureGuard knows about one capture path: what the V4L2 node
/// says about itself, where it hangs in sysfs, its sibling nodes, the kernel
/// modules loaded, who else holds it, and the agent's own integrity.
///
/// `inspect` prints it, every capture file embeds it, and the capture-path
/// assessment judges it. Every section except `querycap` may be nil: a
/// fingerprint rebuilt from a published `v4l2-ctl --all` dump often has only
/// querycap, formats and controls, and a missing section means "unknown".
/// Keys are snake_case and documented in the README.
public struct DeviceFingerprint: Hashable, Sendable, Codable {
    public static let schemaName = "captureguard.fingerprint/1"

    public var schema: String = DeviceFingerprint.schemaName
    public var node: String
    /// Where the fingerprint came from: "live" for one read from a device,
    /// or the provenance of one rebuilt from a published dump.
    public var source: String?
    /// RFC 3339 UTC time the fingerprint was read.
    public var collectedAt: String?
    public var querycap: QueryCapability
    public var formats: [FormatDescription]?
    public var currentFormat: FrameFormat?
    public var streamParameters: StreamParameters?
    public var controls: [ControlDescription]?
    public var inputs: [InputDescription]?
    public var sysfs: SysfsPlacement?
    /// Other nodes of the same device: metadata and video nodes, media controllers.
    public var siblings: [SiblingNode]?
    public var modules: [KernelModule]?
    /// Other processes that had the node open, as far as /proc shows them.
    public var openers: [DeviceHolder]?
    public var integrity: AgentIntegrity?
    /// Ioctls the node refused (e.g. `VIDIOC_G_FMT: EINVAL` on an output-only
    /// node) and anything a converter inferred: facts, not errors.
    public var notes: [String]

    public init(node: String, source: String? = nil, collectedAt: String? = nil, querycap: QueryCapability, formats: [FormatDescription]? = nil, currentFormat: FrameFormat? = nil, streamParameters: StreamParameters? = nil, controls: [ControlDescription]? = nil, inputs: [InputDescription]? = nil, sysfs: SysfsPlacement? = nil, siblings: [SiblingNode]? = nil, modules: [KernelModule]? = nil, openers: [DeviceHolder]? = nil, integrity: AgentIntegrity? = nil, notes: [String] = []) {
        self.node = node
        self.source = source
        self.collectedAt = collectedAt
        self.querycap = querycap
        self.formats = formats
        self.currentFormat = currentFormat
        self.streamParameters = streamParameters
        self.controls = controls
        self.inputs = inputs
        self.sysfs = sysfs
        self.siblings = siblings
        self.modules = modules
        self.openers = openers
        self.integrity = integrity
        self.notes = notes
    }

    enum CodingKeys: String, CodingKey {
        case schema, node, source, querycap, formats, controls, inputs, sysfs, siblings, modules, openers, integrity, notes
        case collectedAt = "collected_at"
        case currentFormat = "current_format"
        case streamParameters = "stream_parameters"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        node = try c.decodeIfPresent(String.self, forKey: .node) ?? ""
        source = try c.decodeIfPresent(String.self, forKey: .source)
        collectedAt = try c.decodeIfPresent(String.self, forKey: .collectedAt)
        querycap = try c.decode(QueryCapability.self, forKey: .querycap)
        formats = try c.decodeIfPresent([FormatDescription].self, forKey: .formats)
        currentFormat = try c.decodeIfPresent(FrameFormat.self, forKey: .currentFormat)
        streamParameters = try c.decodeIfPresent(StreamParameters.self, forKey: .streamParameters)
        controls = try c.decodeIfPresent([ControlDescription].self, forKey: .controls)
        inputs = try c.decodeIfPresent([InputDescription].self, forKey: .inputs)
        sysfs = try c.decodeIfPresent(SysfsPlacement.self, forKey: .sysfs)
        siblings = try c.decodeIfPresent([SiblingNode].self, forKey: .siblings)
        modules = try c.decodeIfPresent([KernelModule].self, forKey: .modules)
        openers = try c.decodeIfPresent([DeviceHolder].self, forKey: .openers)
        integrity = try c.decodeIfPresent(AgentIntegrity.self, forKey: .integrity)
        notes = try c.decodeIfPresent([String].self, forKey: .notes) ?? []
    }
}

/// Where the node hangs in sysfs: the part of the path an attacker cannot
/// rename from a module parameter.
public struct SysfsPlacement: Hashable, Sendable, Codable {
    public enum Bus: String, Hashable, Sendable, Codable {
        case usb, pci, platform
        /// No parent device: /sys/devices/virtual/video4linux (v4l2loopback).
        case virtual
        case other
    }

    /// The sysfs `name` attribute, e.g. "vivid-000-vid-cap".
    public var name: String?
    /// The node's resolved path under /sys/devices.
    public var devicePath: String?
    public var bus: Bus?
    /// The driver bound to the parent device (e.g. "uvcvideo", "vivid").
    public var driver: String?
    public var usb: USBDescriptor?

    public init(name: String? = nil, devicePath: String? = nil, bus: Bus? = nil, driver: String? = nil, usb: USBDescriptor? = nil) {
        self.name = name
        self.devicePath = devicePath
        self.bus = bus
        self.driver = driver
        self.usb = usb
    }

    enum CodingKeys: String, CodingKey {
        case name, bus, driver, usb
        case devicePath = "device_path"
    }
}

/// USB descriptor attributes of the device a USB camera node hangs off.
public struct USBDescriptor: Hashable, Sendable, Codable {
    /// `idVendor`, four lowercase hex digits.
    public var vendorID: String?
    public var productID: String?
    public var manufacturer: String?
    public var product: String?
    public var serial: String?
    public var bcdDevice: String?
    /// Mbit/s as sysfs reports it, e.g. "480".
    public var speed: String?
    /// `bInterfaceClass` of the video interface, "0e" for USB Video Class.
    public var interfaceClass: String?

    public init(vendorID: String? = nil, productID: String? = nil, manufacturer: String? = nil, product: String? = nil, serial: String? = nil, bcdDevice: String? = nil, speed: String? = nil, interfaceClass: String? = nil) {
        self.vendorID = vendorID
        self.productID = productID
        self.manufacturer = manufacturer
        self.product = product
        self.serial = serial
        self.bcdDevice = bcdDevice
        self.speed = speed
        self.interfaceClass = interfaceClass
    }

    enum CodingKeys: String, CodingKey {
        case manufacturer, product, serial, speed
        case vendorID = "vendor_id"
        case productID = "product_id"
        case bcdDevice = "bcd_device"
        case interfaceClass = "interface_class"
    }
}

/// Another node of the same device.
public struct SiblingNode: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable { case video, metadata, media, other }

    public var node: String
    public var kind: Kind
    /// sysfs `name` (video4linux) or media model.
    public var name: String?

    public init(node: String, kind: Kind, name: String? = nil) {
        self.node = node
        self.kind = kind
        self.name = name
    }
}

/// A loaded kernel module, from /proc/modules.
public struct KernelModule: Hashable, Sendable, Codable {
    public enum Mark: String, Hashable, Sendable, Codable {
        /// Software cameras that any process can feed: v4l2loopback, akvcam.
        case virtualCamera = "virtual_camera"
        /// The kernel's own test drivers: vivid, vimc, vim2m, vicodec, visl.
        case testDriver = "test_driver"
    }

    public var name: String
    public var marked: Mark?
    /// Taint letters from /proc/modules, e.g. "OE" for an out-of-tree,
    /// unsigned module.
    public var taint: String?

    public init(name: String, marked: Mark? = nil, taint: String? = nil) {
        self.name = name
        self.marked = marked
        self.taint = taint
    }

    /// The marking for a module name. These are the modules that create
    /// camera nodes with no sensor behind them; the names are the kernel's
    /// and the projects' own (module names cannot be set by a user).
    public static func mark(for name: String) -> Mark? {
        switch name {
        case "v4l2loopback", "akvcam": return .virtualCamera
        case "vivid", "vimc", "vim2m", "vicodec", "visl": return .testDriver
        default: return nil
        }
    }
}

/// What could interpose between the agent and the kernel.
public struct AgentIntegrity: Hashable, Sendable, Codable {
    /// The agent's own `LD_PRELOAD`, nil when unset.
    public var ldPreload: String?
    /// Libraries listed in /etc/ld.so.preload (loaded into every process).
    public var ldSoPreload: [String]
    /// libv4l2 plugins present; libv4l2 loads them into the agent for every
    /// device it manages, and a plugin can rewrite any ioctl or frame.
    public var libv4lPlugins: [String]

    public init(ldPreload: String?, ldSoPreload: [String], libv4lPlugins: [String]) {
        self.ldPreload = ldPreload
        self.ldSoPreload = ldSoPreload
        self.libv4lPlugins = libv4lPlugins
    }

    enum CodingKeys: String, CodingKey {
        case ldPreload = "ld_preload"
        case ldSoPreload = "ld_so_preload"
        case libv4lPlugins = "libv4l_plugins"
    }
}

/// `struct v4l2_capability` from `VIDIOC_QUERYCAP`.
public struct QueryCapability: Hashable, Sendable, Codable {
    public var driver: String
    public var card: String
    public var busInfo: String
    public var version: UInt32
    public var capabilities: Capabilities
    public var deviceCaps: Capabilities

    public init(driver: String, card: String, busInfo: String, version: UInt32, capabilities: Capabilities, deviceCaps: Capabilities) {
        self.driver = driver
        self.card = card
        self.busInfo = busInfo
        self.version = version
        self.capabilities = capabilities
        self.deviceCaps = deviceCaps
    }

    /// The capabilities of this node: `device_caps` when the driver fills it
    /// (`V4L2_CAP_DEVICE_CAPS`), otherwise the whole device's.
    public var nodeCapabilities: Capabilities {
        capabilities.contains(.deviceCaps) ? deviceCaps : capabilities
    }

    /// True for a node that single-planar video capture commands can use.
    public var canCaptureVideo: Bool {
        nodeCapabilities.contains(.videoCapture) && nodeCapabilities.contains(.streaming)
    }

    public var isMetadataNode: Bool { nodeCapabilities.contains(.metaCapture) && !nodeCapabilities.contains(.videoCapture) }

    /// `KERNEL_VERSION` unpacked, e.g. "6.1.192".
    public var versionString: String { "\(version >> 16).\((version >> 8) & 0xff).\(version & 0xff)" }

    enum CodingKeys: String, CodingKey {
        case driver, card, version, capabilities
        case busInfo = "bus_info"
        case versionString = "version_string"
        case capabilityNames = "capability_names"
        case deviceCaps = "device_caps"
        case deviceCapNames = "device_cap_names"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        driver = try c.decode(String.self, forKey: .driver)
        card = try c.decode(String.self, forKey: .card)
        busInfo = try c.decode(String.self, forKey: .busInfo)
        version = try c.decodeIfPresent(UInt32.self, forKey: .version) ?? 0
        capabilities = try c.decode(Capabilities.self, forKey: .capabilities)
        deviceCaps = try c.decodeIfPresent(Capabilities.self, forKey: .deviceCaps) ?? capabilities.subtracting(.deviceCaps)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(driver, forKey: .driver)
        try c.encode(card, forKey: .card)
        try c.encode(busInfo, forKey: .busInfo)
        try c.encode(version, forKey: .version)
        try c.encode(versionString, forKey: .versionString)
        try c.encode(capabilities, forKey: .capabilities)
        try c.encode(capabilities.names, forKey: .capabilityNames)
        try c.encode(deviceCaps, forKey: .deviceCaps)
        try c.encode(deviceCaps.names, forKey: .deviceCapNames)
    }
}

/// One entry of `VIDIOC_ENUM_FMT`, with its sizes and intervals.
public struct FormatDescription: Hashable, Sendable, Codable {
    public var index: UInt32
    public var pixelFormat: PixelFormat
    public var description: String
    public var flags: FormatFlags
    public var sizes: [FrameSizeDescription]

    public init(index: UInt32, pixelFormat: PixelFormat, description: String, flags: FormatFlags, sizes: [FrameSizeDescription]) {
        self.index = index
        self.pixelFormat = pixelFormat
        self.description = description
        self.flags = flags
        self.sizes = sizes
    }

    public var isEmulated: Bool { flags.contains(.emulated) }
    public var isCompressed: Bool { flags.contains(.compressed) }

    enum CodingKeys: String, CodingKey {
        case index, description, flags, emulated, compressed, sizes
        case pixelFormat = "fourcc"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        index = try c.decodeIfPresent(UInt32.self, forKey: .index) ?? 0
        pixelFormat = try c.decode(PixelFormat.self, forKey: .pixelFormat)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        // Fingerprints rebuilt from dumps may give only the two booleans.
        if let raw = try c.decodeIfPresent(FormatFlags.self, forKey: .flags) {
            flags = raw
        } else {
            var derived = FormatFlags()
            if try c.decodeIfPresent(Bool.self, forKey: .emulated) == true { derived.insert(.emulated) }
            if try c.decodeIfPresent(Bool.self, forKey: .compressed) == true { derived.insert(.compressed) }
            flags = derived
        }
        sizes = try c.decodeIfPresent([FrameSizeDescription].self, forKey: .sizes) ?? []
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(pixelFormat, forKey: .pixelFormat)
        try c.encode(description, forKey: .description)
        try c.encode(flags, forKey: .flags)
        try c.encode(isEmulated, forKey: .emulated)
        try c.encode(isCompressed, forKey: .compressed)
        try c.encode(sizes, forKey: .sizes)
    }
}

/// One result of `VIDIOC_ENUM_FRAMESIZES`. A discrete size has a width and
/// height; a stepwise or continuous range has its bounds instead.
public struct FrameSizeDescription: Hashable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable { case discrete, stepwise, continuous }

    public var kind: Kind
    public var width: Int
    public var height: Int
    /// For stepwise and continuous ranges: maximum size and steps.
    public var maxWidth: Int?
    public var maxHeight: Int?
    public var stepWidth: Int?
    public var stepHeight: Int?
    /// Discrete frame intervals (seconds per frame) for this size.
    public var intervals: [Fraction]
    /// For a stepwise or continuous interval range: [min, max, step].
    public var intervalRange: [Fraction]?

    public init(kind: Kind, width: Int, height: Int, maxWidth: Int? = nil, maxHeight: Int? = nil, stepWidth: Int? = nil, stepHeight: Int? = nil, intervals: [Fraction], intervalRange: [Fraction]? = nil) {
        self.kind = kind
        self.width = width
        self.height = height
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.stepWidth = stepWidth
        self.stepHeight = stepHeight
        self.intervals = intervals
        self.intervalRange = intervalRange
    }

    enum CodingKeys: String, CodingKey {
        case kind, width, height, intervals
        case maxWidth = "max_width"
        case maxHeight = "max_height"
        case stepWidth = "step_width"
        case stepHeight = "step_height"
        case intervalRange = "interval_range"
    }
}

/// `struct v4l2_captureparm` from `VIDIOC_G_PARM`.
public struct StreamParameters: Hashable, Sendable, Codable {
    /// `V4L2_CAP_TIMEPERFRAME` is set: the frame interval can be chosen.
    public var supportsFrameInterval: Bool
    public var timePerFrame: Fraction
    public var readBuffers: UInt32

    public init(supportsFrameInterval: Bool, timePerFrame: Fraction, readBuffers: UInt32) {
        self.supportsFrameInterval = supportsFrameInterval
        self.timePerFrame = timePerFrame
        self.readBuffers = readBuffers
    }

    enum CodingKeys: String, CodingKey {
        case supportsFrameInterval = "supports_frame_interval"
        case timePerFrame = "time_per_frame"
        case readBuffers = "read_buffers"
    }
}

/// One control from `VIDIOC_QUERY_EXT_CTRL` enumeration.
public struct ControlDescription: Hashable, Sendable, Codable {
    public var id: UInt32
    public var name: String
    /// `enum v4l2_ctrl_type`.
    public var type: UInt32
    public var minimum: Int64
    public var maximum: Int64
    public var step: UInt64
    public var defaultValue: Int64
    public var flags: UInt32
    public var elementSize: UInt32
    public var elements: UInt32

    public init(id: UInt32, name: String, type: UInt32, minimum: Int64, maximum: Int64, step: UInt64, defaultValue: Int64, flags: UInt32, elementSize: UInt32, elements: UInt32) {
        self.id = id
        self.name = name
        self.type = type
        self.minimum = minimum
        self.maximum = maximum
        self.step = step
        self.defaultValue = defaultValue
        self.flags = flags
        self.elementSize = elementSize
        self.elements = elements
    }

    /// The kernel's name for `type`, e.g. `integer`, `menu`, `ctrl_class`.
    public var typeName: String {
        switch type {
        case 1: return "integer"
        case 2: return "boolean"
        case 3: return "menu"
        case 4: return "button"
        case 5: return "integer64"
        case 6: return "ctrl_class"
        case 7: return "string"
        case 8: return "bitmask"
        case 9: return "integer_menu"
        case 0x0100: return "u8"
        case 0x0101: return "u16"
        case 0x0102: return "u32"
        default: return "compound_0x" + String(type, radix: 16)
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, name, type, minimum, maximum, step, flags, elements
        case typeName = "type_name"
        case defaultValue = "default"
        case elementSize = "element_size"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(UInt32.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        type = try c.decode(UInt32.self, forKey: .type)
        minimum = try c.decode(Int64.self, forKey: .minimum)
        maximum = try c.decode(Int64.self, forKey: .maximum)
        step = try c.decode(UInt64.self, forKey: .step)
        defaultValue = try c.decode(Int64.self, forKey: .defaultValue)
        flags = try c.decodeIfPresent(UInt32.self, forKey: .flags) ?? 0
        elementSize = try c.decodeIfPresent(UInt32.self, forKey: .elementSize) ?? 0
        elements = try c.decodeIfPresent(UInt32.self, forKey: .elements) ?? 1
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(type, forKey: .type)
        try c.encode(typeName, forKey: .typeName)
        try c.encode(minimum, forKey: .minimum)
        try c.encode(maximum, forKey: .maximum)
        try c.encode(step, forKey: .step)
        try c.encode(defaultValue, forKey: .defaultValue)
        try c.encode(flags, forKey: .flags)
        try c.encode(elementSize, forKey: .elementSize)
        try c.encode(elements, forKey: .elements)
    }
}

/// One input from `VIDIOC_ENUMINPUT`.
public struct InputDescription: Hashable, Sendable, Codable {
    public var index: UInt32
    public var name: String
    /// 1 tuner, 2 camera, 3 touch.
    public var type: UInt32
    public var status: UInt32
    public var capabilities: UInt32

    public init(index: UInt32, name: String, type: UInt32, status: UInt32, capabilities: UInt32) {
        self.index = index
        self.name = name
        self.type = type
        self.status = status
        self.capabilities = capabilities
    }

    enum CodingKeys: String, CodingKey { case index, name, type, status, capabilities }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        index = try c.decodeIfPresent(UInt32.self, forKey: .index) ?? 0
        name = try c.decode(String.self, forKey: .name)
        type = try c.decodeIfPresent(UInt32.self, forKey: .type) ?? 2
        status = try c.decodeIfPresent(UInt32.self, forKey: .status) ?? 0
        capabilities = try c.decodeIfPresent(UInt32.self, forKey: .capabilities) ?? 0
    }
}

/// Another process that has a device node open. A second process holding
/// a capture node for writing is the classic injection (v4l2loopback fed by
/// ffmpeg or OBS).
public struct DeviceHolder: Hashable, Sendable, Codable {
    public enum Mode: String, Sendable, Codable {
        case read = "r"
        case write = "w"
        case readWrite = "rw"
    }

    public var pid: Int32
    /// `/proc/PID/comm`, e.g. `ffmpeg`.
    public var command: String
    public var mode: Mode
    /// The descriptor number inside that process.
    public var fd: Int32

    public init(pid: Int32, command: String, mode: Mode, fd: Int32) {
        self.pid = pid
        self.command = command
        self.mode = mode
        self.fd = fd
    }

    enum CodingKeys: String, CodingKey {
        case pid, mode, fd
        case command = "comm"
    }
}
