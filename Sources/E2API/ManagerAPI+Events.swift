import E2Engine
import Foundation

/// `/v1/events`: a Server-Sent Events stream of what changes in the cluster.
extension ManagerAPI {
    struct PlacementEvent: Encodable {
        var reason: String
        var instances: Int
        var servers: [String: [String]]
        var figures: PlanFigures?
        var problem: String?
    }

    /// Publishes the placement the current state leads to, after a change was committed.
    func publishPlacement(reason: String) {
        var event = PlacementEvent(reason: reason, instances: 0, servers: [:], figures: nil, problem: nil)
        if let status = try? Self.status(store) {
            event.instances = status.instances.count
            event.servers = Dictionary(uniqueKeysWithValues: status.servers.filter { !$0.instances.isEmpty }.map { ($0.name, $0.instances) })
            event.figures = status.figures
            event.problem = status.problem
        }
        events.publish("placement", event)
        placementObserver?()
    }

    /// The stream: events after `Last-Event-ID` (or `?since=`), then new ones as they come,
    /// with a comment every 15 s so proxies and clients know the stream lives.
    static func eventStream(_ request: HTTPRequest, _ bus: EventBus) -> HTTPResponse {
        let start = Int(request.header("Last-Event-ID") ?? request.query["since"] ?? "") ?? bus.lastID
        var response = HTTPResponse(status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
        response.stream = { write in
            var last = start
            guard write(Array(": e2 events from \(last)\n\n".utf8)) else { return }
            var quiet = 0.0
            while !bus.isClosed {
                let pending = bus.events(after: last, timeout: 1)
                if pending.isEmpty {
                    quiet += 1
                    // An empty write still tells whether the client or the server has gone.
                    guard write(quiet >= 15 ? Array(": keep-alive\n\n".utf8) : []) else { return }
                    if quiet >= 15 { quiet = 0 }
                    continue
                }
                quiet = 0
                for event in pending {
                    let text = "id: \(event.id)\nevent: \(event.type)\ndata: \(event.data)\n\n"
                    guard write(Array(text.utf8)) else { return }
                    last = event.id
                }
            }
        }
        return response
    }
}
