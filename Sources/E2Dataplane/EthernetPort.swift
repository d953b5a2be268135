import CE2DPDK

/// A DPDK Ethernet port with one receive and one transmit queue.
///
/// Ports are any DPDK device, real or virtual (`net_null`, `net_ring`, `net_pcap`, ...); E2
/// finds them by the name they were created with (`--vdev net_ring0`).
public final class EthernetPort {
    public let id: UInt16
    public let name: String

    /// Configures and starts the port named `name`, receiving into `pool`.
    public init(named name: String, pool: PacketPool, descriptors: UInt16 = 512) throws(DataplaneError) {
        var id: UInt16 = 0
        let found = rte_eth_dev_get_port_by_name(name, &id)
        guard found == 0 else {
            throw DataplaneError(operation: "rte_eth_dev_get_port_by_name(\(name))", code: -found,
                                 reason: "no DPDK port named \(name); create it with --vdev \(name)")
        }
        self.id = id
        self.name = name

        var configuration = rte_eth_conf()
        try Self.check(rte_eth_dev_configure(id, 1, 1, &configuration), "rte_eth_dev_configure(\(name))")
        let socket = UInt32(bitPattern: rte_eth_dev_socket_id(id))
        try Self.check(rte_eth_rx_queue_setup(id, 0, descriptors, socket, nil, pool.pointer), "rte_eth_rx_queue_setup(\(name))")
        try Self.check(rte_eth_tx_queue_setup(id, 0, descriptors, socket, nil), "rte_eth_tx_queue_setup(\(name))")
        try Self.check(rte_eth_dev_start(id), "rte_eth_dev_start(\(name))")
    }

    /// Fills `burst` with up to its capacity of received packets; returns how many came.
    @inline(__always)
    public func receive(into burst: inout PacketBurst) -> Int {
        precondition(burst.count == 0, "receive into an empty burst")
        burst.count = Int(ce2_rx_burst(id, 0, burst.packets, UInt16(burst.capacity)))
        return burst.count
    }

    /// Sends the burst; the port owns what it took, the rest is freed. Returns how many went.
    @inline(__always)
    public func send(_ burst: inout PacketBurst) -> Int {
        let sent = Int(ce2_tx_burst(id, 0, burst.packets, UInt16(burst.count)))
        if sent < burst.count { ce2_free_burst(burst.packets + sent, UInt32(burst.count - sent)) }
        burst.count = 0
        return sent
    }

    /// Whether the link is up now (for memif: the peer connected).
    public var linkUp: Bool {
        var link = rte_eth_link()
        guard rte_eth_link_get_nowait(id, &link) == 0 else { return false }
        return link.link_status == 1
    }

    /// The port's hardware counters.
    public func statistics() throws(DataplaneError) -> rte_eth_stats {
        var stats = rte_eth_stats()
        try Self.check(rte_eth_stats_get(id, &stats), "rte_eth_stats_get(\(name))")
        return stats
    }

    private var isOpen = true

    /// Stops and closes the port (once; also done when the port goes away).
    public func close() {
        guard isOpen else { return }
        isOpen = false
        _ = rte_eth_dev_stop(id)
        _ = rte_eth_dev_close(id)
    }

    deinit { close() }

    private static func check(_ result: Int32, _ operation: String) throws(DataplaneError) {
        if result < 0 { throw DataplaneError(operation: operation, code: -result) }
    }
}
