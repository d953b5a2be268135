import E2Dataplane
import Foundation

/// Legacy NF instances (§4): unmodified Linux on ordinary interfaces. The NF ends of the
/// instance's legacy vports (veth pairs E2D created) move into a network namespace of its
/// own, where Linux traffic control (`tc`, an ingress qdisc with a mirred redirect) sends
/// everything arriving on each input out of the first output: the `Proxy` of fig14 as a
/// transparent middlebox. A Linux bridge was tried first; its own IGMP reports joined the
/// traffic. Another program could take the namespace's place.
public enum LegacyNF {
    /// The namespace of an instance.
    public static func namespace(prefix: String, instance: String) -> String {
        String((prefix + "-" + instance).map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }.prefix(60))
    }

    /// Moves the instance's interfaces into a new namespace and bridges them.
    public static func start(_ instance: ServerWiring.Instance, namespace: String) throws {
        let interfaces = (instance.inputOrder + instance.outputOrder).compactMap { instance.interfaces[$0] }
        guard !interfaces.isEmpty else { throw WiringError("\(instance.id): a legacy NF without interfaces") }
        stop(namespace: namespace)
        try NetworkTool.ip(["netns", "add", namespace])
        // No IPv6 in the namespace: its router solicitations and MLD would join the traffic.
        for setting in ["all", "default"] {
            try NetworkTool.ip(["netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.\(setting).disable_ipv6=1"])
        }
        for interface in interfaces {
            try NetworkTool.ip(["link", "set", interface, "netns", namespace])
            try NetworkTool.ip(["-n", namespace, "link", "set", interface, "up"])
        }
        let inputs = instance.inputOrder.compactMap { instance.interfaces[$0] }
        guard let output = instance.outputOrder.first.flatMap({ instance.interfaces[$0] }) else { throw WiringError("\(instance.id): no output interface") }
        for input in inputs {
            try NetworkTool.tc(["qdisc", "add", "dev", input, "ingress"], namespace: namespace)
            try NetworkTool.tc(["filter", "add", "dev", input, "ingress", "protocol", "all", "u32", "match", "u32", "0", "0",
                                "action", "mirred", "egress", "redirect", "dev", output], namespace: namespace)
        }
    }

    /// Removes the namespace (the interfaces in it go back with their veth pairs' deletion).
    public static func stop(namespace: String) {
        try? NetworkTool.ip(["netns", "del", namespace])
    }
}
