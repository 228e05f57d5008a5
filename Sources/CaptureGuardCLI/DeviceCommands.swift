import CaptureEngine
import CaptureFile
import CaptureModel

enum DeviceCommands {
    static let devices = Command(
        name: "devices",
        summary: "list /dev/video* nodes: driver, card, bus, whether each can capture",
        help: """
        Usage: captureguard devices [--json]

        Lists every /dev/video* node, one line each: path, driver, card, bus_info,
        and its role (capture, metadata of another node, output, or an error).
        Metadata nodes (e.g. uvcvideo's second node) are tied to their video node.

        Options:
          --json    print a JSON array (fields in the README, "devices --json")
          --help    show this help

        """,
        run: { (arguments, console) throws(CommandFailure) in
            let parsed = try ParsedArguments(arguments, valued: [], switches: ["json"])
            guard parsed.positionals.isEmpty else { throw CommandFailure(.usage, "devices takes no arguments") }
            let listings = DeviceDiscovery.list()
            if parsed.has("json") {
                console.out(try CommandLineTool.json(listings))
                return .success
            }
            if listings.isEmpty {
                console.out("no /dev/video* nodes")
                return .success
            }
            for listing in listings {
                if let error = listing.error {
                    console.out("\(listing.path)\terror: \(error)")
                    continue
                }
                let role: String
                if listing.canCapture {
                    role = listing.metadataNodes.isEmpty ? "capture" : "capture (metadata: \(listing.metadataNodes.joined(separator: ",")))"
                } else if listing.isMetadata {
                    role = "metadata" + (listing.metadataFor.map { " for \($0)" } ?? "")
                } else {
                    role = "no-capture (" + (listing.deviceCaps?.names.joined(separator: ",") ?? "") + ")"
                }
                console.out("\(listing.path)\t\(listing.driver ?? "?")\t\(listing.card ?? "?")\t\(listing.busInfo ?? "?")\t\(role)")
            }
            return .success
        })

    static let inspect = Command(
        name: "inspect",
        summary: "print a device's capture-path fingerprint (or a capture file's header) as JSON",
        help: """
        Usage: captureguard inspect DEVICE|CAPTURE [--json]

        For a V4L2 node (any node, including output-only and metadata nodes), the
        captureguard.fingerprint/1 document: QUERYCAP, formats with sizes and
        intervals (emulated/compressed flags), the current format and stream
        parameters, every control from VIDIOC_QUERY_EXT_CTRL, inputs, the sysfs
        placement (bus, bound driver, USB descriptor), sibling nodes, loaded
        kernel modules, other processes holding the node, and the agent's
        integrity (LD_PRELOAD, libv4l plugins). The node is opened without
        libv4l, so no emulated formats appear. For a capture file: its header (source,
        format, interval, timing, and the device fingerprint taken when recording).

        Output is always JSON; --json is accepted for symmetry.

        Options:
          --json    JSON output (the default)
          --help    show this help

        """,
        run: { (arguments, console) throws(CommandFailure) in
            let parsed = try ParsedArguments(arguments, valued: [], switches: ["json"])
            let path = try parsed.single("DEVICE or CAPTURE")
            if FileCommands.isRegularFile(path) {
                let reader: CaptureFileReader
                do { reader = try CaptureFileReader(path: path) } catch { throw CommandFailure(error) }
                console.out(try CommandLineTool.json(reader.info))
                return .success
            }
            let device: VideoDevice
            do { device = try VideoDevice(inspecting: path) } catch { throw CommandFailure(error) }
            console.out(try CommandLineTool.json(CommandLineTool.fingerprint(of: device)))
            return .success
        })
}
