import ArgumentParser
import E2Dataplane
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The cost of steering on a metadata tag instead of a header field, after the paper's Table 2,
/// measured in this process on one core on the same burst of 32 packets of 64 bytes.
///
/// - Header match, as in the paper: E2D parses the packet's 5-tuple (`FlowKey`) and compares
///   the UDP destination port with 53.
/// - Header match through E2D's BPF classifier with `udp dst port 53` (libpcap's evaluator),
///   for comparison: what a general filter costs.
/// - Metadata match: the source NF's share (reading a payload byte and setting tag 0 from it)
///   followed by E2D's tag match against one configured value.
///
/// The paper measures both through native vports between two NFs; without vports (not built
/// yet) this compares the two steering steps alone, which is where the difference lies.
struct MetadataMatchBench {
    struct Result: Encodable {
        var headerMatchMpps: Double
        var bpfHeaderMatchMpps: Double
        var metadataMatchMpps: Double
        /// Metadata match throughput over (field) header match throughput (paper: 11.96 / 12.76 = 0.94).
        var metadataToHeaderRatio: Double
    }

    let seconds: Double

    func run() throws -> Result {
        try EAL.start(.forThisMachine(filePrefix: "bench-tags-\(getpid())", memoryMegabytes: 128))
        let pool = try PacketPool(name: "bench-tags", count: 1023)
        let classifier = try BPFClassifier(filters: ["udp dst port 53"])
        let tags = try MetadataTags()
        var burst = PacketBurst(capacity: 32)
        guard burst.allocate(32, from: pool) else { throw ValidationError("no packets in the benchmark's pool") }
        defer { burst.free() }
        for index in 0..<32 {
            // Half to port 53, half elsewhere; the payload's first byte carries the NF's verdict.
            _ = PacketBytes.fillUDP(burst[index], sourcePort: UInt16(1000 + index), destinationPort: index % 2 == 0 ? 53 : 54)
            PacketBytes.setByte(burst[index], at: 42, to: index % 2 == 0 ? 1 : 2)
        }
        let gates = UnsafeMutablePointer<UInt16>.allocate(capacity: 32)
        defer { gates.deallocate() }
        let wanted: [UInt8] = [1]
        var checksum = 0

        let headerMatch = measure(seconds / 3) {
            for index in 0..<burst.count {
                let key = FlowKey(packet: burst[index])
                gates[index] = key?.transportProtocol == 17 && key?.destinationPort == 53 ? 0 : 1
            }
            checksum &+= Int(gates[0]) &+ Int(gates[31])
        }
        let bpfHeaderMatch = measure(seconds / 3) {
            classifier.classify(burst, gates: gates)
            checksum &+= Int(gates[0]) &+ Int(gates[31])
        }
        let metadataMatch = wanted.withUnsafeBufferPointer { values in
            measure(seconds / 3) {
                for index in 0..<burst.count {
                    tags.set(burst[index], slot: 0, value: PacketBytes.byte(burst[index], at: 42) ?? 0)
                }
                tags.match(burst, slot: 0, values: values, gates: gates)
                checksum &+= Int(gates[0]) &+ Int(gates[31])
            }
        }
        // Both steps must send the same packets (even indices) to gate 0, or the figures compare different work.
        classifier.classify(burst, gates: gates)
        let headerGates = (0..<32).map { gates[$0] }
        wanted.withUnsafeBufferPointer { tags.match(burst, slot: 0, values: $0, gates: gates) }
        let metadataGates = (0..<32).map { gates[$0] }
        let expected = (0..<32).map { UInt16($0 % 2) }
        guard headerGates == expected, metadataGates == expected, checksum != 0 else {
            throw ValidationError("the benchmark's classifiers disagree: header \(headerGates), metadata \(metadataGates)")
        }
        let header = headerMatch * 32 / 1e6, metadata = metadataMatch * 32 / 1e6
        return Result(headerMatchMpps: header, bpfHeaderMatchMpps: bpfHeaderMatch * 32 / 1e6, metadataMatchMpps: metadata, metadataToHeaderRatio: metadata / header)
    }

    /// Bursts per second of `body`, run in rounds of 1,024 bursts for `seconds`.
    private func measure(_ seconds: Double, _ body: () -> Void) -> Double {
        let start = monotonicSeconds()
        var bursts = 0
        var now = start
        repeat {
            for _ in 0..<1024 { body() }
            bursts += 1024
            now = monotonicSeconds()
        } while now - start < seconds
        return Double(bursts) / (now - start)
    }

    private func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
