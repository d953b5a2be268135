import E2Engine
import Foundation

/// A notification from E2D to whoever subscribed on the control socket (the agent, §5.2).
public struct DataplaneEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// A vport's queue stayed above the occupancy threshold, or packets to it were dropped.
        case overload
        /// An overloaded vport is below the threshold again.
        case overloadCleared
        /// The process attached to a native vport exited.
        case nfGone
        /// Packets wait on a vport and the NF has not read any for the stall time.
        case vportStalled
        /// A stalled vport's NF reads again.
        case vportRecovered
    }

    public var kind: Kind
    public var vport: String
    /// Seconds since 1970.
    public var time: Double
    /// Queue occupancy (0-1) of a native vport when the event was raised.
    public var occupancy: Double?
    /// Packets to the vport dropped since the last sample.
    public var drops: UInt64?
    /// The largest delay (microseconds) of a packet through the NF in the last sample.
    public var delayMicros: Double?
    /// The NF's pid (nfGone).
    public var pid: Int32?

    public init(kind: Kind, vport: String, time: Double = Date().timeIntervalSince1970, occupancy: Double? = nil,
                drops: UInt64? = nil, delayMicros: Double? = nil, pid: Int32? = nil) {
        self.kind = kind
        self.vport = vport
        self.time = time
        self.occupancy = occupancy
        self.drops = drops
        self.delayMicros = delayMicros
        self.pid = pid
    }
}

/// How the load monitor judges a vport (configurable per E2D).
public struct MonitorSettings: Codable, Sendable, Equatable {
    /// How often each vport is sampled, in milliseconds.
    public var intervalMillis: Int = 100
    /// Queue occupancy (0-1) at or above which a sample counts as overloaded.
    public var occupancyThreshold: Double = 0.8
    /// Consecutive overloaded (or calm) samples before an overload (or its end) is raised.
    public var samples: Int = 3
    /// How long packets may wait unread before a vport counts as stalled, in milliseconds.
    public var stallMillis: Int = 500

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case intervalMillis, occupancyThreshold, samples, stallMillis
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        intervalMillis = try container.decodeUnlessAbsent(Int.self, forKey: .intervalMillis) ?? intervalMillis
        occupancyThreshold = try container.decodeUnlessAbsent(Double.self, forKey: .occupancyThreshold) ?? occupancyThreshold
        samples = try container.decodeUnlessAbsent(Int.self, forKey: .samples) ?? samples
        stallMillis = try container.decodeUnlessAbsent(Int.self, forKey: .stallMillis) ?? stallMillis
        guard intervalMillis >= 1, samples >= 1, stallMillis >= 1, occupancyThreshold > 0, occupancyThreshold <= 1 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "intervalMillis, samples and stallMillis are at least 1; occupancyThreshold is in (0, 1]"))
        }
    }
}
