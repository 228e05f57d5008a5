import CaptureCrypto
import Foundation
import Glibc

/// One session in the agent's audit log. `hash` is the SHA-256 of the
/// previous record's hash and this record's canonical JSON (every field but
/// `hash`, keys sorted), so editing, deleting or reordering any record
/// breaks every hash after it.
public struct AuditRecord: Codable, Sendable, Equatable {
    public var seq: Int
    public var time: String
    public var jti: String
    public var decision: String
    public var reasons: [String]
    public var tokenSHA256: String
    public var prev: String
    public var hash: String

    enum CodingKeys: String, CodingKey {
        case seq, time, jti, decision, reasons, prev, hash
        case tokenSHA256 = "token_sha256"
    }

    /// The hash this record must carry, given its other fields.
    public func computedHash() throws -> String {
        var unhashed = self
        unhashed.hash = ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let canonical = try encoder.encode(unhashed)
        return try SHA256.hexDigest(Array((prev + "\n").utf8) + Array(canonical))
    }
}

public struct AuditLogError: Error, Sendable {
    public var message: String
}

/// Reads and checks a whole audit log: every line a record, sequence numbers
/// from 1 without gaps, each `prev` the hash before it, each `hash` right.
public enum AuditChain {
    /// The hash a first record links to.
    public static let genesis = String(repeating: "0", count: 64)

    public struct Summary: Sendable {
        public var records: Int
        /// The last record's hash (the genesis value for an empty log).
        public var head: String
        public var hashes: [String]
    }

    public static func verify(_ bytes: [UInt8]) throws(AuditLogError) -> Summary {
        guard bytes.isEmpty || bytes.last == 0x0a else {
            throw AuditLogError(message: "the last record is incomplete (no line end): a torn write or a truncation")
        }
        var head = genesis
        var hashes: [String] = []
        let decoder = JSONDecoder()
        for (index, line) in bytes.split(separator: 0x0a, omittingEmptySubsequences: false).dropLast().enumerated() {
            let number = index + 1
            let record: AuditRecord
            do { record = try decoder.decode(AuditRecord.self, from: Data(line)) } catch {
                throw AuditLogError(message: "record \(number) is not an audit record")
            }
            guard record.seq == number else { throw AuditLogError(message: "record \(number) has seq \(record.seq): a record was deleted or moved") }
            guard record.prev == head else { throw AuditLogError(message: "record \(number) does not link to the record before it: a record was deleted, edited or moved") }
            let expected: String
            do { expected = try record.computedHash() } catch { throw AuditLogError(message: "record \(number): cannot hash: \(error)") }
            guard expected == record.hash else { throw AuditLogError(message: "record \(number) was edited: its hash does not match its content") }
            head = record.hash
            hashes.append(record.hash)
        }
        return Summary(records: hashes.count, head: head, hashes: hashes)
    }
}

/// The append side: checks the existing chain once at open, then appends
/// one record per session with a single `write` and an `fsync`, so a crash
/// leaves at most one torn last line, which the next open reports.
public final class AuditLog: @unchecked Sendable {
    public let path: String
    private let descriptor: Int32
    private let lock = NSLock()
    // Guarded by `lock`.
    private var head: String
    private var count: Int

    public init(path: String) throws(AuditLogError) {
        self.path = path
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw AuditLogError(message: "\(path): cannot open: \(String(cString: strerror(errno)))") }
        let existing: [UInt8]
        do { existing = Array(try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            close(descriptor)
            throw AuditLogError(message: "\(path): cannot read: \(error.localizedDescription)")
        }
        let summary: AuditChain.Summary
        do { summary = try AuditChain.verify(existing) } catch {
            close(descriptor)
            throw AuditLogError(message: "\(path): \(error.message); refusing to append to a broken log (see audit-verify)")
        }
        self.descriptor = descriptor
        head = summary.head
        count = summary.records
    }

    deinit { close(descriptor) }

    public var state: (records: Int, head: String) { lock.withLock { (count, head) } }

    /// Appends a record for a session and returns it.
    @discardableResult
    public func append(time: String, jti: String, decision: String, reasons: [String], token: String) throws(AuditLogError) -> AuditRecord {
        lock.lock()
        defer { lock.unlock() }
        var record = AuditRecord(seq: count + 1, time: time, jti: jti, decision: decision, reasons: reasons, tokenSHA256: "", prev: head, hash: "")
        let line: [UInt8]
        do {
            record.tokenSHA256 = try SHA256.hexDigest(Array(token.utf8))
            record.hash = try record.computedHash()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            line = Array(try encoder.encode(record)) + [0x0a]
        } catch {
            throw AuditLogError(message: "cannot encode the audit record: \(error)")
        }
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(descriptor) == 0 else {
            throw AuditLogError(message: "\(path): cannot append the audit record: \(String(cString: strerror(errno)))")
        }
        head = record.hash
        count += 1
        return record
    }
}
