import E2Engine
import Foundation

/// The manager's state in SQLite: NF descriptions, the hardware description and the policy
/// documents (text, in submission order). Every resource carries a version for its ETag.
public final class ManagerStore: Sendable {
    let database: SQLiteDatabase

    /// A stored policy document.
    public struct PolicyDocumentRecord: Sendable, Equatable, Codable {
        public var id: Int64
        public var text: String
        public var version: Int64
    }

    /// Opens (or creates) `state.sqlite3` in `directory`.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        database = try SQLiteDatabase(path: (directory as NSString).appendingPathComponent("state.sqlite3"))
        try database.execute("""
            CREATE TABLE IF NOT EXISTS nf_types (name TEXT PRIMARY KEY, json TEXT NOT NULL, version INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS hardware (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL, version INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS pipelets (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, version INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS subscriptions (id INTEGER PRIMARY KEY AUTOINCREMENT, callback TEXT NOT NULL, secret TEXT NOT NULL, events TEXT NOT NULL, version INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS agents (name TEXT PRIMARY KEY, json TEXT NOT NULL, failed INTEGER NOT NULL, version INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, subscription INTEGER NOT NULL, event INTEGER NOT NULL,
                type TEXT NOT NULL, time TEXT NOT NULL, data TEXT NOT NULL, attempt INTEGER NOT NULL, due INTEGER NOT NULL);
            INSERT OR IGNORE INTO counters VALUES ('event', 0);
            CREATE TABLE IF NOT EXISTS placement (id INTEGER PRIMARY KEY CHECK (id = 1), inputs TEXT NOT NULL, json TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS scaling (node TEXT PRIMARY KEY, extra INTEGER NOT NULL);
            INSERT OR IGNORE INTO counters VALUES ('version', 0);
            """)
    }

    /// The newest version of anything stored: it changes with every committed change, so
    /// results computed from the state can be cached under it.
    public func stateVersion() throws -> Int64 {
        try database.query("SELECT value FROM counters WHERE name = 'version'").first?[0].integer ?? 0
    }

    /// The next version number, unique across resources, so ETags never repeat.
    static func nextVersion(_ transaction: SQLiteDatabase.Transaction) throws -> Int64 {
        try transaction.run("UPDATE counters SET value = value + 1 WHERE name = 'version'", [])
        return try transaction.rows("SELECT value FROM counters WHERE name = 'version'", [])[0][0].integer ?? 0
    }

    // MARK: NF descriptions

    /// Rows of a read, inside `transaction` when a change is checking what it would leave.
    func rows(_ sql: String, _ parameters: [SQLiteDatabase.Value] = [], in transaction: SQLiteDatabase.Transaction?) throws -> [[SQLiteDatabase.Value]] {
        if let transaction { return try transaction.rows(sql, parameters) }
        return try database.query(sql, parameters)
    }

    public func catalog(in transaction: SQLiteDatabase.Transaction? = nil) throws -> (catalog: NFCatalog, versions: [String: Int64]) {
        let rows = try rows("SELECT name, json, version FROM nf_types ORDER BY rowid", in: transaction)
        var nfs: [NFDescription] = []
        var versions: [String: Int64] = [:]
        for row in rows {
            guard let json = row[1].text, let name = row[0].text else { continue }
            nfs.append(try JSONDecoder().decode(NFDescription.self, from: Data(json.utf8)))
            versions[name] = row[2].integer ?? 0
        }
        return (NFCatalog(nfs: nfs), versions)
    }

    /// Stores one description, replacing one of the same name; `check` runs in the transaction
    /// and may refuse (its error rolls everything back). Returns the new version.
    public func putNF(_ nf: NFDescription, check: (SQLiteDatabase.Transaction) throws -> Void = { _ in }) throws -> Int64 {
        let json = String(decoding: try JSONEncoder().encode(nf), as: UTF8.self)
        return try database.transaction { transaction in
            try check(transaction)
            let version = try Self.nextVersion(transaction)
            try transaction.run("INSERT INTO nf_types (name, json, version) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO UPDATE SET json = ?2, version = ?3",
                                [.text(nf.name), .text(json), .integer(version)])
            return version
        }
    }

    /// Replaces the whole catalog.
    public func replaceCatalog(_ catalog: NFCatalog, check: (SQLiteDatabase.Transaction) throws -> Void = { _ in }) throws {
        try database.transaction { transaction in
            try check(transaction)
            try transaction.run("DELETE FROM nf_types", [])
            for nf in catalog.nfs {
                let version = try Self.nextVersion(transaction)
                try transaction.run("INSERT INTO nf_types (name, json, version) VALUES (?1, ?2, ?3)",
                                    [.text(nf.name), .text(String(decoding: try JSONEncoder().encode(nf), as: UTF8.self)), .integer(version)])
            }
        }
    }

    public func deleteNF(_ name: String, check: (SQLiteDatabase.Transaction) throws -> Void = { _ in }) throws {
        try database.transaction { transaction in
            try check(transaction)
            try transaction.run("DELETE FROM nf_types WHERE name = ?1", [.text(name)])
        }
    }

    // MARK: Hardware

    public func hardware(in transaction: SQLiteDatabase.Transaction? = nil) throws -> (hardware: HardwareDescription, version: Int64)? {
        guard let row = try rows("SELECT json, version FROM hardware WHERE id = 1", in: transaction).first, let json = row[0].text else { return nil }
        return (try JSONDecoder().decode(HardwareDescription.self, from: Data(json.utf8)), row[1].integer ?? 0)
    }

    public func putHardware(_ hardware: HardwareDescription, check: (SQLiteDatabase.Transaction) throws -> Void = { _ in }) throws -> Int64 {
        let json = String(decoding: try JSONEncoder().encode(hardware), as: UTF8.self)
        return try database.transaction { transaction in
            try check(transaction)
            let version = try Self.nextVersion(transaction)
            try transaction.run("INSERT INTO hardware (id, json, version) VALUES (1, ?1, ?2) ON CONFLICT(id) DO UPDATE SET json = ?1, version = ?2",
                                [.text(json), .integer(version)])
            return version
        }
    }

    // MARK: Policy documents

    public func policies(in transaction: SQLiteDatabase.Transaction? = nil) throws -> [PolicyDocumentRecord] {
        try rows("SELECT id, text, version FROM pipelets ORDER BY id", in: transaction).map { row in
            PolicyDocumentRecord(id: row[0].integer ?? 0, text: row[1].text ?? "", version: row[2].integer ?? 0)
        }
    }

    /// Adds a document when `check` accepts the policies it would make; returns the record.
    public func addPolicy(_ text: String, check: ([PolicyDocumentRecord]) throws -> Void) throws -> PolicyDocumentRecord {
        try database.transaction { transaction in
            let existing = try transaction.rows("SELECT id, text, version FROM pipelets ORDER BY id", []).map {
                PolicyDocumentRecord(id: $0[0].integer ?? 0, text: $0[1].text ?? "", version: $0[2].integer ?? 0)
            }
            let version = try Self.nextVersion(transaction)
            try transaction.run("INSERT INTO pipelets (text, version) VALUES (?1, ?2)", [.text(text), .integer(version)])
            let record = PolicyDocumentRecord(id: transaction.lastInsertedRow, text: text, version: version)
            try check(existing + [record])
            return record
        }
    }

    /// Removes a document when `check` accepts what remains.
    public func deletePolicy(_ id: Int64, check: ([PolicyDocumentRecord]) throws -> Void) throws {
        try database.transaction { transaction in
            try transaction.run("DELETE FROM pipelets WHERE id = ?1", [.integer(id)])
            let remaining = try transaction.rows("SELECT id, text, version FROM pipelets ORDER BY id", []).map {
                PolicyDocumentRecord(id: $0[0].integer ?? 0, text: $0[1].text ?? "", version: $0[2].integer ?? 0)
            }
            try check(remaining)
        }
    }

    // MARK: Webhook subscriptions

    public struct Subscription: Sendable, Equatable {
        public var id: Int64
        public var callback: String
        public var secret: String
        /// Event types delivered; empty means all.
        public var events: [String]
        public var version: Int64
    }

    public func subscriptions() throws -> [Subscription] {
        try database.query("SELECT id, callback, secret, events, version FROM subscriptions ORDER BY id").map { row in
            let events = (try? JSONDecoder().decode([String].self, from: Data((row[3].text ?? "[]").utf8))) ?? []
            return Subscription(id: row[0].integer ?? 0, callback: row[1].text ?? "", secret: row[2].text ?? "", events: events, version: row[4].integer ?? 0)
        }
    }

    public func addSubscription(callback: String, secret: String, events: [String]) throws -> Subscription {
        let list = String(decoding: try JSONEncoder().encode(events), as: UTF8.self)
        return try database.transaction { transaction in
            let version = try Self.nextVersion(transaction)
            try transaction.run("INSERT INTO subscriptions (callback, secret, events, version) VALUES (?1, ?2, ?3, ?4)",
                                [.text(callback), .text(secret), .text(list), .integer(version)])
            return Subscription(id: transaction.lastInsertedRow, callback: callback, secret: secret, events: events, version: version)
        }
    }

    public func deleteSubscription(_ id: Int64) throws {
        try database.transaction { try $0.run("DELETE FROM subscriptions WHERE id = ?1", [.integer(id)]) }
    }

    // MARK: The running placement

    /// The placement last planned, and the inputs (policies, descriptions, hardware) it was
    /// planned from: while they stay the same, failures and recoveries move only what they must.
    public func runningPlacement() throws -> (inputs: String, placement: Placement)? {
        guard let row = try database.query("SELECT inputs, json FROM placement WHERE id = 1").first, let inputs = row[0].text, let json = row[1].text,
              let placement = try? JSONDecoder().decode(Placement.self, from: Data(json.utf8)) else { return nil }
        return (inputs, placement)
    }

    public func saveRunningPlacement(inputs: String, placement: Placement) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(placement), as: UTF8.self)
        try database.transaction { try $0.run("INSERT OR REPLACE INTO placement (id, inputs, json) VALUES (1, ?1, ?2)", [.text(inputs), .text(json)]) }
    }

    /// What a plan is made from, apart from which servers are alive: the versions of the
    /// policies, the NF descriptions and the hardware description.
    public func planInputs() throws -> String {
        let policies = try policies().map { "\($0.id):\($0.version)" }.joined(separator: ",")
        let catalog = try catalog().versions.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
        return "p[\(policies)] c[\(catalog)] h[\(try hardware()?.version ?? 0)]"
    }

    // MARK: Scaling

    /// Instances added to NFs by splits, by pGraph node.
    public func extraInstances() throws -> [String: Int] {
        Dictionary(try database.query("SELECT node, extra FROM scaling").compactMap { row in
            row[0].text.map { ($0, Int(row[1].integer ?? 0)) }
        }, uniquingKeysWith: { $1 })
    }

    /// Sets a node's added instances (a new state version: the plan changes).
    public func setExtraInstances(_ node: String, _ extra: Int) throws {
        try database.transaction { transaction in
            _ = try Self.nextVersion(transaction)
            try transaction.run("INSERT OR REPLACE INTO scaling (node, extra) VALUES (?1, ?2)", [.text(node), .integer(Int64(extra))])
        }
    }

    // MARK: Webhook deliveries

    /// A webhook delivery not yet made: kept in SQLite so a crash or kill -9 loses none.
    public struct DeliveryRecord: Sendable, Equatable {
        public var id: Int64
        public var subscription: Int64
        public var event: Int64
        public var type: String
        public var time: String
        public var data: String
        public var attempt: Int
        /// Seconds since 1970 when the next attempt is due.
        public var due: Double
    }

    /// Records deliveries of one event and the event's number, in one transaction.
    public func addDeliveries(event: Int64, type: String, time: String, data: String, subscriptions: [Int64]) throws {
        try database.transaction { transaction in
            for subscription in subscriptions {
                try transaction.run("INSERT INTO deliveries (subscription, event, type, time, data, attempt, due) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
                                    [.integer(subscription), .integer(event), .text(type), .text(time), .text(data), .integer(Int64(Date().timeIntervalSince1970 * 1000))])
            }
            try transaction.run("UPDATE counters SET value = max(value, ?1) WHERE name = 'event'", [.integer(event)])
        }
    }

    public func pendingDeliveries() throws -> [DeliveryRecord] {
        try database.query("SELECT id, subscription, event, type, time, data, attempt, due FROM deliveries ORDER BY id").map { row in
            DeliveryRecord(id: row[0].integer ?? 0, subscription: row[1].integer ?? 0, event: row[2].integer ?? 0, type: row[3].text ?? "",
                           time: row[4].text ?? "", data: row[5].text ?? "{}", attempt: Int(row[6].integer ?? 0), due: Double(row[7].integer ?? 0) / 1000)
        }
    }

    public func rescheduleDelivery(_ id: Int64, attempt: Int, due: Double) throws {
        try database.transaction { try $0.run("UPDATE deliveries SET attempt = ?2, due = ?3 WHERE id = ?1", [.integer(id), .integer(Int64(attempt)), .integer(Int64(due * 1000))]) }
    }

    public func finishDelivery(_ id: Int64) throws {
        try database.transaction { try $0.run("DELETE FROM deliveries WHERE id = ?1", [.integer(id)]) }
    }

    /// The number of the newest event that had deliveries (events keep counting after a restart).
    public func lastEventNumber() throws -> Int64 {
        try database.query("SELECT value FROM counters WHERE name = 'event'").first?[0].integer ?? 0
    }

    // MARK: Agents

    /// A registered server agent and whether the manager considers it failed.
    public struct AgentRecord: Sendable, Equatable {
        public var registration: AgentRegistration
        public var failed: Bool
        public var version: Int64
    }

    public func agents() throws -> [AgentRecord] {
        try database.query("SELECT json, failed, version FROM agents ORDER BY name").compactMap { row in
            guard let json = row[0].text, let registration = try? JSONDecoder().decode(AgentRegistration.self, from: Data(json.utf8)) else { return nil }
            return AgentRecord(registration: registration, failed: (row[1].integer ?? 0) != 0, version: row[2].integer ?? 0)
        }
    }

    /// Registers an agent (again); whether it is new. A returning agent is no longer failed.
    @discardableResult
    public func putAgent(_ registration: AgentRegistration) throws -> (record: AgentRecord, created: Bool) {
        let json = String(decoding: try JSONEncoder().encode(registration), as: UTF8.self)
        return try database.transaction { transaction in
            let existing = try transaction.rows("SELECT json, failed FROM agents WHERE name = ?1", [.text(registration.name)]).first
            if let existing, existing[0].text == json, existing[1].integer == 0 {
                let version = try transaction.rows("SELECT version FROM agents WHERE name = ?1", [.text(registration.name)])[0][0].integer ?? 0
                return (AgentRecord(registration: registration, failed: false, version: version), false)
            }
            let version = try Self.nextVersion(transaction)
            try transaction.run("INSERT OR REPLACE INTO agents (name, json, failed, version) VALUES (?1, ?2, 0, ?3)",
                                [.text(registration.name), .text(json), .integer(version)])
            return (AgentRecord(registration: registration, failed: false, version: version), existing == nil)
        }
    }

    /// Marks an agent failed or recovered; false when there is no such agent or nothing changed.
    @discardableResult
    public func setAgentFailed(_ name: String, _ failed: Bool) throws -> Bool {
        try database.transaction { transaction in
            guard let row = try transaction.rows("SELECT failed FROM agents WHERE name = ?1", [.text(name)]).first, (row[0].integer != 0) != failed else { return false }
            let version = try Self.nextVersion(transaction)
            try transaction.run("UPDATE agents SET failed = ?2, version = ?3 WHERE name = ?1", [.text(name), .integer(failed ? 1 : 0), .integer(version)])
            return true
        }
    }

    public func deleteAgent(_ name: String) throws {
        try database.transaction { transaction in
            _ = try Self.nextVersion(transaction)
            try transaction.run("DELETE FROM agents WHERE name = ?1", [.text(name)])
        }
    }
}

/// What an agent says about its server when it registers.
public struct AgentRegistration: Codable, Sendable, Equatable, ValidatedDocument {
    /// The server's name, as the hardware description names it.
    public var name: String
    public var cores: Int
    /// The switch port the server is cabled to.
    public var switchPort: Int
    /// The E2D control socket of the server, for operators.
    public var dataplane: String?

    public init(name: String, cores: Int, switchPort: Int, dataplane: String? = nil) {
        self.name = name
        self.cores = cores
        self.switchPort = switchPort
        self.dataplane = dataplane
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case name, cores, switchPort, dataplane }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        cores = try container.decode(Int.self, forKey: .cores)
        switchPort = try container.decode(Int.self, forKey: .switchPort)
        dataplane = try container.decodeUnlessAbsent(String.self, forKey: .dataplane)
    }

    public func problems() -> [DescriptionError] {
        var problems: [DescriptionError] = []
        if name.isEmpty || name.count > 64 || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }) {
            problems.append(.init(path: "$.name", message: "a server name of 1-64 letters, digits, '-', '_' or '.'"))
        }
        if !(1...4096).contains(cores) { problems.append(.init(path: "$.cores", message: "1-4096 cores")) }
        if !(0...65535).contains(switchPort) { problems.append(.init(path: "$.switchPort", message: "a switch port number 0-65535")) }
        return problems
    }
}
