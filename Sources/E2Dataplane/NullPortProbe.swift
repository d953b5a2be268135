import CE2DPDK

/// Proves DPDK works in this process: starts the EAL with a `net_null` port and moves a burst.
///
/// `e2 doctor` runs it; a machine that passes can run E2D on virtual devices.
public enum NullPortProbe {
    /// What the probe saw.
    public struct Report: Sendable, Equatable {
        public var options: EALOptions
        public var received: Int
        public var sent: Int
    }

    /// Starts the EAL with `options` plus `net_null0`, receives one burst and sends it back.
    public static func run(options: EALOptions) throws(DataplaneError) -> Report {
        var options = options
        options.virtualDevices.append("net_null0")
        try EAL.start(options)
        let pool = try PacketPool(name: "probe", count: 1023, cacheSize: 32)
        let port = try EthernetPort(named: "net_null0", pool: pool, descriptors: 128)
        var burst = PacketBurst(capacity: 32)
        let received = port.receive(into: &burst)
        guard received > 0 else {
            throw DataplaneError(operation: "rte_eth_rx_burst(net_null0)", code: 0, reason: "the null port gave no packets")
        }
        let sent = port.send(&burst)
        return Report(options: options, received: received, sent: sent)
    }
}
