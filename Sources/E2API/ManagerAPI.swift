/// The manager's resources under `/v1` and its operational endpoints, as one router.
public final class ManagerAPI: Sendable {
    let router: HTTPRouter

    public init() {
        var router = HTTPRouter()
        router.add("GET", "/healthz") { _, _ in .json(["status": "ok"]) }
        router.add("GET", "/readyz") { _, _ in .json(["status": "ready"]) }
        router.add("GET", "/v1/api-versions") { _, _ in .json(["versions": ["v1"]]) }
        self.router = router
    }

    public func respond(_ request: HTTPRequest) -> HTTPResponse {
        router.respond(to: request)
    }
}
