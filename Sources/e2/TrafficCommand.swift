import ArgumentParser
import E2Cluster
import E2Dataplane
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `e2 traffic`: the generator and sink of a running cluster, attached to the switch's
/// external ports through memif.
struct TrafficCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traffic",
        abstract: "Send synthetic flows into switch ports and count what comes out of them.",
        discussion: """
            --port N=SOCKET attaches to external port N of e2 switch (its memif socket). Flows come from 10.0.0.0/24 with \\
            heavy-tailed sizes; the fig13 mix sends web traffic to the Internet (60%) and to corp_net 192.0.2.0/24 (25%), \\
            telnet (10%, which the firewall drops) and DNS carrying 'attack' (5%, which the IDS drops). \\
            --status FILE is rewritten twice a second with the counts (JSON); the same JSON is printed at the end.
            """
    )

    @Option(help: "N=SOCKET: external port N's memif socket (repeatable).") var port: [String] = []
    @Option(help: "Ports to send into (repeatable; the others only count).") var send: [Int] = []
    @Option(help: "Packets per second in all.") var rate: Double = 2000
    @Option(help: "Concurrent flows.") var flows: Int = 200
    @Option(help: "Stop after this many seconds (0: until SIGTERM).") var seconds: Double = 0
    @Option(help: "A file rewritten twice a second with the counts (JSON).") var status: String?
    @Option(help: "The CPU to run on.") var cpu: Int = 1
    @Option(help: "The traffic mix: fig13 (subscribers to the Internet and corp_net) or fig14 (a private network to web, DNS and telnet servers).")
    var mix: Mix = .fig13

    enum Mix: String, ExpressibleByArgument {
        case fig13, fig14

        /// The classes of flows, their names, and the /24 the flows come from.
        var classes: (classes: [TrafficMix.FlowClass], names: [String], source: UInt32) {
            switch self {
            case .fig13:
                ([TrafficMix.FlowClass(destination: 0xC633_6400, destinations: 250, proto: 6, port: 80, payload: Array("GET / HTTP/1.1".utf8), weight: 60),
                  TrafficMix.FlowClass(destination: 0xC000_0200, destinations: 250, proto: 6, port: 80, payload: Array("GET /corp HTTP/1.1".utf8), weight: 25),
                  TrafficMix.FlowClass(destination: 0xC633_6400, destinations: 250, proto: 6, port: 23, payload: Array("login".utf8), weight: 10),
                  TrafficMix.FlowClass(destination: 0xC633_6400, destinations: 250, proto: 17, port: 53, payload: Array("an attack".utf8), weight: 5)],
                 ["web", "corp_net", "telnet", "dns-attack"], 0x0A00_0000)
            case .fig14:
                ([TrafficMix.FlowClass(destination: 0xC633_6400, destinations: 250, proto: 6, port: 80, payload: Array("GET / HTTP/1.1".utf8), weight: 60),
                  TrafficMix.FlowClass(destination: 0xC633_6400, destinations: 250, proto: 17, port: 53, payload: Array("query".utf8), weight: 30),
                  TrafficMix.FlowClass(destination: 0xC633_6400, destinations: 250, proto: 6, port: 23, payload: Array("login".utf8), weight: 10)],
                 ["web", "dns", "telnet"], 0x0A0C_1E00)
            }
        }
    }

    struct Counts: Codable {
        var sent: [String: UInt64] = [:]
        var received: [String: UInt64] = [:]
        var sentPerClass: [String: UInt64] = [:]
        var flowsStarted: UInt64 = 0
        var seconds: Double = 0
        var linksUp: [String: Bool] = [:]
        /// Flows seen leaving each port in the last 5 s.
        var flowsOut: [String: Int] = [:]
        /// Packets received per flow, for the flows seen most (source, destination, ports).
        var topFlows: [String: UInt64] = [:]
    }

    func run() throws {
        var sockets: [(number: Int, socket: String)] = []
        for entry in port {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let number = Int(parts[0]) else { throw ValidationError("--port \(entry): expected N=SOCKET") }
            sockets.append((number, String(parts[1])))
        }
        guard !sockets.isEmpty else { throw ValidationError("give at least one --port") }
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        var options = EALOptions.forThisMachine(filePrefix: "e2traffic-\(getpid())", memoryMegabytes: 128,
                                                virtualDevices: sockets.map { "net_memif_t\($0.number),role=client,socket=\($0.socket),id=0" })
        options.lcores = "0@\(cpu)"
        try EAL.start(options)
        let pool = try PacketPool(name: "traffic", count: 8191)
        let ports = try sockets.map { (number: $0.number, port: try EthernetPort(named: "net_memif_t\($0.number)", pool: pool)) }
        let (classes, classNames, source) = self.mix.classes
        var mix = TrafficMix(classes: classes, sourceBase: source, concurrent: max(1, flows))
        var counts = Counts()
        let senders = ports.filter { send.contains($0.number) }
        // The sink side: flows per receiving port, idle after 5 s.
        let trackers = Dictionary(uniqueKeysWithValues: ports.map { ($0.number, FlowTracker(capacity: 1 << 16)) })
        let ticksPerSecond: UInt64 = 1_000_000_000
        var burst = PacketBurst(capacity: 32)
        let start = ContinuousClock.now
        var lastStatus = start
        var sentTotal: UInt64 = 0
        let watch = ParentWatch()
        func stopRequested() -> Bool {
            if watch.parentGone { return true }
            if seconds > 0, ContinuousClock.now - start >= .milliseconds(Int(seconds * 1000)) { return true }
            var pending = sigset_t()
            sigpending(&pending)
            return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1
        }
        var rounds = 0
        while true {
            rounds += 1
            if rounds & 63 == 0, stopRequested() { break }
            let elapsed = ContinuousClock.now - start
            let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            var due = Int(elapsedSeconds * rate) - Int(sentTotal)
            var moved = 0
            for sender in senders where due > 0 && sender.port.linkUp {
                let count = min(32, due)
                guard burst.allocate(count, from: pool) else { break }
                for index in 0..<count { _ = mix.fill(burst[index]) }
                let went = sender.port.send(&burst)
                counts.sent[String(sender.number), default: 0] += UInt64(went)
                sentTotal += UInt64(count)  // refused packets count as due-and-gone: the rate stays the offered rate
                due -= count
                moved += went
            }
            for entry in ports {
                let count = entry.port.receive(into: &burst)
                if count > 0 {
                    counts.received[String(entry.number), default: 0] += UInt64(count)
                    moved += count
                    let now = UInt64((ContinuousClock.now - start).components.seconds) * ticksPerSecond
                        + UInt64((ContinuousClock.now - start).components.attoseconds / 1_000_000_000)
                    for index in 0..<count {
                        if let key = FlowKey(packet: burst[index]) { trackers[entry.number]?.record(key, length: PacketBytes.length(burst[index]), now: now) }
                    }
                    burst.free()
                }
            }
            if ContinuousClock.now - lastStatus >= .milliseconds(500) {
                lastStatus = ContinuousClock.now
                counts.seconds = elapsedSeconds
                counts.flowsStarted = mix.flowsStarted
                counts.sentPerClass = Dictionary(uniqueKeysWithValues: zip(classNames, mix.sentPerClass))
                counts.linksUp = Dictionary(uniqueKeysWithValues: ports.map { (String($0.number), $0.port.linkUp) })
                let now = UInt64(elapsedSeconds * Double(ticksPerSecond))
                for (number, tracker) in trackers {
                    tracker.expire(idle: 5 * ticksPerSecond, now: now)
                    if tracker.activeFlows > 0 { counts.flowsOut[String(number)] = tracker.activeFlows }
                }
                if let status { try? JSONEncoder().encode(counts).write(to: URL(fileURLWithPath: status + ".tmp")); rename(status + ".tmp", status) }
            }
            if moved == 0 { usleep(200) }
        }
        counts.seconds = Double((ContinuousClock.now - start).components.seconds)
        counts.flowsStarted = mix.flowsStarted
        counts.sentPerClass = Dictionary(uniqueKeysWithValues: zip(classNames, mix.sentPerClass))
        for (number, tracker) in trackers {
            for (key, flow) in tracker.flows.sorted(by: { $0.flow.packets > $1.flow.packets }).prefix(10) {
                func address(_ value: UInt128) -> String {
                    value >> 32 == 0 ? (0..<4).map { String(UInt8(truncatingIfNeeded: value >> UInt128(24 - 8 * $0))) }.joined(separator: ".") : String(value, radix: 16)
                }
                counts.topFlows["port \(number) \(address(key.sourceAddress)):\(key.sourcePort) > \(address(key.destinationAddress)):\(key.destinationPort)"] = flow.packets
            }
        }
        print(try JSONOutput.encode(counts))
    }
}
