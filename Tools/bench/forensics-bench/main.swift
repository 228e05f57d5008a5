// forensics-bench: times CaptureGuard's frame forensics on a capture file,
// in-process and on the calling thread, and prints JSON:
//   per_frame_fps  the per-frame analysers together (luma extraction, the
//                  fused timing/repetition/noise/re-encoding measurements,
//                  the moiré crop) over every frame, then the session
//                  analysers; file reading is outside the timed region;
//   prnu_ms        the PRNU check of one session: residuals of the sampled
//                  frames plus PCE against an enrolled fingerprint;
//   peak_rss_kb    the process's peak resident set (VmHWM).
// Usage: forensics-bench CAPTURE [--prnu-frames N] [--repeat N]

import CaptureFile
import CaptureModel
import Foundation
import FrameForensics

func option(_ name: String, in arguments: inout [String]) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    defer { arguments.removeSubrange(index...(index + 1)) }
    return arguments[index + 1]
}

func peakResidentKilobytes() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }
    return nil
}

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

var arguments = Array(CommandLine.arguments.dropFirst())
let prnuFrames = option("--prnu-frames", in: &arguments).flatMap(Int.init) ?? 24
let repeats = max(1, option("--repeat", in: &arguments).flatMap(Int.init) ?? 3)
guard arguments.count == 1 else {
    FileHandle.standardError.write(Data("usage: forensics-bench CAPTURE [--prnu-frames N] [--repeat N]\n".utf8))
    exit(2)
}

do {
    let reader = try CaptureFileReader(path: arguments[0])
    var frames: [Frame] = []
    while let frame = try reader.nextRecordedFrame() { frames.append(frame) }
    guard let first = frames.first, LumaPlane(frame: first) != nil else {
        FileHandle.standardError.write(Data("forensics-bench: needs an uncompressed capture with frames\n".utf8))
        exit(1)
    }
    let info = reader.info

    // Per-frame analysers: best of `repeats` passes over all frames.
    var best = Double.infinity
    var report: ForensicsReport?
    for _ in 0..<repeats {
        let start = now()
        var session = ForensicsSession(info: info, prnuStride: 1, prnuFrames: 0)
        for frame in frames { session.add(frame, luma: LumaPlane(frame: frame)) }
        report = session.report(timing: info.timing, nominalInterval: info.frameInterval)
        best = min(best, Double(now() - start) / 1e9)
    }

    // Where the per-frame time goes: luma extraction, then the fused measurement.
    var lumaSeconds = Double.infinity
    var measureSeconds = Double.infinity
    let lumas = frames.compactMap { LumaPlane(frame: $0) }
    for _ in 0..<repeats {
        var start = now()
        for frame in frames { _ = LumaPlane(frame: frame) }
        lumaSeconds = min(lumaSeconds, Double(now() - start) / 1e9)
        start = now()
        for index in lumas.indices {
            _ = FrameMeasurer.measure(lumas[index], previous: index > 0 ? lumas[index - 1] : nil, beforePrevious: index > 1 ? lumas[index - 2] : nil)
        }
        measureSeconds = min(measureSeconds, Double(now() - start) / 1e9)
    }

    // PRNU: enroll from the same frames (untimed), then time a session's check.
    var enrollment = PRNUAccumulator(frameWidth: first.format.width, frameHeight: first.format.height)
    for frame in frames { if let plane = LumaPlane(frame: frame) { enrollment?.add(plane) } }
    guard let fingerprint = enrollment?.fingerprint(source: "bench", createdAt: "") else { exit(1) }
    let stride = max(1, frames.count / max(prnuFrames, 1))
    let planes = Swift.stride(from: 0, to: frames.count, by: stride).prefix(prnuFrames).compactMap { LumaPlane(frame: frames[$0]) }
    var prnuBest = Double.infinity
    var pce = 0.0
    for _ in 0..<repeats {
        let start = now()
        var check = PRNUAccumulator(frameWidth: first.format.width, frameHeight: first.format.height)
        for plane in planes { check?.add(plane) }
        let result = SensorIdentityAnalyser.analyse(check, enrolled: fingerprint)
        prnuBest = min(prnuBest, Double(now() - start) / 1e9)
        pce = result.metrics["pce"] ?? 0
    }
    let estimate = (enrollment?.estimate() ?? [])
    var pceSeconds = Double.infinity
    for _ in 0..<repeats {
        let start = now()
        _ = PCE.compute(estimate, fingerprint.values.map(Double.init), width: fingerprint.crop.width, height: fingerprint.crop.height)
        pceSeconds = min(pceSeconds, Double(now() - start) / 1e9)
    }
    let output: [String: Any] = [
        "prnu_pce_ms": pceSeconds * 1000,        "frames": frames.count, "width": first.format.width, "height": first.format.height, "format": first.format.pixelFormat.fourcc,
        "per_frame_fps": Double(frames.count) / best, "per_frame_ms": best * 1000 / Double(frames.count),
        "findings": report?.findings.map(\.code) ?? [],
        "luma_ms": lumaSeconds * 1000 / Double(frames.count), "measure_ms": measureSeconds * 1000 / Double(frames.count),
        "prnu_ms": prnuBest * 1000, "prnu_frames": planes.count, "prnu_crop": "\(fingerprint.crop.width)x\(fingerprint.crop.height)", "prnu_pce_self": pce,
        "peak_rss_kb": peakResidentKilobytes() ?? -1,
    ]
    let data = try JSONSerialization.data(withJSONObject: output, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} catch {
    FileHandle.standardError.write(Data("forensics-bench: \(error)\n".utf8))
    exit(1)
}
