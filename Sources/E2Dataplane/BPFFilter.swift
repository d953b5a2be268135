import CE2DPDK

/// A libpcap filter running on mbufs, in one of two engines.
///
/// - `.libpcap` (the default): libpcap's own classic-BPF evaluator (`bpf_filter`) on the
///   packet's bytes; exact by construction.
/// - `.dpdk`: the program converted to eBPF by `rte_bpf_convert` and run by `rte_bpf`'s
///   interpreter. DPDK 22.11 gets some filters wrong this way (`BPFClassifierTests` shows one:
///   `net 10.0.0.0/8 and (tcp[13] & 2 != 0 or udp port 53)`), and its JIT crashes on
///   converted programs with indexed loads, so E2D does not use it until DPDK is fixed.
///
/// Matching allocates nothing: one call per packet into the compiled program.
public final class BPFFilter {
    public enum Engine: Sendable { case libpcap, dpdk }

    public let text: String
    public let engine: Engine
    private let classic: UnsafeMutablePointer<bpf_program>
    private let converted: OpaquePointer?

    /// Compiles `filter` for Ethernet; the `.dpdk` engine needs the EAL running.
    public init(_ filter: String, engine: Engine = .libpcap) throws(DataplaneError) {
        var error = [CChar](repeating: 0, count: 512)
        let program = UnsafeMutablePointer<bpf_program>.allocate(capacity: 1)
        program.initialize(to: bpf_program())
        guard ce2_pcap_compile(filter, program, &error, error.count) == 0 else {
            program.deallocate()
            throw DataplaneError(operation: "compiling filter '\(filter)'", code: 0, reason: Self.text(error))
        }
        if engine == .dpdk {
            guard let loaded = ce2_bpf_load_pcap_filter(filter, &error, error.count) else {
                pcap_freecode(program)
                program.deallocate()
                throw DataplaneError(operation: "loading filter '\(filter)' into DPDK", code: 0, reason: Self.text(error))
            }
            converted = loaded
        } else {
            converted = nil
        }
        classic = program
        text = filter
        self.engine = engine
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `packet` (a single-segment mbuf) matches.
    @inline(__always)
    public func matches(_ packet: OpaquePointer) -> Bool {
        if let converted { return ce2_bpf_run(converted, packet) != 0 }
        return ce2_pcap_run(classic, packet) != 0
    }

    deinit {
        if let converted { rte_bpf_destroy(converted) }
        pcap_freecode(classic)
        classic.deallocate()
    }
}

/// Steers each packet of a burst to the gate of the first filter it matches, or to the last
/// gate (`defaultGate`) when it matches none: the BPF classifier module of E2D.
public struct BPFClassifier {
    public let filters: [BPFFilter]

    public init(filters: [String], engine: BPFFilter.Engine = .libpcap) throws(DataplaneError) {
        var compiled: [BPFFilter] = []
        for filter in filters { compiled.append(try BPFFilter(filter, engine: engine)) }
        self.filters = compiled
    }

    /// The gate packets that match no filter go to.
    public var defaultGate: Int { filters.count }

    /// Writes each packet's gate into `gates` (at least `burst.count` entries).
    @inline(__always)
    public func classify(_ burst: borrowing PacketBurst, gates: UnsafeMutablePointer<UInt16>) {
        for index in 0..<burst.count {
            let packet = burst[index]
            var gate = filters.count
            for position in filters.indices where filters[position].matches(packet) {
                gate = position
                break
            }
            gates[index] = UInt16(gate)
        }
    }
}

/// Virtual devices created after the EAL started (`rte_vdev_init`), such as pcap ports.
public enum VirtualDevice {
    /// Creates the device `name` with DPDK's `args` (`rx_pcap=in.pcap,tx_pcap=out.pcap`).
    public static func create(_ name: String, _ args: String) throws(DataplaneError) {
        let result = rte_vdev_init(name, args)
        guard result == 0 else { throw DataplaneError(operation: "rte_vdev_init(\(name), \(args))", code: -result) }
    }
}

extension VirtualDevice {
    /// Removes a device made with `create` (its port must be closed).
    public static func remove(_ name: String) {
        _ = rte_vdev_uninit(name)
    }
}
