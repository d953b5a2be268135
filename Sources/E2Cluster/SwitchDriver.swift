import E2API
import E2Dataplane
import E2Engine
import Foundation
import Synchronization

/// How the manager programs the rack switch. `SoftwareSwitchDriver` programs `e2 switch`; a
/// driver for a real switch would translate the same rules to its API.
public protocol SwitchDriver: Sendable {
    /// Replaces the switch's rules with those of `plan`.
    func program(_ plan: ClusterPlan, context: PolicyContext, catalog: NFCatalog, ruleUpdateMs: Double) throws
}

/// Programs `e2 switch` through its control socket: the plan's switch rules compiled into its
/// module graph, changed in place with one batch (rules that stay keep their counters, flow
/// steering keeps its flows). A real switch takes time per rule; the driver
/// models it by waiting `ruleUpdateMs` per flow-table entry before the change takes effect.
public struct SoftwareSwitchDriver: SwitchDriver {
    public let socket: String

    public init(socket: String) {
        self.socket = socket
    }

    public func program(_ plan: ClusterPlan, context: PolicyContext, catalog: NFCatalog, ruleUpdateMs: Double) throws {
        let client = try DataplaneControlClient(path: socket)
        let running = try client.configuration()
        // The switch's ports are named ext<N> (external) and srv<N> (to servers).
        var ports: [Int: DataplaneConfiguration.Port] = [:]
        for port in running.ports {
            for prefix in ["ext", "srv"] where port.name.hasPrefix(prefix) {
                if let number = Int(port.name.dropFirst(prefix.count)) { ports[number] = port }
            }
        }
        let tags = try TagAssignments(portGroups: Array(context.portGroups.keys), catalog: catalog)
        let wanted = try SwitchWiringCompiler(context: context, catalog: catalog, tags: tags, ports: ports).compile(plan.interconnection)
        let delay = Double(plan.interconnection.flowTableEntriesUsed) * ruleUpdateMs / 1000
        if delay > 0 { Thread.sleep(forTimeInterval: min(delay, 5)) }
        // In place, so that rules that stay keep their counters and steering its flows.
        var target = running
        target.modules = wanted.modules
        target.links = wanted.links
        if let requests = ConfigurationDiff.requests(from: running, to: target) {
            if !requests.isEmpty { try client.batch(requests) }
        } else {
            var requests = running.modules.map { ControlRequest(op: .removeModule, name: $0.name) }
            requests += wanted.modules.map { ControlRequest(op: .addModule, module: $0) }
            requests += wanted.links.map { ControlRequest(op: .addLink, link: $0) }
            try client.batch(requests)
        }
    }
}

/// The manager's side of the switch: programs it after every placement, coalescing bursts of
/// changes, on a thread of its own so that API requests never wait for the switch.
public final class SwitchDriverLink: Sendable {
    let store: ManagerStore
    let driver: any SwitchDriver
    private let pending = Mutex<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)

    public init(store: ManagerStore, socket: String) {
        self.store = store
        driver = SoftwareSwitchDriver(socket: socket)
        Thread.detachNewThread { [self] in loop() }
    }

    /// Asks for the switch to be programmed from the current state.
    public func programSoon() {
        pending.withLock { $0 = true }
        wake.signal()
    }

    private func loop() {
        while true {
            wake.wait()
            guard pending.withLock({ value in defer { value = false }; return value }) else { continue }
            do {
                let current = try ManagerAPI.currentPlan(store)
                try driver.program(current.plan, context: try PolicyContext(policies: current.policies), catalog: current.catalog,
                                   ruleUpdateMs: try store.hardware()?.hardware.switch.ruleUpdateMs ?? 0)
                FileHandle.standardError.write(Data("e2 manager: switch programmed (\(current.plan.interconnection.switchRules.count) rules)\n".utf8))
            } catch {
                FileHandle.standardError.write(Data("e2 manager: switch not programmed: \(error)\n".utf8))
            }
        }
    }
}
