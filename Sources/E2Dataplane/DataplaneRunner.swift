import CE2DPDK
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// E2D's run-to-completion loop: receive a burst on each input, classify it, send each packet
/// out of its gate's port, and back off when idle so several DPDK processes share the cores.
public final class DataplaneRunner {
    /// Counters, printed as JSON when E2D stops.
    public struct Statistics: Codable, Sendable, Equatable {
        public struct Port: Codable, Sendable, Equatable {
            public var received: UInt64 = 0
            public var sent: UInt64 = 0
            /// Packets the port did not take on transmit.
            public var dropped: UInt64 = 0
        }
        public var ports: [String: Port] = [:]
        /// Per classifier input: packets per rule, then the default gate.
        public var gates: [String: [UInt64]] = [:]
        /// Packets dropped by rule.
        public var droppedByPolicy: UInt64 = 0
        public var usesHugepages = false
        /// How long the loop ran, in seconds.
        public var seconds: Double = 0
    }

    struct Stage {
        var input: Int
        var classifier: BPFClassifier
        /// Port index per gate, -1 for drop.
        var outputs: [Int]
        var counts: [UInt64]
    }

    let configuration: DataplaneConfiguration
    let ports: [EthernetPort]
    var stages: [Stage]
    public private(set) var statistics = Statistics()

    /// Starts the EAL with the configured devices, configures ports and compiles classifiers.
    public init(configuration: DataplaneConfiguration, filePrefix: String, extraEALArguments: [String] = []) throws(DataplaneError) {
        self.configuration = configuration
        let megabytes = configuration.memoryMegabytes ?? 128
        var options = EALOptions.forThisMachine(
            filePrefix: filePrefix, memoryMegabytes: megabytes,
            virtualDevices: configuration.ports.map { [$0.device, $0.args].compactMap { $0 }.joined(separator: ",") })
        options.extraArguments = extraEALArguments
        try EAL.start(options)
        statistics.usesHugepages = options.useHugepages
        let pool = try PacketPool(name: "e2d", count: 8191)
        var ports: [EthernetPort] = []
        for port in configuration.ports { ports.append(try EthernetPort(named: port.device, pool: pool)) }
        self.ports = ports
        let index = Dictionary(uniqueKeysWithValues: configuration.ports.enumerated().map { ($1.name, $0) })
        var stages: [Stage] = []
        for classifier in configuration.classifiers {
            let outputs = (classifier.rules.map(\.output) + [classifier.default]).map { index[$0] ?? -1 }
            stages.append(Stage(input: index[classifier.input]!, classifier: try BPFClassifier(filters: classifier.rules.map(\.filter)),
                                outputs: outputs, counts: Array(repeating: 0, count: outputs.count)))
        }
        self.stages = stages
        self.pool = pool
    }

    /// The pool the ports receive into; it must outlive them.
    let pool: PacketPool

    /// Runs until `shouldStop` says so (checked between bursts), then returns the statistics.
    public func run(shouldStop: () -> Bool) -> Statistics {
        // Locals, not properties: a property of a class costs a dynamic exclusivity check and a
        // retain on every access, which the per-packet loop cannot afford.
        var stages = self.stages
        let ports = self.ports
        defer { self.stages = stages }
        var burst = PacketBurst(capacity: 32)
        var outgoing = PacketBurst(capacity: 32)
        let gates = UnsafeMutablePointer<UInt16>.allocate(capacity: 32)
        defer { gates.deallocate() }
        var received = [UInt64](repeating: 0, count: ports.count)
        var sent = [UInt64](repeating: 0, count: ports.count)
        var dropped = [UInt64](repeating: 0, count: ports.count)
        var idleRounds = 0
        var droppedByPolicy: UInt64 = 0
        let start = ContinuousClock.now
        while !shouldStop() {
            var busy = false
            for stageIndex in stages.indices {
                let input = stages[stageIndex].input
                guard ports[input].receive(into: &burst) > 0 else { continue }
                busy = true
                received[input] &+= UInt64(burst.count)
                stages[stageIndex].classifier.classify(burst, gates: gates)
                // One pass per output: gather that gate's packets and send them together.
                for gate in stages[stageIndex].outputs.indices {
                    for packet in 0..<burst.count where Int(gates[packet]) == gate {
                        outgoing.packets[outgoing.count] = burst.packets[packet]
                        outgoing.count += 1
                    }
                    let count = outgoing.count
                    guard count > 0 else { continue }
                    stages[stageIndex].counts[gate] &+= UInt64(count)
                    let output = stages[stageIndex].outputs[gate]
                    if output < 0 {
                        droppedByPolicy &+= UInt64(count)
                        outgoing.free()
                    } else {
                        let taken = ports[output].send(&outgoing)
                        sent[output] &+= UInt64(taken)
                        dropped[output] &+= UInt64(count - taken)
                    }
                }
                burst.count = 0  // every packet went to a gate
            }
            // Idle back-off: spin briefly, then sleep up to 1 ms, so a quiet E2D frees its core.
            if busy {
                idleRounds = 0
            } else {
                idleRounds += 1
                if idleRounds > 64 { usleep(UInt32(min(1000, (idleRounds - 64) * 10))) }
            }
        }
        for (index, port) in configuration.ports.enumerated() {
            statistics.ports[port.name] = .init(received: received[index], sent: sent[index], dropped: dropped[index])
        }
        for stage in stages { statistics.gates[configuration.ports[stage.input].name] = stage.counts }
        statistics.droppedByPolicy = droppedByPolicy
        let elapsed = ContinuousClock.now - start
        statistics.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return statistics
    }
}
