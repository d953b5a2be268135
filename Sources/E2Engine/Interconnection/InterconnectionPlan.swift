/// How the placed iGraph is wired (§5.2): per server, the vports of each instance and the
/// classification stages on their outputs; tunnels between servers (NSH service path and
/// index); the rules of the switch, counted against its flow table. The input of E2D and of
/// the switch driver.
public struct InterconnectionPlan: Sendable, Equatable, Codable {
    public struct InstancePorts: Sendable, Equatable, Codable {
        public var id: String
        public var type: String
        public var api: NFDescription.API
        public var inputs: [String]
        public var outputs: [String]
    }

    /// Where a rule sends a packet.
    public struct NextHop: Sendable, Equatable, Codable {
        public enum Kind: String, Sendable, Codable {
            /// An instance on the same server: straight to its input vport.
            case vport
            /// An instance on another server: NSH-encapsulated to the switch.
            case tunnel
            /// An external port group, through the switch.
            case egress
            case drop
            /// Copies to every rule of a Tee.
            case tee
            /// An NF offloaded to the switch, reached on its service path.
            case switchFunction
        }
        public var kind: Kind
        /// The instance (vport, tunnel), port group (egress) or Tee.
        public var target: String?
        public var vport: String?
        /// NSH service path index of a tunnel or egress; the receiving side maps it to a vport.
        public var servicePath: Int?
        public var serviceIndex: Int?
    }

    /// One rule of a classification stage: packets matching `filter` (and, when the next NF is
    /// split, whose flow ID is in range) go to `next`.
    public struct Rule: Sendable, Equatable, Codable {
        public var filter: String?
        public var flowIDs: [Int]?
        public var hashFields: [HeaderField]?
        /// Metadata tags to add (filter_in with the metadata method).
        public var addTags: [String]?
        public var next: NextHop
        /// For rules on a legacy NF's output: the port group the rule's pipelet enters by, when
        /// it is one. Tags do not survive a legacy NF, and later stages may tell pipelets
        /// apart by their ingress (`ingress int`), so E2D tags the packets with it again.
        public var ingressGroup: String? = nil
    }

    /// The classifier E2D runs on one output vport of an instance (or on a server's NIC for
    /// traffic arriving from the switch).
    public struct Stage: Sendable, Equatable, Codable {
        public var instance: String
        public var vport: String
        /// Fields steering may rely on: a mangling NF's outputs exclude what it rewrites.
        public var steeringFields: [HeaderField]
        public var rules: [Rule]
    }

    /// Traffic arriving at a server on a service path, delivered to a local vport.
    public struct Arrival: Sendable, Equatable, Codable {
        public var servicePath: Int
        public var instance: String
        public var vport: String
        /// Tags to strip before the NF sees the packet (none for native NFs, which read them).
        public var stripTags: Bool
    }

    public struct ServerPlan: Sendable, Equatable, Codable {
        public var server: String
        public var switchPort: Int
        public var instances: [InstancePorts]
        public var stages: [Stage]
        public var arrivals: [Arrival]
    }

    /// A rule of the switch.
    public struct SwitchRule: Sendable, Equatable, Codable {
        public enum Match: String, Sendable, Codable {
            /// Traffic entering on external ports, optionally a flow-ID range of it.
            case ingress
            /// NSH traffic from a server on a service path.
            case servicePath
        }
        public var match: Match
        /// The external ports matched (ingress) or the service path (servicePath).
        public var ports: [Int]?
        /// The header filter of the pGraph edge (5-tuple fields the switch matches).
        public var filter: String?
        public var flowIDs: [Int]?
        public var hashFields: [HeaderField]?
        public var servicePath: Int?
        /// Encapsulate with this service path (ingress to a server), or strip NSH (egress).
        public var encapsulate: Int?
        public var decapsulate: Bool
        /// The switch action applied (an offloaded NF), after which `switchStages` classify.
        public var action: String?
        /// Output: a server's switch port, or the external ports of a group.
        public var outputPorts: [Int]
        /// Flow-table entries the rule takes: one per matched ingress port.
        public var entries: Int
    }

    public var servers: [ServerPlan]
    /// Classification after offloaded NFs, run by the switch; one entry per rule.
    public var switchStages: [Stage]
    public var switchRules: [SwitchRule]
    public var flowTableEntriesUsed: Int
    public var flowTableEntries: Int
}
