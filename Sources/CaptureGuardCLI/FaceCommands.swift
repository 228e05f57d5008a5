import CaptureEngine
import CaptureFile
import CaptureModel
import FaceAnalysis
import FrameForensics
import Foundation

/// `detect-faces`: the cascade face detector on a still image, a Y4M
/// stream or a capture file, with OpenCV's parameters and results.
enum FaceCommands {
    /// Debian's opencv-data puts OpenCV's cascades here.
    static let defaultCascade = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"

    static let detectFaces = Command(
        name: "detect-faces",
        summary: "find faces with an OpenCV Haar or LBP cascade (image, Y4M or capture)",
        help: """
        Usage: captureguard detect-faces IMAGE|CAPTURE [--cascade XML] [--scale-factor F]
                                         [--min-neighbors N] [--min-size N] [--max-size N] [--json]

        Runs an OpenCV cascade classifier (Haar or LBP, the XML files of
        Debian's opencv-data or of opencv_traincascade) over every position and
        scale of the image and groups the hits into faces, as OpenCV's
        CascadeClassifier.detectMultiScale does; the boxes match OpenCV's on
        the same gray image within a few pixels. Reads binary PGM (P5), PPM
        (P6; converted to gray with OpenCV's weights), Y4M (luma) and capture
        files (every frame's luma); any image becomes one of them with
        `ffmpeg -i photo.jpg photo.pgm`. Prints one line per face: x, y, width
        and height in pixels, and the face's quality signals (sharpness, mean
        luma, lighting uniformity, size; the JSON has all of them, as in the
        README). Finding no face is a result, not an error.

        Options:
          --cascade XML       cascade file (default \(defaultCascade),
                              or $CAPTUREGUARD_CASCADE when set)
          --scale-factor F    pyramid step, 1.01 to 4 (default 1.1)
          --min-neighbors N   raw hits a face needs beyond the first (default 3; 0
                              returns every raw hit)
          --min-size N        smallest face side in pixels (default: the cascade window)
          --max-size N        largest face side in pixels (default: the image)
          --json              print the captureguard.faces/1 document
          --help              show this help

        """,
        run: runDetectFaces)

    struct FacesDocument: Encodable {
        struct CascadeInfo: Encodable {
            var path: String
            var kind: Cascade.Kind
            var window: Size
            var stages: Int
        }
        struct Size: Encodable {
            var width: Int
            var height: Int
        }
        struct Parameters: Encodable {
            var scaleFactor: Double
            var minNeighbors: Int
            var minSize: Int
            var maxSize: Int?

            enum CodingKeys: String, CodingKey {
                case scaleFactor = "scale_factor", minNeighbors = "min_neighbors", minSize = "min_size", maxSize = "max_size"
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(scaleFactor, forKey: .scaleFactor)
                try container.encode(minNeighbors, forKey: .minNeighbors)
                try container.encode(minSize, forKey: .minSize)
                try container.encode(maxSize, forKey: .maxSize)
            }
        }
        struct Face: Encodable {
            var x: Int
            var y: Int
            var width: Int
            var height: Int
            var quality: FaceQuality?
        }
        struct FrameFaces: Encodable {
            var index: Int
            var width: Int
            var height: Int
            var faces: [Face]
        }
        var schema = "captureguard.faces/1"
        var input: String
        var cascade: CascadeInfo
        var parameters: Parameters
        var frames: [FrameFaces]
        /// Capture frames whose luma could not be read (undecodable MJPEG).
        var undecodableFrames: Int

        enum CodingKeys: String, CodingKey {
            case schema, input, cascade, parameters, frames, undecodableFrames = "undecodable_frames"
        }
    }

    static func runDetectFaces(_ arguments: [String], _ console: Console) throws(CommandFailure) -> ExitCode {
        let parsed = try ParsedArguments(arguments, valued: ["cascade", "scale-factor", "min-neighbors", "min-size", "max-size"], switches: ["json"])
        let inputPath = try parsed.single("IMAGE or CAPTURE")
        var parameters = DetectionParameters()
        if let text = parsed.value("scale-factor") {
            // Below 1.01 the pyramid has hundreds of levels for no gain.
            guard let value = Double(text), value >= 1.01, value <= 4 else {
                throw CommandFailure(.usage, "--scale-factor must be a number from 1.01 to 4, got '\(text)'")
            }
            parameters.scaleFactor = value
        }
        if let text = parsed.value("min-neighbors") {
            guard let value = Int(text), (0...1000).contains(value) else {
                throw CommandFailure(.usage, "--min-neighbors must be an integer from 0 to 1000, got '\(text)'")
            }
            parameters.minNeighbors = value
        }
        if let text = parsed.value("min-size") {
            guard let value = Int(text), (0...PNMImage.maximumSide).contains(value) else {
                throw CommandFailure(.usage, "--min-size must be an integer from 0 to \(PNMImage.maximumSide), got '\(text)'")
            }
            parameters.minSize = value
        }
        parameters.maxSize = try parsed.positiveInteger("max-size", atMost: PNMImage.maximumSide)
        let cascadePath = parsed.value("cascade") ?? ProcessInfo.processInfo.environment["CAPTUREGUARD_CASCADE"] ?? defaultCascade
        let cascade = try loadCascade(cascadePath)
        let detector = CascadeDetector(cascade: cascade)

        var frames: [FacesDocument.FrameFaces] = []
        let outcome = try forEachLumaPlane(inputPath, console: console) { index, plane in
            let faces = detector.detect(in: plane, parameters: parameters).map { box in
                FacesDocument.Face(x: box.x, y: box.y, width: box.width, height: box.height, quality: FaceQuality.measure(plane, face: box))
            }
            frames.append(FacesDocument.FrameFaces(index: index, width: plane.width, height: plane.height, faces: faces))
        }
        let document = FacesDocument(
            input: inputPath,
            cascade: .init(path: cascadePath, kind: cascade.kind, window: .init(width: cascade.windowWidth, height: cascade.windowHeight), stages: cascade.stageCount),
            parameters: .init(scaleFactor: parameters.scaleFactor, minNeighbors: parameters.minNeighbors, minSize: parameters.minSize, maxSize: parameters.maxSize),
            frames: frames, undecodableFrames: outcome.undecodable)
        if parsed.has("json") {
            console.out(try CommandLineTool.json(document))
        } else {
            let still = frames.count == 1 && outcome.isStill
            for frame in frames {
                let prefix = still ? "" : "frame \(frame.index): "
                if frame.faces.isEmpty {
                    if still { console.out("no face found") }
                    continue
                }
                for face in frame.faces {
                    let quality = face.quality.map {
                        String(format: "  sharpness %.0f, luma %.0f, lighting %.2f, size %.2f", $0.sharpness, $0.meanLuma, $0.lightingUniformity, $0.size)
                    } ?? ""
                    console.out("\(prefix)face x=\(face.x) y=\(face.y) width=\(face.width) height=\(face.height)\(quality)")
                }
            }
            if !still {
                let withFace = frames.filter { !$0.faces.isEmpty }.count
                console.out("\(withFace) of \(frames.count) frames have a face" +
                            (outcome.undecodable > 0 ? "; \(outcome.undecodable) frames could not be decoded" : ""))
            }
        }
        return outcome.exitCode
    }

    static func loadCascade(_ path: String) throws(CommandFailure) -> Cascade {
        let data = try PathCommands.readFile(path)
        do {
            return try Cascade(xml: [UInt8](data))
        } catch {
            throw CommandFailure(.invalidInput, "\(path): not a usable cascade: \(error.message)")
        }
    }

    /// The detector a session uses: `--cascade` (an error if unusable), else
    /// $CAPTUREGUARD_CASCADE or the default path. When neither given path
    /// exists the session runs without face analysis, with a warning, and
    /// its token says quality was not assessed.
    static func sessionDetector(_ explicit: String?, console: Console) throws(CommandFailure) -> CascadeDetector? {
        if let explicit { return CascadeDetector(cascade: try loadCascade(explicit)) }
        let path = ProcessInfo.processInfo.environment["CAPTUREGUARD_CASCADE"] ?? defaultCascade
        guard FileManager.default.fileExists(atPath: path) else {
            console.warn("no face cascade at \(path) (install opencv-data or pass --cascade): face quality is not assessed")
            return nil
        }
        return CascadeDetector(cascade: try loadCascade(path))
    }

    struct ReadOutcome {
        var isStill: Bool
        var undecodable: Int
        var exitCode: ExitCode
    }

    /// Calls `body` with the luma plane of every frame of a still image
    /// (PGM, PPM), a Y4M stream or a capture file, one at a time.
    static func forEachLumaPlane(_ path: String, console: Console, _ body: (Int, LumaPlane) -> Void) throws(CommandFailure) -> ReadOutcome {
        let prefix: [UInt8]
        do {
            prefix = try FileSignature.prefix(of: path, count: 16)
        } catch {
            throw CommandFailure(error)
        }
        do {
            if PNMImage.isPNM(prefix[...]) {
                let image = try PNMImage(path: path)
                let plane = image.channels == 1
                    ? LumaPlane(width: image.width, height: image.height, pixels: image.samples)
                    : GrayConversion.plane(rgb: image.samples, width: image.width, height: image.height)
                guard let plane else { throw CommandFailure(.invalidInput, "\(path): unreadable image") }
                body(0, plane)
                return ReadOutcome(isStill: true, undecodable: 0, exitCode: .success)
            }
            if prefix.starts(with: Array("YUV4MPEG2 ".utf8)) {
                let reader = try Y4MReader(path: path)
                var index = 0
                while let frame = try reader.nextFrame() {
                    if let plane = LumaPlane(frame: frame) { body(index, plane) }
                    index += 1
                }
                if let warning = reader.truncationWarning { console.warn(warning) }
                guard index > 0 else { throw CommandFailure(.invalidInput, "\(path): Y4M file holds no whole frame") }
                return ReadOutcome(isStill: false, undecodable: 0, exitCode: .success)
            }
        } catch {
            // CaptureFileError gets its exit code; a CommandFailure passes through.
            throw CommandFailure(error)
        }
        let reader = try FileCommands.openCapture(path)
        let converter = try? FrameConverter()
        var undecodable = 0
        do {
            while let frame = try reader.nextRecordedFrame() {
                if let plane = ForensicsCommands.luma(of: frame, converter: converter) {
                    body(frame.metadata.index, plane)
                } else {
                    undecodable += 1
                }
            }
        } catch {
            throw CommandFailure(error)
        }
        return ReadOutcome(isStill: false, undecodable: undecodable, exitCode: FileCommands.finishReading(reader, console: console))
    }
}
