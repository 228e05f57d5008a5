// faces-bench: times CascadeDetector on one PGM frame, for Tools/bench/faces.py,
// which runs OpenCV's detectMultiScale on the same frame in the same run.
// Prints one JSON line: {"median_ms": F, "faces": [[x, y, w, h], ...]}.
// With a Y4M sequence and --track, times a FaceSession (a full scan every
// 10th frame, tracking between) over every frame instead, and prints
// {"mean_ms": F, "frames": N, "frames_with_face": N}.
import CaptureFile
import FaceAnalysis
import FrameForensics
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("faces-bench: \(message)\n".utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var options: [String: String] = [:]
var positionals: [String] = []
while let argument = arguments.first {
    arguments.removeFirst()
    if argument == "--track" {
        options["track"] = ""
    } else if argument.hasPrefix("--") {
        guard let value = arguments.first else { fail("\(argument) needs a value") }
        arguments.removeFirst()
        options[String(argument.dropFirst(2))] = value
    } else {
        positionals.append(argument)
    }
}
guard positionals.count == 1, let cascadePath = options["cascade"] else {
    fail("usage: faces-bench FRAME.pgm --cascade XML [--scale-factor F] [--min-neighbors N] [--min-size N] [--repeat N]\n" +
         "       faces-bench SEQUENCE.y4m --cascade XML --track")
}
guard let xml = FileManager.default.contents(atPath: cascadePath) else { fail("cannot read \(cascadePath)") }
let cascade: Cascade
do { cascade = try Cascade(xml: [UInt8](xml)) } catch { fail(error.message) }

func milliseconds(_ body: () -> Void) -> Double {
    var start = timespec(), end = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    body()
    clock_gettime(CLOCK_MONOTONIC, &end)
    return Double(end.tv_sec - start.tv_sec) * 1e3 + Double(end.tv_nsec - start.tv_nsec) / 1e6
}

if options["track"] != nil {
    var planes: [LumaPlane] = []
    do {
        let reader = try Y4MReader(path: positionals[0])
        while let frame = try reader.nextFrame() {
            guard let plane = LumaPlane(frame: frame) else { fail("frame \(planes.count) has no luma plane") }
            planes.append(plane)
        }
    } catch {
        fail("\(error)")
    }
    guard !planes.isEmpty else { fail("no frames") }
    var session = FaceSession(detector: CascadeDetector(cascade: cascade), sampleStride: 1, fullScanEvery: 10)
    var withFace = 0
    let total = milliseconds {
        for (index, plane) in planes.enumerated() where session.add(frameIndex: index, luma: plane)?.observation.faces.isEmpty == false {
            withFace += 1
        }
    }
    print(String(format: "{\"mean_ms\": %.3f, \"frames\": %d, \"frames_with_face\": %d}", total / Double(planes.count), planes.count, withFace))
    exit(0)
}

let image: PNMImage
do { image = try PNMImage(path: positionals[0]) } catch { fail("\(error)") }
guard image.channels == 1, let plane = LumaPlane(width: image.width, height: image.height, pixels: image.samples) else { fail("need a gray PGM") }
let parameters = DetectionParameters(
    scaleFactor: Double(options["scale-factor"] ?? "1.1") ?? 1.1,
    minNeighbors: Int(options["min-neighbors"] ?? "3") ?? 3,
    minSize: Int(options["min-size"] ?? "0") ?? 0)
let repeats = max(1, Int(options["repeat"] ?? "15") ?? 15)
let detector = CascadeDetector(cascade: cascade)

var faces = detector.detect(in: plane, parameters: parameters)  // warm-up
var times: [Double] = []
for _ in 0..<repeats {
    times.append(milliseconds { faces = detector.detect(in: plane, parameters: parameters) })
}
times.sort()
let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
let boxes = faces.map { "[\($0.x),\($0.y),\($0.width),\($0.height)]" }.joined(separator: ",")
print(String(format: "{\"median_ms\": %.3f, \"faces\": [%@]}", median, boxes))
