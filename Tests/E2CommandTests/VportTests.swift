import E2Dataplane
import Foundation
import XCTest

/// E2D with vports: a native NF process and a legacy NF (a Linux router in a network
/// namespace) each receive and return traffic; E2D reports an NF that exits.
final class VportTests: XCTestCase {
    func testANativeNFReturnsEveryPacketThroughItsVportAndItsExitIsReported() throws {
        let e2d = try RunningDataplane(configuration: """
            {"ports": [{"name": "in", "device": "net_pcap_in", "args": "rx_pcap=DIR/in.pcap"},
                       {"name": "out", "device": "net_pcap_out", "args": "rx_pcap=DIR/empty.pcap,tx_pcap=DIR/out.pcap"}],
             "vports": [{"name": "fw", "kind": "native", "ringSize": 1024}, {"name": "fwOut", "kind": "native"}],
             "modules": [{"name": "toNF", "type": "output", "port": "fw"}, {"name": "fromNF", "type": "input", "port": "fwOut"},
                         {"name": "tx", "type": "output", "port": "out"}],
             "links": [{"from": "fromNF", "to": "tx"}],
             "monitor": {"intervalMillis": 60000}}
            """, prepare: { directory in
                try UDPPcap.write(directory + "/in.pcap", count: 500, flows: 16)
                try UDPPcap.writeEmpty(directory + "/empty.pcap")
            })
        let events = try DataplaneControlClient(path: e2d.socketPath)
        try events.subscribe()
        let attachment = try XCTUnwrap(try e2d.client.configuration().vports.first)
        XCTAssertEqual(attachment.name, "fw")
        let lcore = try XCTUnwrap(try e2d.client.statistics().vports["fw"]?.nfLcore)

        let pipe = Pipe()
        // The NF receives on fw and returns on fwOut, as an NF with an input and an output port.
        let nf = try e2d.startNF(["forward", "--dataplane", e2d.prefix, "--lcore", String(lcore), "--vport", "fw", "--to", "fwOut"], output: pipe)
        // Only now send the pcap in, through a module added on the control socket.
        try e2d.client.batch([ControlRequest(op: .addModule, module: ModuleSpec(name: "rx", type: .input, port: "in")),
                              ControlRequest(op: .addLink, link: LinkSpec(from: "rx", to: "toNF"))])
        UDPPcap.waitUntilStill(e2d.path("out.pcap"), minimum: 24 + 500 * 16)
        let statistics = try e2d.client.statistics()
        XCTAssertEqual(statistics.vports["fw"]?.nfPid, nf.processIdentifier)
        XCTAssertGreaterThan(statistics.vports["fw"]?.delayMicros ?? 0, 0, "the delay through the NF is booked to the vport packets went in by")
        XCTAssertEqual(statistics.vports["fwOut"]?.delayMicros, 0)
        kill(nf.processIdentifier, SIGTERM)
        let counts = try RunningDataplane.counts(of: nf, pipe)
        XCTAssertEqual(counts["packets"], 500)

        // E2D notices the NF is gone.
        var gone: DataplaneEvent?
        for _ in 0..<20 where gone == nil {
            if let event = try events.nextEvent(timeout: 0.5), event.kind == .nfGone, event.vport == "fw" { gone = event }
        }
        XCTAssertEqual(gone?.vport, "fw")
        XCTAssertEqual(gone?.pid, nf.processIdentifier)

        let final = try e2d.stop()
        XCTAssertEqual((final["ports"] as? [String: [String: Int]])?["out"]?["sent"], 500)
        let tcpdump = "/usr/bin/tcpdump"
        XCTAssertEqual(try ToolOutput.of(tcpdump, ["-r", e2d.path("out.pcap"), "-t", "-n", "-x"]),
                       try ToolOutput.of(tcpdump, ["-r", e2d.path("in.pcap"), "-t", "-n", "-x"]))
    }

    func testALinuxRouterInANetworkNamespaceForwardsThroughLegacyVports() throws {
        let tag = String(getpid() % 100_000)
        let (inside, outside, namespace) = ("e2i\(tag)", "e2o\(tag)", "e2t\(tag)")
        let e2d = try RunningDataplane(configuration: """
            {"ports": [{"name": "in", "device": "net_pcap_in", "args": "rx_pcap=DIR/in.pcap"},
                       {"name": "out", "device": "net_pcap_out", "args": "rx_pcap=DIR/empty.pcap,tx_pcap=DIR/out.pcap"}],
             "vports": [{"name": "lin", "kind": "legacy", "interface": "\(inside)"}, {"name": "lout", "kind": "legacy", "interface": "\(outside)"}],
             "modules": [{"name": "toRouter", "type": "output", "port": "lin"}, {"name": "fromRouter", "type": "input", "port": "lout"},
                         {"name": "udp", "type": "classifier", "gates": 2, "rules": [{"filter": "udp and dst host 10.2.0.100", "gate": 0}], "defaultGate": 1},
                         {"name": "tx", "type": "output", "port": "out"}, {"name": "noise", "type": "drop"}],
             "links": [{"from": "fromRouter", "to": "udp"}, {"from": "udp:0", "to": "tx"}, {"from": "udp:1", "to": "noise"}]}
            """, prepare: { directory in
                // Frames to the router's inside address, which the test gives the interface below.
                try UDPPcap.write(directory + "/in.pcap", count: 200, flows: 8, arguments: ["02:00:00:00:00:42", "10.1.0.100", "10.2.0.100"])
                try UDPPcap.writeEmpty(directory + "/empty.pcap")
            })
        let ip = "/usr/sbin/ip"
        defer { _ = try? ToolOutput.of(ip, ["netns", "del", namespace]) }
        // The router: the NF ends of both veth pairs in a namespace of their own, IPv4 forwarding on.
        for command in [["netns", "add", namespace], ["link", "set", inside, "netns", namespace], ["link", "set", outside, "netns", namespace],
                        ["-n", namespace, "addr", "add", "10.1.0.1/24", "dev", inside], ["-n", namespace, "addr", "add", "10.2.0.1/24", "dev", outside],
                        ["-n", namespace, "link", "set", inside, "address", "02:00:00:00:00:42"],
                        ["-n", namespace, "link", "set", inside, "up"], ["-n", namespace, "link", "set", outside, "up"],
                        ["-n", namespace, "neigh", "replace", "10.2.0.100", "lladdr", "02:00:00:00:00:99", "dev", outside]] {
            _ = try ToolOutput.of(ip, command, requiringSuccess: true)
        }
        _ = try ToolOutput.of(ip, ["netns", "exec", namespace, "sysctl", "-qw", "net.ipv4.ip_forward=1"], requiringSuccess: true)

        try e2d.client.batch([ControlRequest(op: .addModule, module: ModuleSpec(name: "rx", type: .input, port: "in")),
                              ControlRequest(op: .addLink, link: LinkSpec(from: "rx", to: "toRouter"))])
        UDPPcap.waitUntilStill(e2d.path("out.pcap"), minimum: 24 + 200 * 16)
        _ = try e2d.stop()

        // Every packet came back routed: TTL one less, the router's next-hop address, same IP ID.
        let fields = try ToolOutput.of("/usr/bin/tshark", ["-r", e2d.path("out.pcap"), "-T", "fields", "-e", "ip.ttl", "-e", "eth.dst", "-e", "ip.id"])
        let rows = fields.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        XCTAssertEqual(rows.count, 200)
        XCTAssertEqual(Set(rows.map { $0[0] }), ["63"])
        XCTAssertEqual(Set(rows.map { $0[1] }), ["02:00:00:00:00:99"])
        XCTAssertEqual(Set(rows.compactMap { Int($0[2].dropFirst(2), radix: 16) }), Set(0..<200))
    }
}
