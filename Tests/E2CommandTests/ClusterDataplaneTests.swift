import E2Cluster
import E2Dataplane
import E2Engine
import Foundation
import XCTest

/// The fig13 chain on a whole local dataplane: the software switch, two servers' E2Ds linked
/// to it by memif, and the native NAT, firewall, IDS and VPN processes the plan places, all
/// configured from the plan. Crafted flows go in; every packet is accounted for.
final class ClusterDataplaneTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// 50 packets of each class from 10.0.0.x: (a) web to the Internet, (b) web to corp_net,
    /// (c) telnet (the firewall's unsafe), (d) DNS carrying the IDS's signature.
    static let writer = """
        import struct, sys
        def csum(data):
            if len(data) % 2: data += b"\\0"
            total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
            while total > 0xffff: total = (total & 0xffff) + (total >> 16)
            return (~total) & 0xffff
        src_base = bytes([10, 0, 0, 0])
        def frame(i, dst, proto, dport, payload):
            src = src_base[:3] + bytes([1 + i % 5]); dst = bytes(map(int, dst.split(".")))
            sport = 20000 + i % 5
            if proto == 6:
                l4 = struct.pack("!HHIIBBHHH", sport, dport, i, 0, 0x50, 0x18, 65535, 0, 0) + payload
                at = 16
            else:
                l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
                at = 6
            pseudo = src + dst + struct.pack("!BBH", 0, proto, len(l4))
            c = csum(pseudo + l4); l4 = l4[:at] + struct.pack("!H", c) + l4[at + 2:]
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), i, 0, 64, proto, 0, src, dst)
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            return bytes([2,0,0,0,0,2, 2,0,0,0,0,1]) + b"\\x08\\x00" + ip + l4
        classes = [("198.51.100.10", 6, 80, b"hello-a"), ("192.0.2.10", 6, 80, b"hello-b"),
                   ("198.51.100.10", 6, 23, b"hello-c"), ("198.51.100.10", 17, 53, b"an attack")]
        if len(sys.argv) > 2:   # fig14: from the private network to web, DNS and telnet servers
            classes = [("198.51.100.10", 6, 80, b"web-a"), ("198.51.100.20", 17, 53, b"dns-b"), ("198.51.100.30", 6, 23, b"telnet-c")]
            src_base = bytes(map(int, sys.argv[2].split(".")))
        with open(sys.argv[1], "wb") as out:
            out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for i in range(len(classes) * 50):
                dst, proto, dport, payload = classes[i % len(classes)]
                data = frame(i, dst, proto, dport, payload)
                out.write(struct.pack("<IIII", 1, i, len(data), len(data)) + data)
        """

    func testTheFig13ChainDeliversEncryptsAndDropsEveryCraftedPacketAsThePolicySays() throws {
        let directory = URL(fileURLWithPath: "/tmp/e2c-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        _ = try ToolOutput.of("/usr/bin/python3", ["-c", Self.writer, path("in.pcap")], requiringSuccess: true)

        let catalog = try NFCatalog.decode(json: Data(contentsOf: Self.root.appendingPathComponent("examples/nfs.json")))
        let hardware = try HardwareDescription.decode(json: Data("""
            {"switch": {"model": "e2 switch", "ports": 16, "portGbps": 10, "flowTableEntries": 1024, "ruleUpdateMs": 1, "actions": ["forward", "flowIdRange", "encap"]},
             "servers": [{"name": "server1", "cores": 4, "ghz": 2.6, "nicGbps": 10, "switchPort": 8, "dataplaneCores": 1},
                         {"name": "server2", "cores": 4, "ghz": 2.6, "nicGbps": 10, "switchPort": 9, "dataplaneCores": 1}]}
            """.utf8))
        let policy = try String(contentsOf: Self.root.appendingPathComponent("examples/fig13-bng.e2"), encoding: .utf8)
        let key = "000102030405060708090a0b0c0d0e0f", salt = "c0ffee00"
        let cluster = try LocalCluster(
            policies: [policy], catalog: catalog, hardware: hardware, overrides: [try XCTUnwrap(EdgeRates.Override.parse("subscribers->nat=200Mbps"))],
            directory: directory, executable: E2Process.executable,
            externalPorts: [0: .init(input: path("in.pcap")), 2: .init(output: path("out2.pcap")), 3: .init(output: path("out3.pcap"))],
            nfArguments: ["NAT": ["--inside", "10.0.0.0/8", "--public", "203.0.113.1"], "FW": ["--allow", "53,80"],
                          "IDS": ["--signature", "attack"], "VPN": ["--key", key, "--salt", salt, "--spi", "4096", "--tunnel", "198.51.100.1,198.51.100.2"]])
        defer { cluster.stop() }
        XCTAssertEqual(cluster.plan.interconnection.servers.count, 2, "the plan uses both servers")
        try cluster.start()
        try cluster.startTraffic()

        // Wait until all 200 packets are accounted for: left by an uplink port or dropped.
        var statistics: [String: DataplaneStatistics] = [:]
        var accounted: UInt64 = 0
        for _ in 0..<100 {
            usleep(100_000)
            statistics = try cluster.statistics()
            let out = (statistics["switch"]?.ports["ext2"]?.sent ?? 0) + (statistics["switch"]?.ports["ext3"]?.sent ?? 0)
            accounted = out + statistics.values.map(\.droppedByPolicy).reduce(0, +)
            if accounted >= 200 { break }
        }
        XCTAssertEqual(statistics["switch"]?.ports["ext0"]?.received, 200)
        XCTAssertEqual(accounted, 200, "every packet delivered or dropped by policy: \(statistics.mapValues(\.droppedByPolicy))")
        let overload = statistics.values.flatMap { $0.ports.values.map(\.dropped) }.reduce(0, +)
        XCTAssertEqual(overload, 0, "no packet dropped for overload")
        cluster.stop()

        // What left: tshark reads both uplink ports.
        var rows: [[String]] = []
        for file in ["out2.pcap", "out3.pcap"] where FileManager.default.fileExists(atPath: path(file)) {
            let text = try ToolOutput.of("/usr/bin/tshark", ["-r", path(file), "-T", "fields", "-E", "separator=|",
                                                             "-e", "ip.src", "-e", "ip.dst", "-e", "ip.proto", "-e", "tcp.dstport", "-e", "esp.spi", "-e", "frame.protocols"])
            rows += text.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        }
        let clear = rows.filter { $0[2] == "6" }
        let tunnelled = rows.filter { $0[2] == "50" }
        XCTAssertEqual(rows.count, 100)
        XCTAssertEqual(clear.count, 50, "class (a) leaves in clear")
        XCTAssertEqual(Set(clear.map { "\($0[0]) \($0[1]) \($0[3])" }), ["203.0.113.1 198.51.100.10 80"], "NATed, to port 80")
        XCTAssertEqual(tunnelled.count, 50, "class (b) leaves through the VPN")
        XCTAssertEqual(Set(tunnelled.map { "\($0[0]) \($0[1]) \($0[4])" }), ["198.51.100.1 198.51.100.2 0x00001000"])

        // The tunnelled packets decrypt, with the key, to NATed web packets to corp_net.
        let decrypt = """
            import struct, sys
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
            key, salt = bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
            data = open(sys.argv[1], "rb").read()[24:]
            while data:
                length = struct.unpack("<I", data[8:12])[0]; frame = data[16:16 + length]; data = data[16 + length:]
                if frame[23] != 50: continue
                plain = AESGCM(key).decrypt(salt + frame[42:50], frame[50:], frame[34:42])
                inner = plain[:len(plain) - 2 - plain[-2]]
                ihl = (inner[0] & 15) * 4
                print(".".join(map(str, inner[12:16])), ".".join(map(str, inner[16:20])), struct.unpack("!H", inner[ihl + 2:ihl + 4])[0], inner[ihl + 20:].decode())
            """
        var decrypted: [String] = []
        for file in ["out2.pcap", "out3.pcap"] where FileManager.default.fileExists(atPath: path(file)) {
            decrypted += try ToolOutput.of(Self.root.appendingPathComponent(".venv/bin/python").path, ["-c", decrypt, path(file), key, salt], requiringSuccess: true)
                .split(separator: "\n").map(String.init)
        }
        XCTAssertEqual(decrypted.count, 50)
        XCTAssertEqual(Set(decrypted), ["203.0.113.1 192.0.2.10 80 hello-b"])
    }

    /// fig14 with its legacy NF: the Proxy is unmodified Linux (traffic control in a network
    /// namespace on the NF ends of its two legacy vports). Web traffic from the private network
    /// crosses it, then the NAT and the firewall; DNS goes straight to the NAT; telnet is dropped.
    func testTheFig14PolicyRunsWithTheLegacyProxyInThePath() throws {
        let directory = URL(fileURLWithPath: "/tmp/e2c14-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        _ = try ToolOutput.of("/usr/bin/python3", ["-c", Self.writer, path("in.pcap"), "10.12.30.0"], requiringSuccess: true)
        let catalog = try NFCatalog.decode(json: Data(contentsOf: Self.root.appendingPathComponent("examples/nfs.json")))
        let hardware = try HardwareDescription.decode(json: Data("""
            {"switch": {"model": "e2 switch", "ports": 32, "portGbps": 10, "flowTableEntries": 1024, "ruleUpdateMs": 1, "actions": ["forward", "flowIdRange", "encap"]},
             "servers": [{"name": "server1", "cores": 4, "ghz": 2.6, "nicGbps": 10, "switchPort": 20, "dataplaneCores": 1}]}
            """.utf8))
        let policy = try String(contentsOf: Self.root.appendingPathComponent("examples/fig14-nat-fw-proxy.e2"), encoding: .utf8)
        var ports: [Int: LocalCluster.ExternalPort] = [0: .init(input: path("in.pcap"))]
        for number in 8...15 { ports[number] = .init(output: path("out\(number).pcap")) }
        let overrides = try ["int->p=100Mbps", "int->n=100Mbps", "ext->f=100Mbps"].map { try XCTUnwrap(EdgeRates.Override.parse($0)) }
        let cluster = try LocalCluster(policies: [policy], catalog: catalog, hardware: hardware, overrides: overrides, directory: directory,
                                       executable: E2Process.executable, externalPorts: ports,
                                       nfArguments: ["NAT": ["--inside", "10.12.30.0/24", "--public", "131.114.88.93"], "FW": ["--allow", "53,80"]])
        defer { cluster.stop() }
        let legacy = cluster.servers.flatMap(\.instances).filter { $0.api == .legacy }
        XCTAssertEqual(legacy.map(\.type), ["Proxy"])
        try cluster.start()
        try cluster.startTraffic()
        var statistics: [String: DataplaneStatistics] = [:]
        var accounted: UInt64 = 0
        for _ in 0..<100 {
            usleep(100_000)
            statistics = try cluster.statistics()
            let out = (8...15).map { statistics["switch"]?.ports["ext\($0)"]?.sent ?? 0 }.reduce(0, +)
            accounted = out + statistics.values.map(\.droppedByPolicy).reduce(0, +)
            if accounted >= 150 { break }
        }
        // The proxy's vports carried the web traffic through the kernel's bridge.
        let server = try XCTUnwrap(statistics["server1"])
        let proxyIn = try XCTUnwrap(legacy.first?.inputOrder.first), proxyOut = try XCTUnwrap(legacy.first?.outputOrder.first)
        XCTAssertEqual(server.ports[proxyIn]?.sent, 50, "web packets sent to the proxy")
        XCTAssertEqual(server.ports[proxyOut]?.received, 50, "and back from it")
        XCTAssertEqual(accounted, 150)
        cluster.stop()

        var rows: [[String]] = []
        for number in 8...15 where FileManager.default.fileExists(atPath: path("out\(number).pcap")) {
            let text = try ToolOutput.of("/usr/bin/tshark", ["-r", path("out\(number).pcap"), "-T", "fields", "-E", "separator=|",
                                                             "-e", "ip.src", "-e", "ip.dst", "-e", "tcp.dstport", "-e", "udp.dstport"])
            rows += text.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        }
        XCTAssertEqual(rows.count, 100, "web and DNS leave; telnet does not")
        XCTAssertEqual(Set(rows.map { $0[0] }), ["131.114.88.93"], "NATed to the public address")
        XCTAssertEqual(rows.filter { $0[2] == "80" }.count, 50)
        XCTAssertEqual(rows.filter { $0[3] == "53" }.count, 50)
    }
}
