import Foundation

/// Linux veth pairs for legacy vports, made with iproute2's `ip` (runtime.txt installs it).
enum VethPair {
    /// Creates the pair, brings both ends up and turns IPv6 off on them, so the kernel's own
    /// chatter (router solicitations, MLD) does not reach the NF's traffic.
    static func create(dataplaneEnd: String, nfEnd: String) throws(DataplaneError) {
        try ip(["link", "add", dataplaneEnd, "type", "veth", "peer", "name", nfEnd])
        for end in [dataplaneEnd, nfEnd] {
            try? Data("1".utf8).write(to: URL(fileURLWithPath: "/proc/sys/net/ipv6/conf/\(end)/disable_ipv6"))
            do {
                try ip(["link", "set", end, "up"])
            } catch {
                delete(dataplaneEnd)
                throw error
            }
        }
    }

    /// Deletes the pair by one end (wherever the other end went).
    static func delete(_ end: String) {
        try? ip(["link", "del", end])
    }

    private static func ip(_ arguments: [String]) throws(DataplaneError) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw DataplaneError(operation: "ip \(arguments.joined(separator: " "))", code: 0, reason: "cannot run ip (apt-get install iproute2): \(error)")
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DataplaneError(operation: "ip \(arguments.joined(separator: " "))", code: 0,
                                 reason: message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
