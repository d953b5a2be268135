import E2Engine
import Foundation

/// `/v1/pipelets` (policy documents, text or JSON) and `/v1/pgraph`.
extension ManagerAPI {
    static let policyMediaType = "text/x-e2-policy"

    static func sources(_ records: [ManagerStore.PolicyDocumentRecord]) -> [PolicyChecker.SourceFile] {
        records.map { PolicyChecker.SourceFile(name: "pipelets/\($0.id)", text: $0.text) }
    }

    /// 422 with every diagnostic when the documents do not make a valid policy.
    @discardableResult
    static func checkPolicies(_ records: [ManagerStore.PolicyDocumentRecord], catalog: NFCatalog, what: String) throws -> PolicyGraph? {
        guard !records.isEmpty else { return nil }
        let result = PolicyChecker.check(sources(records), catalog: catalog)
        guard let graph = result.graph else {
            let errors = result.diagnostics.filter { $0.severity == .error }
            throw Problem(status: 422, title: "Invalid policy",
                          detail: "\(what) leaves an invalid policy: \(errors.first.map { "\($0.location): \($0.message)" } ?? "")" + (errors.count > 1 ? " (and \(errors.count - 1) more)" : ""),
                          extensions: ["diagnostics": .encoded(result.diagnostics)])
        }
        return graph
    }

    static func policyBody(_ record: ManagerStore.PolicyDocumentRecord) -> [String: ProblemValue] {
        ["id": .number(Double(record.id)), "text": .string(record.text), "etag": .string(etag(record.version))]
    }

    static func addPolicyRoutes(_ router: inout HTTPRouter, _ store: ManagerStore) {
        router.add("POST", "/v1/pipelets") { request, _ in
            try requireContentType(request, [policyMediaType, "application/json"])
            guard let body = String(validating: request.body, as: UTF8.self) else { throw Problem(status: 400, detail: "the body is not UTF-8 text") }
            var text = body
            if request.header("Content-Type")?.lowercased().hasPrefix("application/json") == true {
                let policy = try decodeBody(PolicyJSON.self, from: request)
                if let problem = policy.problems().first { throw invalid(problem) }
                text = policy.text()
            }
            let catalog = try store.catalog().catalog
            let record = try store.addPolicy(text) { records in try checkPolicies(records, catalog: catalog, what: "adding this document") }
            return .json(policyBody(record), status: 201, headers: [("Location", "/v1/pipelets/\(record.id)"), ("ETag", etag(record.version))])
        }
        router.add("GET", "/v1/pipelets") { _, _ in
            .json(["pipelets": .array(try store.policies().map { .object(policyBody($0)) })] as [String: ProblemValue])
        }
        router.add("GET", "/v1/pipelets/{id}") { request, parameters in
            let record = try findPolicy(parameters["id"], store)
            if request.header("Accept")?.contains(policyMediaType) == true {
                return HTTPResponse(status: 200, headers: [("Content-Type", policyMediaType), ("ETag", etag(record.version))], body: Array(record.text.utf8))
            }
            return .json(policyBody(record), headers: [("ETag", etag(record.version))])
        }
        router.add("DELETE", "/v1/pipelets/{id}") { request, parameters in
            let record = try findPolicy(parameters["id"], store)
            try checkIfMatch(request, current: record.version)
            let catalog = try store.catalog().catalog
            try store.deletePolicy(record.id) { remaining in try checkPolicies(remaining, catalog: catalog, what: "deleting document \(record.id)") }
            return HTTPResponse(status: 204)
        }
        router.add("GET", "/v1/pgraph") { request, _ in
            let graph = try currentGraph(store)
            if try wantsDOT(request) { return .text(graph.dot(), contentType: "text/vnd.graphviz") }
            return .json(graph)
        }
    }

    static func findPolicy(_ id: String?, _ store: ManagerStore) throws -> ManagerStore.PolicyDocumentRecord {
        guard let id, let number = Int64(id), let record = try store.policies().first(where: { $0.id == number }) else {
            throw Problem(status: 404, detail: "no policy document \(id ?? "")")
        }
        return record
    }

    static func currentGraph(_ store: ManagerStore) throws -> PolicyGraph {
        let records = try store.policies()
        guard let graph = try checkPolicies(records, catalog: try store.catalog().catalog, what: "the stored documents") else {
            throw Problem(status: 404, detail: "no policy has been submitted (POST /v1/pipelets)")
        }
        return graph
    }
}
