/// Everything the capture engine read about a V4L2 node, as plain values.
///
/// `inspect` prints it and every capture file embeds it, so a recording keeps
/// the device it came from. Keys are snake_case and documented in the README.
public struct DeviceSnapshot: Hashable, Sendable, Codable {
    public static let schemaName = "captureguard.device/1"

    public var schema: String = DeviceSnapshot.schemaName
    public var node: String
    public var querycap: QueryCapability
    public var formats: [FormatDescription]
    public var currentFormat: FrameFormat?
    public var streamParameters: StreamParameters?
    public var controls: [ControlDescription]
    public var inputs: [InputDescription]
    /// Other processes that had the node open when the snapshot was taken,
    /// as far as /proc shows them to this user.
    public var openers: [DeviceHolder]
    /// Ioctls that failed while reading the device, e.g. `VIDIOC_G_FMT: EINVAL`.
    /// An output-only loopback node has no capture format; that is a fact
    /// about the device, not an error of the snapshot.
    public var notes: [String]

    public init(node: String, querycap: QueryCapability, formats: [FormatDescription], currentFormat: FrameFormat?, streamParameters: StreamParameters?, controls: [ControlDescription], inputs: [InputDescription], openers: [DeviceHolder], notes: [String]) {
        self.node = node
        self.querycap = querycap
        self.formats = formats
        self.currentFormat = currentFormat
        self.streamParameters = streamParameters
        self.controls = controls
        self.inputs = inputs
        self.openers = openers
        self.notes = notes
    }

    enum CodingKeys: String, CodingKey {
        case schema, node, querycap, formats, controls, inputs, openers, notes
        case currentFormat = "current_format"
        case streamParameters = "stream_parameters"
    }

    /// Keys added after the first captures were recorded (`openers`) are
    /// optional on read, so older capture files stay readable.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        node = try c.decode(String.self, forKey: .node)
        querycap = try c.decode(QueryCapability.self, forKey: .querycap)
        formats = try c.decode([FormatDescription].self, forKey: .formats)
        currentFormat = try c.decodeIfPresent(FrameFormat.self, forKey: .currentFormat)
        streamParameters = try c.decodeIfPresent(StreamParameters.self, forKey: .streamParameters)
        controls = try c.decode([ControlDescription].self, forKey: .controls)
        inputs = try c.decode([InputDescription].self, forKey: .inputs)
        openers = try c.decodeIfPresent([DeviceHolder].self, forKey: .openers) ?? []
        notes = try c.decodeIfPresent([String].self, forKey: .notes) ?? []
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
        version = try c.decode(UInt32.self, forKey: .version)
        capabilities = try c.decode(Capabilities.self, forKey: .capabilities)
        deviceCaps = try c.decode(Capabilities.self, forKey: .deviceCaps)
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
        index = try c.decode(UInt32.self, forKey: .index)
        pixelFormat = try c.decode(PixelFormat.self, forKey: .pixelFormat)
        description = try c.decode(String.self, forKey: .description)
        flags = try c.decode(FormatFlags.self, forKey: .flags)
        sizes = try c.decode([FrameSizeDescription].self, forKey: .sizes)
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
        flags = try c.decode(UInt32.self, forKey: .flags)
        elementSize = try c.decode(UInt32.self, forKey: .elementSize)
        elements = try c.decode(UInt32.self, forKey: .elements)
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
