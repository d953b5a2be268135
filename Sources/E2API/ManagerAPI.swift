import E2Engine
import Foundation
import Synchronization

/// The manager's resources under `/v1` and its operational endpoints.
///
/// Every change is committed to SQLite before its 2xx answer; bad input changes nothing. With
/// tokens, `/v1` needs a bearer token: `monitor` may read, `controller` may also write.
public final class ManagerAPI: Sendable {
    let router: HTTPRouter
    let store: ManagerStore
    let tokens: BearerTokens?
    public let metrics = RequestMetrics()
    public let events = EventBus()
    public let heartbeats: AgentHeartbeats
    /// When each NF last split, and how long before it may split again.
    let lastSplits = Mutex<[String: ContinuousClock.Instant]>([:])
    public let splitCooldown: Duration
    /// Called with every placement published (the switch driver programs the switch from it).
    let placementObserver: (@Sendable () -> Void)?

    public init(store: ManagerStore, tokens: BearerTokens? = nil, heartbeats: AgentHeartbeats = AgentHeartbeats(),
                placementObserver: (@Sendable () -> Void)? = nil, splitCooldown: Duration = .seconds(10)) {
        self.splitCooldown = splitCooldown
        self.store = store
        self.tokens = tokens
        self.heartbeats = heartbeats
        self.placementObserver = placementObserver
        var router = HTTPRouter()
        router.add("GET", "/healthz") { _, _ in .json(["status": "ok"]) }
        router.add("GET", "/readyz") { _, _ in .json(["status": "ready"]) }
        router.add("GET", "/v1/api-versions") { _, _ in .json(["versions": ["v1"]]) }
        Self.addDescriptionRoutes(&router, store)
        Self.addPolicyRoutes(&router, store)
        let cache = ResultCache()
        Self.addPlanRoutes(&router, store, cache: cache)
        Self.addStatusRoutes(&router, store, cache: cache, heartbeats: heartbeats)
        Self.addSubscriptionRoutes(&router, store)
        let bus = events
        router.add("GET", "/v1/events") { request, _ in Self.eventStream(request, bus) }
        self.router = router
        events.resume(after: Int((try? store.lastEventNumber()) ?? 0))
        // The agent routes need `self` (heartbeats, events): added once everything is set.
        var withAgents = router
        addAgentRoutes(&withAgents)
        agentRouter.withLock { $0 = withAgents }
    }

    /// The router with the agent routes (they capture `self`, so they come after init).
    let agentRouter = Mutex<HTTPRouter?>(nil)

    public func respond(_ request: HTTPRequest) -> HTTPResponse {
        let start = ContinuousClock.now
        let (response, route) = authorizedResponse(request)
        if (200..<300).contains(response.status), ["POST", "PUT", "DELETE"].contains(request.method),
           ["/v1/pipelets", "/v1/hardware", "/v1/nf-types"].contains(where: { request.path.hasPrefix($0) }) {
            publishPlacement(reason: "\(request.method) \(request.path)")
        }
        let elapsed = ContinuousClock.now - start
        metrics.record(method: request.method, route: route, status: response.status,
                       seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        return response
    }

    func authorizedResponse(_ request: HTTPRequest) -> (HTTPResponse, String) {
        if request.path == "/metrics" {
            guard ["GET", "HEAD"].contains(request.method) else {
                var response = Problem(status: 405, detail: "\(request.method) is not allowed on /metrics; allowed: GET, HEAD").response
                response.headers.append(("Allow", "GET, HEAD"))
                return (response, "/metrics")
            }
            if let tokens, tokens.role(of: request) == nil {
                return (Problem(status: 401, detail: "a bearer token is required (Authorization: Bearer TOKEN)").response, "/metrics")
            }
            return (.text(metrics.text() + Self.stateMetrics(store, heartbeats: heartbeats), contentType: "text/plain; version=0.0.4; charset=utf-8"), "/metrics")
        }
        if request.path.hasPrefix("/v1/"), let tokens {
            switch tokens.role(of: request) {
            case nil:
                return (Problem(status: 401, detail: "a bearer token is required (Authorization: Bearer TOKEN)").response, "unauthorized")
            case .monitor where !["GET", "HEAD"].contains(request.method):
                return (Problem(status: 403, detail: "the monitor role may only read; \(request.method) needs a controller token").response, "forbidden")
            default:
                break
            }
        }
        return (agentRouter.withLock { $0 } ?? router).respondWithRoute(to: request)
    }

    // MARK: Helpers shared by the resources

    /// The body as JSON of `type`, or a problem naming what is wrong and where.
    static func decode<T: ValidatedDocument>(_ type: T.Type, from request: HTTPRequest) throws -> T {
        try requireContentType(request, ["application/json"])
        do {
            return try T.decode(json: Data(request.body))
        } catch {
            throw invalid(error)
        }
    }

    /// The body decoded as `type`; a malformed body is a 422 problem naming its JSON path.
    static func decodeBody<T: Decodable>(_ type: T.Type, from request: HTTPRequest) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(request.body))
        } catch let error as DecodingError {
            throw invalid(DescriptionError(decoding: error))
        }
    }

    /// A 422 problem for a document that is wrong at a JSON path.
    static func invalid(_ problem: DescriptionError) -> Problem {
        Problem(status: 422, title: "Invalid document", detail: problem.description, extensions: ["path": .string(problem.path)])
    }

    static func requireContentType(_ request: HTTPRequest, _ accepted: [String]) throws {
        let type = (request.header("Content-Type") ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard accepted.contains(type) else {
            throw Problem(status: 415, detail: "Content-Type '\(type)' is not accepted here; use \(accepted.joined(separator: " or "))")
        }
    }

    static func etag(_ version: Int64) -> String { "\"\(version)\"" }

    /// `?format=` of the graph resources: json (the default) or dot; anything else is 400.
    static func wantsDOT(_ request: HTTPRequest) throws -> Bool {
        switch request.query["format"] {
        case nil, "json": return false
        case "dot": return true
        case let other?: throw Problem(status: 400, detail: "format '\(other)' is not json or dot")
        }
    }

    /// 412 when `If-Match` names another version (or any, for a resource that does not exist).
    static func checkIfMatch(_ request: HTTPRequest, current: Int64?) throws {
        guard let condition = request.header("If-Match") else { return }
        let tags = condition.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if tags.contains("*") && current != nil { return }
        guard let current, tags.contains(etag(current)) else {
            throw Problem(status: 412, detail: "If-Match \(condition) does not match the current version" + (current.map { " \(etag($0))" } ?? " (there is none)"))
        }
    }
}
