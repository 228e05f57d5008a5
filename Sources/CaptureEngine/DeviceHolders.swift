import CaptureModel
import Glibc

/// Finds the processes that have a character device open, by walking
/// /proc/*/fd. Processes this user may not inspect are skipped silently:
/// the result is "who we can see", which the caller reports as such.
public enum DeviceHolders {
    public static func holders(of path: String, procRoot: String = "/proc") -> [DeviceHolder] {
        var target = stat()
        guard stat(path, &target) == 0, target.st_mode & S_IFMT == S_IFCHR else { return [] }
        let ownPid = getpid()
        var result: [DeviceHolder] = []
        for pidName in directoryEntries(procRoot) {
            guard let pid = Int32(pidName), pid != ownPid else { continue }
            let fdDirectory = "\(procRoot)/\(pid)/fd"
            for fdName in directoryEntries(fdDirectory) {
                guard let fd = Int32(fdName) else { continue }
                var opened = stat()
                guard stat("\(fdDirectory)/\(fdName)", &opened) == 0,
                      opened.st_mode & S_IFMT == S_IFCHR, opened.st_rdev == target.st_rdev
                else { continue }
                let command = readSmallFile("\(procRoot)/\(pid)/comm")?.trimmingTrailingNewline ?? "?"
                let mode = accessMode(fdinfo: readSmallFile("\(procRoot)/\(pid)/fdinfo/\(fdName)"))
                result.append(DeviceHolder(pid: pid, command: command, mode: mode, fd: fd))
            }
        }
        return result.sorted { ($0.pid, $0.fd) < ($1.pid, $1.fd) }
    }

    /// Parses the octal `flags:` line of /proc/PID/fdinfo/FD for O_ACCMODE.
    static func accessMode(fdinfo: String?) -> DeviceHolder.Mode {
        guard let fdinfo,
              let line = fdinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags:") }),
              let flags = Int(line.dropFirst("flags:".count).trimmingCharacters(in: " \t"), radix: 8)
        else { return .readWrite }
        switch flags & 3 {
        case 0: return .read
        case 1: return .write
        default: return .readWrite
        }
    }
}

func directoryEntries(_ path: String) -> [String] {
    guard let directory = opendir(path) else { return [] }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// Reads a small text file such as a /proc or /sys attribute; nil if unreadable.
func readSmallFile(_ path: String, limit: Int = 64 * 1024) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while bytes.count < limit {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}

extension String {
    var trimmingTrailingNewline: String {
        var text = self
        while text.last == "\n" { text.removeLast() }
        return text
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var text = self
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return text
    }
}
