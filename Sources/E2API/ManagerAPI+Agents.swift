import E2Engine
import Foundation
import Synchronization

/// Heartbeats of the server agents, kept in memory: registrations and failures are in
/// SQLite, but a heartbeat a second per agent need not reach the disk. After a restart every
/// registered agent gets a full timeout to be heard from again.
public final class AgentHeartbeats: Sendable {
    private let last = Mutex<[String: ContinuousClock.Instant]>([:])
    let started = ContinuousClock.now
    /// How long an agent may stay silent before it is declared failed.
    public let timeout: Duration

    public init(timeout: Duration = .seconds(3)) {
        self.timeout = timeout
    }

    func beat(_ agent: String) { last.withLock { $0[agent] = .now } }
    func forget(_ agent: String) { _ = last.withLock { $0.removeValue(forKey: agent) } }

    /// Seconds since the agent was last heard from (since the manager started if never).
    func age(_ agent: String) -> Double {
        let since = last.withLock { $0[agent] } ?? started
        let elapsed = ContinuousClock.now - since
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    var timeoutSeconds: Double { Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18 }
}

/// `/v1/agents`: servers' agents register, heartbeat and report events; the manager declares
/// an agent failed when its heartbeats stop, plans without its server, and uses it again when
/// it comes back (§5, §6).
extension ManagerAPI {
    struct AgentView: Encodable {
        var name: String
        var cores: Int
        var switchPort: Int
        var dataplane: String?
        var state: String
        var heartbeatAgeSeconds: Double
        var etag: String
    }

    func agentView(_ record: ManagerStore.AgentRecord) -> AgentView {
        AgentView(name: record.registration.name, cores: record.registration.cores, switchPort: record.registration.switchPort,
                  dataplane: record.registration.dataplane, state: record.failed ? "failed" : "alive",
                  heartbeatAgeSeconds: (heartbeats.age(record.registration.name) * 1000).rounded() / 1000, etag: Self.etag(record.version))
    }

    /// An event an agent relays (from its E2D, or about its NF processes).
    struct AgentEvent: Codable {
        var kind: String
        var vport: String?
        var instance: String?
        var detail: String?

        private enum CodingKeys: String, CodingKey, CaseIterable { case kind, vport, instance, detail }

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            kind = try container.decode(String.self, forKey: .kind)
            vport = try container.decodeUnlessAbsent(String.self, forKey: .vport)
            instance = try container.decodeUnlessAbsent(String.self, forKey: .instance)
            detail = try container.decodeUnlessAbsent(String.self, forKey: .detail)
        }
    }

    static let agentEventKinds = ["overload", "overloadCleared", "nfGone", "vportStalled", "vportRecovered", "nfRestarted"]

    func addAgentRoutes(_ router: inout HTTPRouter) {
        let store = self.store
        router.add("POST", "/v1/agents") { [self] request, _ in
            let registration = try Self.decode(AgentRegistration.self, from: request)
            let wasFailed = try store.agents().first { $0.registration.name == registration.name }?.failed ?? false
            let (record, created) = try store.putAgent(registration)
            heartbeats.beat(registration.name)
            if wasFailed { agentRecovered(registration.name) }
            return .json(agentView(record), status: created ? 201 : 200,
                         headers: [("Location", "/v1/agents/\(registration.name)"), ("ETag", Self.etag(record.version))])
        }
        router.add("GET", "/v1/agents") { [self] _, _ in
            .json(["agents": .encoded(try store.agents().map(agentView))] as [String: ProblemValue])
        }
        router.add("GET", "/v1/agents/{name}") { [self] _, parameters in
            let record = try agent(parameters["name"])
            return .json(agentView(record), headers: [("ETag", Self.etag(record.version))])
        }
        router.add("DELETE", "/v1/agents/{name}") { [self] request, parameters in
            let record = try agent(parameters["name"])
            try Self.checkIfMatch(request, current: record.version)
            try store.deleteAgent(record.registration.name)
            heartbeats.forget(record.registration.name)
            return HTTPResponse(status: 204)
        }
        router.add("PUT", "/v1/agents/{name}/heartbeat") { [self] request, parameters in
            let record = try agent(parameters["name"])
            guard request.body.isEmpty else { throw Problem(status: 415, detail: "a heartbeat has no body") }
            heartbeats.beat(record.registration.name)
            if record.failed { agentRecovered(record.registration.name) }
            return HTTPResponse(status: 204)
        }
        router.add("POST", "/v1/agents/{name}/events") { [self] request, parameters in
            let record = try agent(parameters["name"])
            try Self.requireContentType(request, ["application/json"])
            let event = try Self.decodeBody(AgentEvent.self, from: request)
            guard Self.agentEventKinds.contains(event.kind) else {
                throw Problem(status: 422, detail: "unknown event kind '\(event.kind)'; known: \(Self.agentEventKinds.joined(separator: ", "))", extensions: ["path": .string("$.kind")])
            }
            heartbeats.beat(record.registration.name)
            var payload: [String: String] = ["agent": record.registration.name, "kind": event.kind]
            payload["vport"] = event.vport
            payload["instance"] = event.instance
            payload["detail"] = event.detail
            events.publish(event.kind.hasPrefix("overload") ? "overload" : "failure", payload)
            if event.kind == "overload", let instance = event.instance { split(instance) }
            return HTTPResponse(status: 202)
        }
    }

    /// Scales out the NF of an overloaded instance (§5.4): one more instance, placed
    /// incrementally beside its neighbours while every other instance stays where it is; E2D's
    /// migration avoidance keeps active flows on the instances they were on. At most one split
    /// per NF per cooldown, and only when the cluster can hold it.
    func split(_ instance: String) {
        guard let current = try? Self.plan(store).plan, let node = current.instances.first(where: { $0.id == instance })?.nf else { return }
        let now = ContinuousClock.now
        let allowed = lastSplits.withLock { splits -> Bool in
            if let last = splits[node], now - last < splitCooldown { return false }
            splits[node] = now
            return true
        }
        guard allowed, let extras = try? store.extraInstances() else { return }
        let before = current.instances.filter { $0.nf == node }.count
        do {
            try store.setExtraInstances(node, (extras[node] ?? 0) + 1)
            let after = try Self.plan(store).plan.instances.filter { $0.nf == node }.count
            guard after > before else {
                try store.setExtraInstances(node, extras[node] ?? 0)  // not replicable: nothing to do
                return
            }
            events.publish("split", ["node": node, "instance": instance, "instances": String(after)])
            publishPlacement(reason: "\(node) split (\(instance) overloaded)")
        } catch {
            try? store.setExtraInstances(node, extras[node] ?? 0)
            events.publish("overload", ["node": node, "instance": instance, "kind": "splitRefused", "detail": "\(error)"])
        }
    }

    func agent(_ name: String?) throws -> ManagerStore.AgentRecord {
        guard let name, let record = try store.agents().first(where: { $0.registration.name == name }) else {
            throw Problem(status: 404, detail: "no agent named '\(name ?? "")' (POST /v1/agents registers one)")
        }
        return record
    }

    func agentRecovered(_ name: String) {
        guard (try? store.setAgentFailed(name, false)) == true else { return }
        events.publish("recovery", ["agent": name, "kind": "agentRecovered"])
        publishPlacement(reason: "agent \(name) recovered")
    }

    /// Declares agents failed whose heartbeats stopped: a `failure` event, then the placement
    /// without their servers. Called by the monitor thread.
    func checkHeartbeats() {
        guard let agents = try? store.agents() else { return }
        for record in agents where !record.failed {
            let age = heartbeats.age(record.registration.name)
            guard age > heartbeats.timeoutSeconds, (try? store.setAgentFailed(record.registration.name, true)) == true else { continue }
            events.publish("failure", ["agent": record.registration.name, "kind": "agentFailed",
                                       "detail": String(format: "no heartbeat for %.1f s", age)])
            publishPlacement(reason: "agent \(record.registration.name) failed")
        }
    }

    /// Starts the thread that watches heartbeats (every quarter of the timeout).
    public func startAgentMonitor() {
        let interval = max(0.05, heartbeats.timeoutSeconds / 4)
        Thread.detachNewThread { [self] in
            while !events.isClosed {
                Thread.sleep(forTimeInterval: interval)
                checkHeartbeats()
            }
        }
    }

    /// Servers whose agents failed: planning leaves them out.
    static func failedServers(_ store: ManagerStore) -> Set<String> {
        Set(((try? store.agents()) ?? []).filter(\.failed).map(\.registration.name))
    }
}
