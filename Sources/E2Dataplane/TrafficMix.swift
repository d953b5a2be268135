import CE2DPDK

/// Synthetic traffic for a running cluster: a number of concurrent flows whose sizes in
/// packets follow a heavy-tailed (Pareto) distribution; a finished flow is replaced by a new
/// one. Each flow draws a class from the mix (destination, protocol, port, payload), so that a
/// policy's branches all see traffic. Packets are written in place; nothing is allocated per
/// packet; IPv4 and transport checksums are correct.
public struct TrafficMix: Sendable {
    public struct FlowClass: Sendable, Equatable {
        public var destination: UInt32
        /// How many consecutive destination addresses the class spreads over.
        public var destinations: UInt32
        public var proto: UInt8
        public var port: UInt16
        public var payload: [UInt8]
        /// Relative weight.
        public var weight: Int

        public init(destination: UInt32, destinations: UInt32 = 1, proto: UInt8, port: UInt16, payload: [UInt8], weight: Int) {
            self.destination = destination
            self.destinations = destinations
            self.proto = proto
            self.port = port
            self.payload = payload
            self.weight = weight
        }
    }

    struct Flow {
        var source: UInt32
        var sourcePort: UInt16
        var destination: UInt32
        var kind: Int
        var remaining: Int
    }

    public let classes: [FlowClass]
    let sourceBase: UInt32
    var flows: [Flow]
    var next = 0
    var random: UInt64
    let totalWeight: Int
    public private(set) var flowsStarted: UInt64 = 0
    /// Packets per class, as sent.
    public private(set) var sentPerClass: [UInt64]

    /// `concurrent` flows from `sourceBase` + 1...254 (a /24 of subscribers).
    public init(classes: [FlowClass], sourceBase: UInt32, concurrent: Int, seed: UInt64 = 0xE2E2) {
        precondition(!classes.isEmpty && concurrent > 0)
        self.classes = classes
        self.sourceBase = sourceBase
        random = seed | 1
        totalWeight = classes.map(\.weight).reduce(0, +)
        flows = []
        sentPerClass = Array(repeating: 0, count: classes.count)
        flows.reserveCapacity(concurrent)
        for _ in 0..<concurrent { flows.append(Flow(source: 0, sourcePort: 0, destination: 0, kind: 0, remaining: 0)) }
        for index in flows.indices { flows[index] = newFlow() }
    }

    mutating func nextRandom() -> UInt64 {
        random ^= random << 13
        random ^= random >> 7
        random ^= random << 17
        return random
    }

    mutating func newFlow() -> Flow {
        flowsStarted &+= 1
        var pick = Int(nextRandom() % UInt64(totalWeight))
        var kind = 0
        while pick >= classes[kind].weight {
            pick -= classes[kind].weight
            kind += 1
        }
        // Pareto sizes with shape 1.2 and at least 1 packet: most flows are short, a few long.
        let uniform = Double(nextRandom() % 1_000_000 + 1) / 1_000_001
        let size = min(10_000, Int(1 / pow(uniform, 1 / 1.2)))
        let flowClass = classes[kind]
        return Flow(source: sourceBase + UInt32(1 + nextRandom() % 254), sourcePort: UInt16(1024 + nextRandom() % 60000),
                    destination: flowClass.destination + UInt32(nextRandom() % UInt64(max(flowClass.destinations, 1))),
                    kind: kind, remaining: size)
    }

    /// Writes the next packet (round robin over the live flows) into an empty mbuf; its length.
    public mutating func fill(_ packet: OpaquePointer) -> Int {
        let index = next
        next = (next + 1) % flows.count
        if flows[index].remaining <= 0 { flows[index] = newFlow() }
        flows[index].remaining -= 1
        let flow = flows[index]
        let flowClass = classes[flow.kind]
        sentPerClass[flow.kind] &+= 1
        let l4 = flowClass.proto == 6 ? 20 : 8
        let length = max(60, 14 + 20 + l4 + flowClass.payload.count)
        guard let frame = ce2_mbuf_append(packet, UInt16(length)) else { return 0 }
        frame.initialize(repeating: 0, count: length)
        frame[0] = 0x02; frame[5] = 0x02; frame[6] = 0x02; frame[11] = 0x01; frame[12] = 0x08
        let ipLength = length - 14
        frame[14] = 0x45; frame[16] = UInt8(ipLength >> 8); frame[17] = UInt8(ipLength & 0xff); frame[22] = 64; frame[23] = flowClass.proto
        for byte in 0..<4 {
            frame[26 + byte] = UInt8(truncatingIfNeeded: flow.source >> UInt32(24 - 8 * byte))
            frame[30 + byte] = UInt8(truncatingIfNeeded: flow.destination >> UInt32(24 - 8 * byte))
        }
        var sum: UInt32 = 0
        for word in 0..<10 where word != 5 { sum += UInt32(frame[14 + 2 * word]) << 8 | UInt32(frame[15 + 2 * word]) }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        frame[24] = UInt8(~sum >> 8 & 0xff); frame[25] = UInt8(~sum & 0xff)
        frame[34] = UInt8(flow.sourcePort >> 8); frame[35] = UInt8(flow.sourcePort & 0xff)
        frame[36] = UInt8(flowClass.port >> 8); frame[37] = UInt8(flowClass.port & 0xff)
        if flowClass.proto == 6 {
            frame[46] = 0x50; frame[47] = 0x18; frame[48] = 0xff; frame[49] = 0xff
        } else {
            let udpLength = ipLength - 20
            frame[38] = UInt8(udpLength >> 8); frame[39] = UInt8(udpLength & 0xff)
        }
        flowClass.payload.withUnsafeBufferPointer { payload in
            if let base = payload.baseAddress { (frame + 34 + l4).update(from: base, count: payload.count) }
        }
        // The transport checksum over the pseudo-header and the segment.
        let segment = ipLength - 20
        var total: UInt32 = UInt32(flowClass.proto) + UInt32(segment)
        for word in 0..<4 { total += UInt32(frame[26 + 2 * word]) << 8 | UInt32(frame[27 + 2 * word]) }
        var at = 34
        while at < 34 + segment {
            total += UInt32(frame[at]) << 8 | UInt32(at + 1 < 34 + segment ? frame[at + 1] : 0)
            at += 2
        }
        while total >> 16 != 0 { total = (total & 0xffff) + (total >> 16) }
        let checksum = ~UInt16(total)
        let field = flowClass.proto == 6 ? 50 : 40
        frame[field] = UInt8(checksum >> 8); frame[field + 1] = UInt8(checksum & 0xff)
        return length
    }
}

import Foundation
