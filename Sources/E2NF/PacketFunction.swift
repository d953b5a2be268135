import CE2DPDK
import E2Dataplane

/// What a native NF does to each packet: change it in place and say which of its outputs it
/// leaves by (an index into the NF description's outputs), or nil to drop it.
public protocol PacketFunction {
    mutating func handle(_ packet: OpaquePointer, tags: MetadataTags, now: UInt64) -> Int?
    /// Figures for the NF's statistics (control path).
    func figures() -> [String: Double]
}

/// The loop of a native NF: bursts from its input vports, a packet function, bursts out of
/// its output vports; idle back-off like E2D's. Nothing is allocated per packet.
public final class NFRunner<Function: PacketFunction> {
    public let inputs: [NFVport]
    public let outputs: [NFVport]
    public var function: Function
    let tags: MetadataTags
    public private(set) var received: UInt64 = 0
    public private(set) var sent: [UInt64]
    public private(set) var dropped: UInt64 = 0

    public init(nf: NativeNF, inputs: [NFVport], outputs: [NFVport], function: Function) {
        self.inputs = inputs
        self.outputs = outputs
        self.function = function
        tags = nf.tags
        sent = Array(repeating: 0, count: outputs.count)
    }

    public func run(shouldStop: () -> Bool) {
        var burst = PacketBurst(capacity: 32)
        let storage = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: 32 * max(outputs.count, 1))
        defer { storage.deallocate() }
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: max(outputs.count, 1))
        defer { counts.deallocate() }
        var drops = PacketBurst(capacity: 32)
        var idle = 0
        while !shouldStop() {
            var moved = 0
            let now = ce2_tsc()
            for input in inputs {
                let count = input.receive(into: &burst)
                guard count > 0 else { continue }
                moved += count
                received &+= UInt64(count)
                counts.initialize(repeating: 0, count: max(outputs.count, 1))
                for index in 0..<count {
                    let packet = burst[index]
                    if let output = function.handle(packet, tags: tags, now: now), output >= 0, output < outputs.count {
                        storage[output * 32 + counts[output]] = packet
                        counts[output] += 1
                    } else {
                        drops.packets[drops.count] = packet
                        drops.count += 1
                    }
                }
                burst.count = 0
                dropped &+= UInt64(drops.count)
                drops.free()
                for output in 0..<outputs.count where counts[output] > 0 {
                    var out = PacketBurst(storage: storage + output * 32, capacity: 32)
                    out.count = counts[output]
                    let went = outputs[output].send(&out)
                    sent[output] &+= UInt64(went)
                    dropped &+= UInt64(counts[output] - went)
                }
            }
            if moved > 0 { idle = 0 } else {
                idle += 1
                if idle > 64 { ce2_idle_sleep(UInt32(min(1000, (idle - 64) * 10))) }
            }
        }
    }
}
