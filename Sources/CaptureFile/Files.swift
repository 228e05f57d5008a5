import Glibc

/// A file being written. Two disciplines:
/// - `.appendOnly` writes straight to the final path (created exclusively),
///   so a killed recorder still leaves every whole frame on disk.
/// - `.atomic` writes to a hidden temporary beside the final path and renames
///   it into place on `commit()`, so a failed import or export never leaves a
///   half-written file.
final class OutputFile {
    enum Discipline { case appendOnly, atomic }

    let path: String
    private let writePath: String
    private let discipline: Discipline
    private var fd: Int32
    private var committed = false

    init(path: String, discipline: Discipline, replace: Bool) throws(CaptureFileError) {
        self.path = path
        self.discipline = discipline
        if !replace && access(path, F_OK) == 0 { throw .outputExists(path: path) }
        switch discipline {
        case .appendOnly:
            writePath = path
            if replace { unlink(path) }
            fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_APPEND, 0o644)
        case .atomic:
            let slash = path.lastIndex(of: "/")
            let directoryPrefix = slash.map { String(path[...$0]) } ?? ""
            let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
            writePath = "\(directoryPrefix).\(name).partial-\(getpid())"
            unlink(writePath)
            fd = open(writePath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        }
        if fd < 0 {
            let error = errno
            if error == EEXIST { throw .outputExists(path: path) }
            if error == EACCES || error == EPERM { throw .permissionDenied(path: path) }
            throw .io(path: path, operation: "create", reason: String(cString: strerror(error)))
        }
    }

    deinit {
        if fd >= 0 { close(fd) }
        if discipline == .atomic && !committed { unlink(writePath) }
    }

    /// Writes every byte of each buffer, in order, with as few system calls
    /// as the kernel allows (one `writev` per record in the common case).
    func write(_ buffers: [UnsafeRawBufferPointer]) throws(CaptureFileError) {
        var pending = buffers.filter { $0.count > 0 }
        while !pending.isEmpty {
            var vectors = pending.map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count) }
            let written = writev(fd, &vectors, Int32(min(vectors.count, 1024)))
            if written < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "write", reason: String(cString: strerror(errno)))
            }
            var remaining = written
            while remaining > 0, let first = pending.first {
                if remaining >= first.count {
                    remaining -= first.count
                    pending.removeFirst()
                } else {
                    pending[0] = UnsafeRawBufferPointer(rebasing: first[remaining...])
                    remaining = 0
                }
            }
        }
    }

    func write(_ bytes: [UInt8]) throws(CaptureFileError) {
        let outcome: Result<Void, CaptureFileError> = bytes.withUnsafeBytes { raw in
            do throws(CaptureFileError) {
                try write([raw])
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try outcome.get()
    }

    /// Flushes to stable storage and, for `.atomic`, moves the file into place.
    func commit() throws(CaptureFileError) {
        guard fd >= 0 else { return }
        if fsync(fd) != 0 && errno != EINVAL {
            throw .io(path: path, operation: "fsync", reason: String(cString: strerror(errno)))
        }
        close(fd)
        fd = -1
        if discipline == .atomic {
            if rename(writePath, path) != 0 {
                let reason = String(cString: strerror(errno))
                unlink(writePath)
                throw .io(path: path, operation: "rename", reason: reason)
            }
        }
        committed = true
    }
}

/// Sequential buffered reads of a whole file, with the offset of each read.
final class InputFile {
    let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    /// Offset in the file of the next byte `read` returns.
    private(set) var offset = 0
    let size: Int

    init(path: String) throws(CaptureFileError) {
        self.path = path
        var info = stat()
        if stat(path, &info) != 0 {
            let error = errno
            if error == ENOENT || error == ENOTDIR { throw .notFound(path: path) }
            if error == EACCES { throw .permissionDenied(path: path) }
            throw .unreadable(path: path, operation: "stat", reason: String(cString: strerror(error)))
        }
        if info.st_mode & S_IFMT == S_IFDIR { throw .foreign(path: path, reason: "a directory") }
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let error = errno
            if error == EACCES { throw .permissionDenied(path: path) }
            throw .unreadable(path: path, operation: "open", reason: String(cString: strerror(error)))
        }
        size = Int(info.st_size)
    }

    deinit { close(fd) }

    /// Up to `count` bytes; fewer only at the end of the file.
    func read(_ count: Int) throws(CaptureFileError) -> [UInt8] {
        try fill(count)
        let available = min(count, buffer.count - start)
        let bytes = Array(buffer[start..<start + available])
        start += available
        offset += available
        return bytes
    }

    /// Looks at up to `count` bytes without consuming them.
    func peek(_ count: Int) throws(CaptureFileError) -> ArraySlice<UInt8> {
        try fill(count)
        return buffer[start..<min(start + count, buffer.count)]
    }

    func skip(_ count: Int) throws(CaptureFileError) {
        _ = try read(count)
    }

    private func fill(_ count: Int) throws(CaptureFileError) {
        if buffer.count - start >= count || atEnd { return }
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        let chunk = max(count - buffer.count, 1 << 20)
        var scratch = [UInt8](repeating: 0, count: chunk)
        while buffer.count < count && !atEnd {
            let got = scratch.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, operation: "read", reason: String(cString: strerror(errno)))
            }
            if got == 0 { atEnd = true } else { buffer.append(contentsOf: scratch[0..<got]) }
        }
    }
}
