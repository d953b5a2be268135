import Foundation

/// Maps method and path to a handler; `{name}` segments capture parameters.
///
/// Unknown paths answer 404 and known paths with another method 405 with `Allow`, both as
/// problem+json; HEAD runs the GET handler. A handler's `Problem` becomes its response;
/// any other error a 500 that names no internals.
public struct HTTPRouter: Sendable {
    public typealias Handler = @Sendable (HTTPRequest, [String: String]) throws -> HTTPResponse

    struct Route: Sendable {
        var method: String
        var segments: [String]
        var handler: Handler
    }

    private var routes: [Route] = []

    public init() {}

    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        routes.append(Route(method: method, segments: pattern.split(separator: "/").map(String.init), handler: handler))
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        respondWithRoute(to: request).response
    }

    /// The response and the pattern of the route that produced it (`/v1/nf-types/{name}`),
    /// or `unmatched`: metrics label requests by route, not by path, to keep labels bounded.
    public func respondWithRoute(to request: HTTPRequest) -> (response: HTTPResponse, route: String) {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        let path = segments.last == "" && segments.count > 1 ? Array(segments.dropLast()) : segments
        var allowed: [String] = []
        for route in routes {
            guard let parameters = Self.match(route.segments, path) else { continue }
            allowed.append(route.method)
            let method = request.method == "HEAD" ? "GET" : request.method
            guard route.method == method else { continue }
            let pattern = "/" + route.segments.joined(separator: "/")
            do {
                return (try route.handler(request, parameters), pattern)
            } catch let problem as Problem {
                return (problem.response, pattern)
            } catch {
                return (Problem(status: 500, detail: "the request failed inside the manager; see its log").response, pattern)
            }
        }
        guard allowed.isEmpty else {
            let allow = Set(allowed + (allowed.contains("GET") ? ["HEAD"] : [])).sorted().joined(separator: ", ")
            var response = Problem(status: 405, detail: "\(request.method) is not allowed on \(request.path); allowed: \(allow)").response
            response.headers.append(("Allow", allow))
            return (response, "unmatched")
        }
        return (Problem(status: 404, detail: "no resource at \(request.path)").response, "unmatched")
    }

    static func match(_ pattern: [String], _ path: [String]) -> [String: String]? {
        guard pattern.count == path.count else { return nil }
        var parameters: [String: String] = [:]
        for (expected, actual) in zip(pattern, path) {
            if expected.hasPrefix("{") && expected.hasSuffix("}") {
                guard !actual.isEmpty, let decoded = actual.removingPercentEncoding else { return nil }
                parameters[String(expected.dropFirst().dropLast())] = decoded
            } else if expected != actual {
                return nil
            }
        }
        return parameters
    }
}
