import E2Engine
import Foundation

/// `/v1/nf-types` and `/v1/hardware`.
extension ManagerAPI {
    static func addDescriptionRoutes(_ router: inout HTTPRouter, _ store: ManagerStore) {
        router.add("GET", "/v1/nf-types") { _, _ in
            let (catalog, versions) = try store.catalog()
            return .json(catalog, headers: [("ETag", etag(versions.values.max() ?? 0))])
        }
        router.add("PUT", "/v1/nf-types") { request, _ in
            let catalog = try decode(NFCatalog.self, from: request)
            try store.replaceCatalog(catalog) { transaction in
                try checkIfMatch(request, current: try store.catalog(in: transaction).versions.values.max() ?? 0)
                try checkPolicies(try store.policies(in: transaction), catalog: catalog, what: "replacing the NF descriptions")
            }
            return .json(catalog, headers: [("ETag", etag(try store.catalog().versions.values.max() ?? 0))])
        }
        router.add("GET", "/v1/nf-types/{name}") { _, parameters in
            let (catalog, versions) = try store.catalog()
            guard let name = parameters["name"], let nf = catalog[name] else {
                throw Problem(status: 404, detail: "no NF type '\(parameters["name"] ?? "")'")
            }
            return .json(nf, headers: [("ETag", etag(versions[name] ?? 0))])
        }
        router.add("PUT", "/v1/nf-types/{name}") { request, parameters in
            try requireContentType(request, ["application/json"])
            let name = parameters["name"] ?? ""
            let nf = try decodeBody(NFDescription.self, from: request)
            guard nf.name == name else { throw Problem(status: 422, detail: "the body describes '\(nf.name)' but the URL names '\(name)'") }
            if let problem = nf.problems(at: "$").first { throw invalid(problem) }
            let existed = try store.catalog().versions[name] != nil
            let version = try store.putNF(nf) { transaction in
                let (catalog, versions) = try store.catalog(in: transaction)
                try checkIfMatch(request, current: versions[name])
                var updated = catalog
                updated.nfs.removeAll { $0.name == name }
                updated.nfs.append(nf)
                try checkPolicies(try store.policies(in: transaction), catalog: updated, what: "changing NF type \(name)")
            }
            var response = HTTPResponse.json(nf, status: existed ? 200 : 201, headers: [("ETag", etag(version))])
            if !existed { response.headers.append(("Location", "/v1/nf-types/\(name)")) }
            return response
        }
        router.add("DELETE", "/v1/nf-types/{name}") { request, parameters in
            let name = parameters["name"] ?? ""
            let (catalog, versions) = try store.catalog()
            guard catalog[name] != nil else { throw Problem(status: 404, detail: "no NF type '\(name)'") }
            try store.deleteNF(name) { transaction in
                try checkIfMatch(request, current: versions[name])
                try checkPolicies(try store.policies(in: transaction), catalog: NFCatalog(nfs: catalog.nfs.filter { $0.name != name }), what: "deleting NF type \(name)")
            }
            return HTTPResponse(status: 204)
        }
        router.add("GET", "/v1/hardware") { _, _ in
            guard let (hardware, version) = try store.hardware() else { throw Problem(status: 404, detail: "no hardware description has been submitted") }
            return .json(hardware, headers: [("ETag", etag(version))])
        }
        router.add("PUT", "/v1/hardware") { request, _ in
            let hardware = try decode(HardwareDescription.self, from: request)
            let existed = try store.hardware() != nil
            let version = try store.putHardware(hardware) { transaction in try checkIfMatch(request, current: try store.hardware(in: transaction)?.version) }
            return .json(hardware, status: existed ? 200 : 201, headers: [("ETag", etag(version))])
        }
    }
}
