import CE2SQLite
import Foundation
import Synchronization

/// One SQLite database file in WAL mode, used by one connection behind a lock.
///
/// Every change runs in a transaction that commits (with `synchronous=FULL`, so it is on disk)
/// before the API answers 2xx: a crash or kill -9 loses nothing that was acknowledged.
public final class SQLiteDatabase: Sendable {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    private let handle: Mutex<OpaquePointer>
    public let path: String

    public init(path: String) throws(Failure) {
        self.path = path
        var connection: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        guard sqlite3_open_v2(path, &connection, flags, nil) == SQLITE_OK, let connection else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(connection)
            throw Failure(description: "cannot open \(path): \(message)")
        }
        sqlite3_busy_timeout(connection, 5000)
        handle = Mutex(connection)
        try execute("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=FULL")
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        handle.withLock { _ = sqlite3_close_v2($0) }
    }

    /// A value to bind or read.
    public enum Value: Sendable, Equatable {
        case text(String)
        case integer(Int64)
        case null
    }

    /// Runs `body` in one transaction; it commits when `body` returns and rolls back when it throws.
    public func transaction<T>(_ body: (Transaction) throws -> T) throws -> T {
        try handle.withLock { connection in
            let transaction = Transaction(connection: connection)
            try transaction.run("BEGIN IMMEDIATE", [])
            do {
                let result = try body(transaction)
                try transaction.run("COMMIT", [])
                return result
            } catch {
                _ = try? transaction.run("ROLLBACK", [])
                throw error
            }
        }
    }

    /// Rows of a read-only query.
    public func query(_ sql: String, _ parameters: [Value] = []) throws -> [[Value]] {
        try handle.withLock { try Transaction(connection: $0).rows(sql, parameters) }
    }

    public func execute(_ sql: String) throws(Failure) {
        try handle.withLock { connection throws(Failure) in
            var message: UnsafeMutablePointer<CChar>?
            guard sqlite3_exec(connection, sql, nil, nil, &message) == SQLITE_OK else {
                let text = message.map { String(cString: $0) } ?? "unknown error"
                sqlite3_free(message)
                throw Failure(description: "\(sql): \(text)")
            }
        }
    }

    /// Statements inside a transaction (or a read).
    public struct Transaction {
        let connection: OpaquePointer

        public func run(_ sql: String, _ parameters: [Value]) throws {
            _ = try rows(sql, parameters)
        }

        public func rows(_ sql: String, _ parameters: [Value]) throws -> [[Value]] {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(connection, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
                throw Failure(description: "\(sql): \(String(cString: sqlite3_errmsg(connection)))")
            }
            defer { sqlite3_finalize(statement) }
            let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
            for (index, parameter) in parameters.enumerated() {
                let position = Int32(index + 1)
                switch parameter {
                case .text(let text): sqlite3_bind_text(statement, position, text, -1, transient)
                case .integer(let value): sqlite3_bind_int64(statement, position, value)
                case .null: sqlite3_bind_null(statement, position)
                }
            }
            var rows: [[Value]] = []
            while true {
                let step = sqlite3_step(statement)
                if step == SQLITE_DONE { return rows }
                guard step == SQLITE_ROW else { throw Failure(description: "\(sql): \(String(cString: sqlite3_errmsg(connection)))") }
                rows.append((0..<sqlite3_column_count(statement)).map { column in
                    switch sqlite3_column_type(statement, column) {
                    case SQLITE_INTEGER: .integer(sqlite3_column_int64(statement, column))
                    case SQLITE_NULL: .null
                    default: .text(String(cString: sqlite3_column_text(statement, column)))
                    }
                })
            }
        }

        public var lastInsertedRow: Int64 { sqlite3_last_insert_rowid(connection) }
    }
}

extension SQLiteDatabase.Value {
    public var text: String? { if case .text(let value) = self { value } else { nil } }
    public var integer: Int64? { if case .integer(let value) = self { value } else { nil } }
}
