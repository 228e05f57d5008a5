import CaptureModel
import Glibc

/// One /dev/video* node as `captureguard devices` lists it.
public struct DeviceListing: Hashable, Sendable, Codable {
    public var path: String
    public var driver: String?
    public var card: String?
    public var busInfo: String?
    public var deviceCaps: Capabilities?
    public var canCapture: Bool
    public var isMetadata: Bool
    /// For a metadata node (e.g. the second uvcvideo node carrying
    /// V4L2_META_FMT_UVC): the video node of the same device.
    public var metadataFor: String?
    /// For a video node: its metadata nodes.
    public var metadataNodes: [String]
    /// The sysfs device this node hangs off, e.g. /sys/devices/platform/vivid.0;
    /// nil for virtual nodes such as v4l2loopback.
    public var sysfsDevice: String?
    /// Why the node could not be read, if it could not.
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case path, driver, card, error
        case busInfo = "bus_info"
        case deviceCaps = "device_caps"
        case canCapture = "can_capture"
        case isMetadata = "is_metadata"
        case metadataFor = "metadata_for"
        case metadataNodes = "metadata_nodes"
        case sysfsDevice = "sysfs_device"
    }
}

public enum DeviceDiscovery {
    /// The /dev/video* nodes in numeric order.
    public static func videoNodes(devRoot: String = "/dev") -> [String] {
        directoryEntries(devRoot)
            .filter { $0.hasPrefix("video") && Int($0.dropFirst(5)) != nil }
            .sorted { (Int($0.dropFirst(5)) ?? 0) < (Int($1.dropFirst(5)) ?? 0) }
            .map { "\(devRoot)/\($0)" }
    }

    /// Opens each node just long enough for QUERYCAP, then relates metadata
    /// nodes to the video node of the same device: same sysfs parent where
    /// sysfs shows one, otherwise same driver, card and bus_info.
    public static func list(devRoot: String = "/dev", sysfsRoot: String = "/sys/class/video4linux") -> [DeviceListing] {
        var listings: [DeviceListing] = videoNodes(devRoot: devRoot).map { path in
            let name = String(path.split(separator: "/").last ?? "")
            let sysfsDevice = resolvedPath("\(sysfsRoot)/\(name)/device")
            do throws(DeviceError) {
                let device = try VideoDevice(inspecting: path)
                let cap = device.capability
                return DeviceListing(
                    path: path, driver: cap.driver, card: cap.card, busInfo: cap.busInfo, deviceCaps: cap.nodeCapabilities,
                    canCapture: cap.canCaptureVideo, isMetadata: cap.isMetadataNode, metadataFor: nil, metadataNodes: [],
                    sysfsDevice: sysfsDevice, error: nil)
            } catch {
                return DeviceListing(
                    path: path, driver: nil, card: nil, busInfo: nil, deviceCaps: nil, canCapture: false, isMetadata: false,
                    metadataFor: nil, metadataNodes: [], sysfsDevice: sysfsDevice, error: error.message)
            }
        }
        for metaIndex in listings.indices where listings[metaIndex].isMetadata {
            let meta = listings[metaIndex]
            let partner = listings.firstIndex { candidate in
                guard candidate.canCapture, candidate.path != meta.path else { return false }
                if let a = candidate.sysfsDevice, let b = meta.sysfsDevice { return a == b }
                return candidate.driver == meta.driver && candidate.card == meta.card && candidate.busInfo == meta.busInfo
            }
            if let partner {
                listings[metaIndex].metadataFor = listings[partner].path
                listings[partner].metadataNodes.append(meta.path)
            }
        }
        return listings
    }
}

/// `realpath(3)`, or nil when the path does not resolve.
func resolvedPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}
