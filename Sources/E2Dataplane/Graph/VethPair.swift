import Foundation

/// Linux veth pairs for legacy vports, made with iproute2's `ip` (runtime.txt installs it).
enum VethPair {
    /// Creates the pair, brings both ends up and turns IPv6 off on them, so the kernel's own
    /// chatter (router solicitations, MLD) does not reach the NF's traffic.
    static func create(dataplaneEnd: String, nfEnd: String) throws(DataplaneError) {
        try NetworkTool.ip(["link", "add", dataplaneEnd, "type", "veth", "peer", "name", nfEnd])
        for end in [dataplaneEnd, nfEnd] {
            try? Data("1".utf8).write(to: URL(fileURLWithPath: "/proc/sys/net/ipv6/conf/\(end)/disable_ipv6"))
            do {
                try NetworkTool.ip(["link", "set", end, "up"])
            } catch {
                delete(dataplaneEnd)
                throw error
            }
        }
    }

    /// Deletes the pair by one end (wherever the other end went).
    static func delete(_ end: String) {
        try? NetworkTool.ip(["link", "del", end])
    }
}
