// convert-bench: decodes every frame of an MJPEG capture to YU12 with
// libv4lconvert (the path the converted device mode and export-y4m use),
// `--repeat` times, and prints frames per second. Driven by
// Tools/bench/mjpeg-convert.py, which times ffmpeg on the same frames.

import CaptureEngine
import CaptureFile
import CaptureModel
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("convert-bench: \(message)\n".utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var repeats = 1
if let index = arguments.firstIndex(of: "--repeat"), index + 1 < arguments.count, let value = Int(arguments[index + 1]), value > 0 {
    repeats = value
    arguments.removeSubrange(index...(index + 1))
}
guard arguments.count == 1 else { fail("usage: convert-bench CAPTURE [--repeat N]") }

let frames: [Frame]
do {
    frames = try CaptureFileReader(path: arguments[0]).readAll()
} catch {
    fail(error.message)
}
guard !frames.isEmpty else { fail("no frames") }

do {
    let converter = try FrameConverter()
    var checksum = 0
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<repeats {
        for frame in frames {
            let decoded = try converter.toYU12(frame)
            checksum &+= Int(decoded.payload[decoded.payload.count / 2])
        }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let decoded = frames.count * repeats
    print(String(format: "{\"frames\": %d, \"seconds\": %.4f, \"fps\": %.2f, \"checksum\": %d}", decoded, seconds, Double(decoded) / seconds, checksum))
} catch {
    fail(error.message)
}
