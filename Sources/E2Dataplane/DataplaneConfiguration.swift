import E2Engine
import Foundation

/// What `e2 dataplane --config FILE` runs: ports, and a classifier on each input port whose
/// rules send packets to output ports or drop them.
public struct DataplaneConfiguration: Codable, Sendable, Equatable, ValidatedDocument {
    public struct Port: Codable, Sendable, Equatable {
        /// The name rules use.
        public var name: String
        /// The DPDK device (`net_pcap0`, `net_ring0`, `net_null0`, `net_tap0`, ...).
        public var device: String
        /// The device's arguments (`rx_pcap=in.pcap,tx_pcap=out.pcap`).
        public var args: String?
    }

    public struct Rule: Codable, Sendable, Equatable {
        /// A libpcap filter.
        public var filter: String
        /// A port name, or `drop`.
        public var output: String
    }

    public struct Classifier: Codable, Sendable, Equatable {
        public var input: String
        public var rules: [Rule]
        /// Where packets matching no rule go: a port name, or `drop`.
        public var `default`: String
    }

    public var ports: [Port]
    public var classifiers: [Classifier]
    /// Memory for the EAL, in MiB.
    public var memoryMegabytes: Int?

    public init(ports: [Port], classifiers: [Classifier], memoryMegabytes: Int? = nil) {
        self.ports = ports
        self.classifiers = classifiers
        self.memoryMegabytes = memoryMegabytes
    }

    /// Everything inconsistent: names used twice, devices with arguments, outputs that are
    /// neither a port nor `drop`.
    public func problems() -> [DescriptionError] {
        var problems: [DescriptionError] = []
        var names: Set<String> = []
        for (index, port) in ports.enumerated() {
            if port.name == "drop" || !names.insert(port.name).inserted {
                problems.append(DescriptionError(path: "$.ports[\(index)].name", message: "port name \"\(port.name)\" is reserved or used twice"))
            }
            if port.device.isEmpty || port.device.contains(",") {
                problems.append(DescriptionError(path: "$.ports[\(index)].device", message: "a DPDK device name such as net_pcap0, without arguments"))
            }
        }
        var inputs: Set<String> = []
        for (index, classifier) in classifiers.enumerated() {
            if !names.contains(classifier.input) {
                problems.append(DescriptionError(path: "$.classifiers[\(index)].input", message: "no port named \"\(classifier.input)\""))
            } else if !inputs.insert(classifier.input).inserted {
                problems.append(DescriptionError(path: "$.classifiers[\(index)].input", message: "port \"\(classifier.input)\" already has a classifier"))
            }
            for (position, rule) in classifier.rules.enumerated() where rule.output != "drop" && !names.contains(rule.output) {
                problems.append(DescriptionError(path: "$.classifiers[\(index)].rules[\(position)].output", message: "no port named \"\(rule.output)\" (or use drop)"))
            }
            if classifier.default != "drop" && !names.contains(classifier.default) {
                problems.append(DescriptionError(path: "$.classifiers[\(index)].default", message: "no port named \"\(classifier.default)\" (or use drop)"))
            }
        }
        return problems
    }
}
