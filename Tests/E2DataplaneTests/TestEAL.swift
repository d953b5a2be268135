import E2Dataplane
import Foundation

/// The one EAL of the test process, shared by every test that needs DPDK.
///
/// A process can start the EAL only once, so every test asks for the same options: a
/// `net_ring` port (its transmit ring is its receive ring) and a `net_null` port; hugepages
/// when the machine has them free, `--no-huge` otherwise.
enum TestEAL {
    static let options = EALOptions.forThisMachine(
        filePrefix: "e2-test-\(getpid())", memoryMegabytes: 128, virtualDevices: ["net_ring0", "net_null0"])

    static func start() throws {
        try EAL.start(options)
    }

    // DPDK pool names are unique in a process and a closed port is gone, so both are made once.
    nonisolated(unsafe) private static var sharedPool: PacketPool?
    nonisolated(unsafe) private static var sharedRingPort: EthernetPort?
    private static let lock = NSLock()

    static func pool() throws -> PacketPool {
        try start()
        return try lock.withLock {
            if let sharedPool { return sharedPool }
            let pool = try PacketPool(name: "test-pool", count: 4095)
            sharedPool = pool
            return pool
        }
    }

    /// `net_ring0`, configured and started, receiving into `pool()`.
    static func ringPort() throws -> EthernetPort {
        let pool = try pool()
        return try lock.withLock {
            if let sharedRingPort { return sharedRingPort }
            let port = try EthernetPort(named: "net_ring0", pool: pool)
            sharedRingPort = port
            return port
        }
    }
}
