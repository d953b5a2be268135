import E2Engine
import Foundation

/// `/v1/subscriptions`: webhooks to the controller, checked before they are accepted.
extension ManagerAPI {
    static let eventTypes = ["placement", "overload", "split", "failure", "recovery"]

    struct SubscriptionRequest: Decodable {
        var callback: String
        var secret: String
        var events: [String]?

        private enum CodingKeys: String, CodingKey, CaseIterable { case callback, secret, events }

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            callback = try container.decode(String.self, forKey: .callback)
            secret = try container.decode(String.self, forKey: .secret)
            events = try container.decodeUnlessAbsent([String].self, forKey: .events)
        }
    }

    static func subscriptionBody(_ subscription: ManagerStore.Subscription) -> [String: ProblemValue] {
        ["id": .number(Double(subscription.id)), "callback": .string(subscription.callback),
         "events": .array(subscription.events.map { .string($0) }), "etag": .string(etag(subscription.version))]
    }

    static func addSubscriptionRoutes(_ router: inout HTTPRouter, _ store: ManagerStore) {
        router.add("POST", "/v1/subscriptions") { request, _ in
            try requireContentType(request, ["application/json"])
            let body = try decodeBody(SubscriptionRequest.self, from: request)
            guard let url = URLComponents(string: body.callback), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw Problem(status: 422, detail: "callback '\(body.callback)' is not an http:// or https:// URL", extensions: ["path": .string("$.callback")])
            }
            guard body.secret.count >= 16 else {
                throw Problem(status: 422, detail: "the secret must be at least 16 characters (it signs every delivery)", extensions: ["path": .string("$.secret")])
            }
            let unknown = (body.events ?? []).filter { !eventTypes.contains($0) }
            guard unknown.isEmpty else {
                throw Problem(status: 422, detail: "unknown event types \(unknown); known: \(eventTypes.joined(separator: ", "))", extensions: ["path": .string("$.events")])
            }
            // The callback must prove it wants deliveries: a GET answered with 204.
            let challenge = HMACSignature.randomHex(16)
            let separator = body.callback.contains("?") ? "&" : "?"
            let status: Int
            do {
                status = try HTTPClient.send("GET", body.callback + separator + "e2-check=" + challenge, headers: [("X-E2-Check", challenge)])
            } catch {
                throw Problem(status: 422, detail: "the callback check failed: \(error)")
            }
            guard status == 204 else {
                throw Problem(status: 422, detail: "the callback answered the check GET with \(status); it must answer 204 to be accepted")
            }
            let subscription = try store.addSubscription(callback: body.callback, secret: body.secret, events: body.events ?? [])
            return .json(subscriptionBody(subscription), status: 201, headers: [("Location", "/v1/subscriptions/\(subscription.id)"), ("ETag", etag(subscription.version))])
        }
        router.add("GET", "/v1/subscriptions") { _, _ in
            .json(["subscriptions": .array(try store.subscriptions().map { .object(subscriptionBody($0)) })] as [String: ProblemValue])
        }
        router.add("GET", "/v1/subscriptions/{id}") { _, parameters in
            guard let id = Int64(parameters["id"] ?? ""), let subscription = try store.subscriptions().first(where: { $0.id == id }) else {
                throw Problem(status: 404, detail: "no subscription \(parameters["id"] ?? "")")
            }
            return .json(subscriptionBody(subscription), headers: [("ETag", etag(subscription.version))])
        }
        router.add("DELETE", "/v1/subscriptions/{id}") { request, parameters in
            guard let id = Int64(parameters["id"] ?? ""), let subscription = try store.subscriptions().first(where: { $0.id == id }) else {
                throw Problem(status: 404, detail: "no subscription \(parameters["id"] ?? "")")
            }
            try checkIfMatch(request, current: subscription.version)
            try store.deleteSubscription(id)
            return HTTPResponse(status: 204)
        }
    }
}
