import ArgumentParser
import E2Cluster
import E2Dataplane
import E2NF
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `e2 nf`: small NFs on E2D's vports, for tests and the Table 1 benchmark.
///
/// Native NFs attach to a native vport through `E2NF`; the legacy source and sink use an
/// ordinary Linux interface (a legacy vport's veth end) with AF_PACKET sockets, as any program would.
struct NFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nf",
        abstract: "Run an NF on E2D vports: nat, fw, ids, vpn, forward; or a traffic source or sink.",
        discussion: """
            Native NFs: --dataplane PREFIX --lcore N (nfLcore from vport.add) --input VPORT --output VPORT... (outputs in the \
            order of the NF description: fw has safe then unsafe). nat: --inside PREFIX --public ADDRESS. fw: --allow PORTS. \
            ids: --signature TEXT --tag-slot N. vpn: --key HEX --salt HEX --spi N --tunnel SOURCE,DESTINATION. \
            Sources and sinks: --vport NAME (native), --memif SOCKET, or --interface IF (a legacy vport's interface). \
            Prints JSON counts on exit (--seconds, SIGTERM or SIGINT).
            """
    )

    enum Kind: String, ExpressibleByArgument { case forward, source, sink, nat, fw, ids, vpn }

    @Argument(help: "nat, fw, ids, vpn, forward, source or sink.") var kind: Kind
    @Option(help: "E2D's DPDK file prefix (native NFs).") var dataplane: String?
    @Option(help: "The lcore ID E2D assigned to the vport (native NFs).") var lcore: Int = 1
    @Option(help: "The CPU to run on.") var cpu: Int = 0
    @Option(help: "The native vport to receive from (forward, sink) or send to (source).") var vport: String?
    @Option(help: "forward: the native vport to send to (default: the same vport).") var to: String?
    @Option(help: "The Linux interface of a legacy vport (legacy source and sink).") var interface: String?
    @Option(help: "Attach through memif instead: the socket of an E2D port `net_memif...,role=server,socket=PATH` (measured against native vports).") var memif: String?
    @Option(help: "Frame size in bytes for source (64-1514).") var size: Int = 64
    @Option(help: "Distinct flows for source (source ports).") var flows: Int = 64
    @Option(help: "The first source port of the source's flows.") var portBase: Int = 1024
    @Option(help: "Packets for source to send (0: until stopped).") var count: Int = 0
    @Option(help: "Packets per second for source (0: as fast as it can).") var rate: Double = 0
    @Option(help: "Stop after this many seconds (0: until SIGTERM).") var seconds: Double = 0
    @Option(help: "An input vport of the NF (repeatable).") var input: [String] = []
    @Option(help: "An output vport of the NF, in the order of its description's outputs (repeatable).") var output: [String] = []
    @Option(help: "nat: the inside prefix, such as 10.12.30.0/24.") var inside: String = "10.0.0.0/8"
    @Option(name: .customLong("public"), help: "nat: the public address.") var publicAddress: String = "203.0.113.1"
    @Option(help: "fw: destination ports whose flows are safe, comma-separated.") var allow: String = "53,80,443"
    @Option(help: "ids: the byte string that makes a packet unsafe.") var signature: String = "attack"
    @Option(help: "ids: the tag slot of IDS.safe.") var tagSlot: Int = 1
    @Option(help: "vpn: the AES key in hex (16 or 32 bytes).") var key: String = "000102030405060708090a0b0c0d0e0f"
    @Option(help: "vpn: the 4-byte salt in hex.") var salt: String = "deadbeef"
    @Option(help: "vpn: the security parameter index.") var spi: UInt32 = 0x1000
    @Option(help: "vpn: the tunnel's source and destination addresses.") var tunnel: String = "198.51.100.1,198.51.100.2"

    struct Counts: Encodable {
        var kind: String
        var packets: UInt64
        var bytes: UInt64
        var seconds: Double
        var mpps: Double
        var gbps: Double
        var failed: UInt64
    }

    func validate() throws {
        guard (64...1514).contains(size) else { throw ValidationError("--size is 64-1514") }
        guard flows >= 1 && flows <= 65535 else { throw ValidationError("--flows is 1-65535") }
        guard [dataplane, interface, memif].compactMap({ $0 }).count == 1 else { throw ValidationError("give one of --dataplane (native), --interface (legacy) or --memif") }
        if dataplane != nil && vport == nil && input.isEmpty { throw ValidationError("a native NF needs --input (or --vport)") }
        if [.nat, .fw, .ids, .vpn].contains(kind) && (dataplane == nil || input.isEmpty || output.isEmpty) {
            throw ValidationError("\(kind.rawValue) runs on native vports: --dataplane, --input and --output")
        }
        if kind == .fw && output.count != 2 { throw ValidationError("fw has two outputs: --output SAFE --output UNSAFE") }
        if interface != nil && kind == .forward { throw ValidationError("a legacy forwarder is any Linux program on the interface; e2 nf has legacy source and sink only") }
    }

    func run() throws {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = seconds > 0 ? start + .milliseconds(Int(seconds * 1000)) : nil
        var checks = 0
        let watch = ParentWatch()
        let shouldStop = { () -> Bool in
            checks += 1
            guard checks & 255 == 0 else { return false }
            if watch.parentGone { return true }
            if let deadline, clock.now >= deadline { return true }
            var pending = sigset_t()
            sigpending(&pending)
            return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1
        }
        var counts = (packets: UInt64(0), bytes: UInt64(0), failed: UInt64(0))
        do {
            if let dataplane, !input.isEmpty {
                counts = try runFunction(dataplane: dataplane, shouldStop: shouldStop)
            } else if let dataplane {
                let nf = try NativeNF(dataplane: dataplane, lcore: lcore, cpu: cpu)
                let input = try nf.attach(vport!)
                let output = try to.map { try nf.attach($0) } ?? input
                counts = run(input, output, pool: nf.pool, shouldStop: shouldStop)
            } else if let memif {
                // An ordinary DPDK process of its own with a memif client port (copies at both ends).
                var options = EALOptions.forThisMachine(filePrefix: "e2nf-\(getpid())", memoryMegabytes: 256,
                                                        virtualDevices: ["net_memif_nf,role=client,socket=\(memif),id=0"])
                options.lcores = "\(lcore)@\(cpu)"
                try EAL.start(options)
                let pool = try PacketPool(name: "nf", count: 8191)
                let port = try EthernetPort(named: "net_memif_nf", pool: pool)
                counts = run(port, port, pool: pool, shouldStop: shouldStop)
            } else if let interface {
                counts = try runLegacy(LegacyInterfaceSocket(interface: interface), shouldStop: shouldStop)
            }
        } catch {
            FileHandle.standardError.write(Data("e2 nf: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let elapsed = clock.now - start
        let time = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(try JSONOutput.encode(Counts(kind: kind.rawValue, packets: counts.packets, bytes: counts.bytes, seconds: time,
                                           mpps: Double(counts.packets) / time / 1e6, gbps: Double(counts.bytes) * 8 / time / 1e9, failed: counts.failed)))
    }

    /// A native NF with a packet function, on its input and output vports.
    func runFunction(dataplane: String, shouldStop: () -> Bool) throws -> (UInt64, UInt64, UInt64) {
        let nf = try NativeNF(dataplane: dataplane, lcore: lcore, cpu: cpu)
        let inputs = try input.map { try nf.attach($0) }
        let outputs = try output.map { try nf.attach($0) }
        func run<Function: PacketFunction>(_ function: Function) -> (UInt64, UInt64, UInt64) {
            let runner = NFRunner(nf: nf, inputs: inputs, outputs: outputs, function: function)
            runner.run(shouldStop: shouldStop)
            FileHandle.standardError.write(Data("e2 nf \(kind.rawValue): \(runner.function.figures())\n".utf8))
            return (runner.received, runner.sent.reduce(0, +), runner.dropped)
        }
        switch kind {
        case .nat:
            let parts = inside.split(separator: "/")
            guard parts.count == 2, let prefix = Self.ipv4(String(parts[0])), let length = Int(parts[1]), (0...32).contains(length),
                  let address = Self.ipv4(publicAddress) else { throw ValidationError("nat: --inside A.B.C.D/N and --public A.B.C.D") }
            return run(NAT(inside: prefix, prefixLength: length, publicAddress: address))
        case .fw:
            let ports = allow.split(separator: ",").compactMap { UInt16($0.trimmingCharacters(in: .whitespaces)) }
            return run(Firewall(allowedPorts: Set(ports)))
        case .ids:
            guard (0..<8).contains(tagSlot), !signature.isEmpty else { throw ValidationError("ids: --tag-slot 0-7 and a non-empty --signature") }
            return run(IDS(signature: Array(signature.utf8), slot: tagSlot))
        case .vpn:
            let ends = tunnel.split(separator: ",").compactMap { Self.ipv4(String($0)) }
            guard let keyBytes = Self.hex(key), let saltBytes = Self.hex(salt), ends.count == 2 else {
                throw ValidationError("vpn: --key and --salt in hex, --tunnel SOURCE,DESTINATION")
            }
            return run(try VPNGateway(key: keyBytes, salt: saltBytes, spi: spi, tunnelSource: ends[0], tunnelDestination: ends[1]))
        case .forward:
            return run(Forwarder())
        case .source, .sink:
            throw ValidationError("\(kind.rawValue) uses --vport, not --input")
        }
    }

    static func ipv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        return parts.count == 4 ? parts.reduce(UInt32(0)) { $0 << 8 | UInt32($1) } : nil
    }

    static func hex(_ text: String) -> [UInt8]? {
        let digits = Array(text)
        guard digits.count % 2 == 0 else { return nil }
        let bytes = stride(from: 0, to: digits.count, by: 2).compactMap { UInt8(String(digits[$0...$0 + 1]), radix: 16) }
        return bytes.count == digits.count / 2 ? bytes : nil
    }

    /// The NF loop over any burst endpoint: a native vport, or a memif port.
    func run<Input: BurstEndpoint, Output: BurstEndpoint>(_ input: Input, _ output: Output, pool: PacketPool, shouldStop: () -> Bool) -> (UInt64, UInt64, UInt64) {
        var burst = PacketBurst(capacity: 32)
        let pacer = Pacer(rate: rate)
        var packets: UInt64 = 0, bytes: UInt64 = 0, failed: UInt64 = 0
        var idle = 0
        var flow = 0
        while !shouldStop() {
            var moved = 0
            switch kind {
            case .source:
                let wanted = count > 0 ? min(32, count - Int(packets)) : 32
                if wanted <= 0 { return (packets, bytes, failed) }
                pacer.wait(forPacketsSent: packets)
                guard burst.allocate(wanted, from: pool) else { moved = 0; break }
                for index in 0..<burst.count {
                    _ = PacketBytes.fillUDP(burst[index], sourcePort: UInt16(truncatingIfNeeded: portBase + flow), destinationPort: 9, length: size)
                    flow = (flow + 1) % flows
                }
                let sent = input.send(&burst)
                failed &+= UInt64(wanted - sent)
                packets &+= UInt64(sent)
                bytes &+= UInt64(sent * size)
                moved = sent
            case .sink:
                moved = input.receive(into: &burst)
                for index in 0..<moved { bytes &+= UInt64(PacketBytes.length(burst[index])) }
                packets &+= UInt64(moved)
                burst.free()
            case .forward, .nat, .fw, .ids, .vpn:
                moved = input.receive(into: &burst)
                guard moved > 0 else { break }
                for index in 0..<moved { bytes &+= UInt64(PacketBytes.length(burst[index])) }
                let sent = output.send(&burst)
                packets &+= UInt64(sent)
                failed &+= UInt64(moved - sent)
            }
            if moved > 0 { idle = 0 } else {
                idle += 1
                if idle > 64 { usleep(UInt32(min(1000, (idle - 64) * 10))) }
            }
        }
        return (packets, bytes, failed)
    }

    func runLegacy(_ socket: LegacyInterfaceSocket, shouldStop: () -> Bool) -> (UInt64, UInt64, UInt64) {
        let pacer = Pacer(rate: rate)
        var packets: UInt64 = 0, bytes: UInt64 = 0, failed: UInt64 = 0
        var idle = 0
        var flow = 0
        while !shouldStop() {
            var moved = 0
            if kind == .source {
                let wanted = count > 0 ? min(LegacyInterfaceSocket.batch, count - Int(packets)) : LegacyInterfaceSocket.batch
                if wanted <= 0 { break }
                pacer.wait(forPacketsSent: packets)
                for index in 0..<wanted {
                    PacketBytes.writeUDP(socket.frame(index), length: size, sourcePort: UInt16(truncatingIfNeeded: portBase + flow), destinationPort: 9)
                    flow = (flow + 1) % flows
                }
                moved = socket.send(count: wanted, length: size)
                failed &+= UInt64(wanted - moved)
                packets &+= UInt64(moved)
                bytes &+= UInt64(moved * size)
            } else {
                let received = socket.receiveCount()
                moved = received.frames
                packets &+= UInt64(received.frames)
                bytes &+= UInt64(received.bytes)
            }
            if moved > 0 { idle = 0 } else {
                idle += 1
                if idle > 64 { usleep(UInt32(min(1000, (idle - 64) * 10))) }
            }
        }
        return (packets, bytes, failed)
    }
}

/// Holds a source to a rate: before each burst, sleeps until the packets sent so far are due.
struct Pacer {
    let rate: Double
    let start = ContinuousClock.now

    func wait(forPacketsSent sent: UInt64) {
        guard rate > 0 else { return }
        let due = start + .microseconds(Int64(Double(sent) / rate * 1e6))
        let now = ContinuousClock.now
        if due > now {
            let gap = due - now
            usleep(UInt32(min(gap.components.seconds * 1_000_000 + gap.components.attoseconds / 1_000_000_000_000, 100_000)))
        }
    }
}

/// Where an NF receives and sends bursts.
protocol BurstEndpoint {
    func receive(into burst: inout PacketBurst) -> Int
    func send(_ burst: inout PacketBurst) -> Int
}

extension NFVport: BurstEndpoint {}
extension EthernetPort: BurstEndpoint {}
