import E2API
import E2Engine
import Foundation

/// The agent's side of the manager's API (plain HTTP on the cluster's private network, or
/// loopback; with a controller token when the manager has tokens).
public struct ManagerClient: Sendable {
    public let base: String
    public let token: String?

    public init(base: String, token: String? = nil) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.token = token
    }

    var headers: [(String, String)] { token.map { [("Authorization", "Bearer \($0)")] } ?? [] }

    func call(_ method: String, _ path: String, json: Data? = nil) throws -> (status: Int, body: Data) {
        var headers = self.headers
        if json != nil { headers.append(("Content-Type", "application/json")) }
        do {
            let result = try HTTPClient.fetch(method, base + path, headers: headers, body: json.map { Array($0) } ?? [])
            return (result.status, Data(result.body))
        } catch {
            throw WiringError("\(method) \(path): \(error)")
        }
    }

    public func register(_ registration: AgentRegistration) throws {
        let result = try call("POST", "/v1/agents", json: try JSONEncoder().encode(registration))
        guard result.status == 200 || result.status == 201 else { throw WiringError("registering: \(result.status) \(String(decoding: result.body, as: UTF8.self))") }
    }

    /// A heartbeat; false when the manager does not know the agent (it must register again).
    public func heartbeat(_ name: String) throws -> Bool {
        let status = try call("PUT", "/v1/agents/\(name)/heartbeat").status
        if status == 404 { return false }
        guard status == 204 else { throw WiringError("heartbeat answered \(status)") }
        return true
    }

    public func report(_ name: String, kind: String, vport: String? = nil, instance: String? = nil, detail: String? = nil) {
        var body: [String: String] = ["kind": kind]
        body["vport"] = vport
        body["instance"] = instance
        body["detail"] = detail
        _ = try? call("POST", "/v1/agents/\(name)/events", json: try? JSONEncoder().encode(body))
    }

    /// What the cluster should run: the interconnection plan, the policy texts, the catalog;
    /// nil while the manager has no plan (no hardware or policy yet, or too little capacity).
    public func desiredState() throws -> (plan: InterconnectionPlan, policies: [String], catalog: NFCatalog)? {
        let placement = try call("GET", "/v1/placement")
        guard placement.status == 200 else { return nil }
        struct Placement: Decodable { var interconnection: InterconnectionPlan }
        struct Pipelets: Decodable {
            struct Pipelet: Decodable { var text: String }
            var pipelets: [Pipelet]
        }
        let plan = try JSONDecoder().decode(Placement.self, from: placement.body).interconnection
        let pipelets = try call("GET", "/v1/pipelets")
        let types = try call("GET", "/v1/nf-types")
        guard pipelets.status == 200, types.status == 200 else { return nil }
        return (plan, try JSONDecoder().decode(Pipelets.self, from: pipelets.body).pipelets.map(\.text),
                try JSONDecoder().decode(NFCatalog.self, from: types.body))
    }
}
