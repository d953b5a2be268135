import Foundation
import Synchronization

/// Delivers events to the subscribed callbacks: signed with HMAC-SHA256 of the body under the
/// subscription's secret (`X-E2-Signature: sha256=HEX`), retried with doubling back-off.
public final class WebhookDeliverer: Sendable {
    struct Pending {
        var subscription: ManagerStore.Subscription
        var event: EventBus.Event
        var attempt: Int
        var due: Date
    }

    let store: ManagerStore
    let bus: EventBus
    /// Seconds before the first retry; each further retry waits twice as long.
    let firstRetry: Double
    let attempts: Int
    private let done = DispatchSemaphore(value: 0)
    /// Deliveries that failed for good, for status and tests.
    private let failures = Mutex<[String]>([])

    public init(store: ManagerStore, bus: EventBus, firstRetry: Double = 1, attempts: Int = 6) {
        self.store = store
        self.bus = bus
        self.firstRetry = firstRetry
        self.attempts = attempts
    }

    public var abandoned: [String] { failures.withLock { $0 } }

    /// Runs until the bus closes.
    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "e2-webhooks"
        thread.start()
    }

    /// Waits for the delivery thread to end after the bus closed.
    public func join() { done.wait() }

    private func run() {
        defer { done.signal() }
        var last = bus.lastID
        var pending: [Pending] = []
        while !bus.isClosed {
            let wait = pending.map { $0.due.timeIntervalSinceNow }.min().map { max(0.01, min(1, $0)) } ?? 1
            for event in bus.events(after: last, timeout: wait) {
                last = event.id
                let subscriptions = (try? store.subscriptions()) ?? []
                for subscription in subscriptions where subscription.events.isEmpty || subscription.events.contains(event.type) {
                    pending.append(Pending(subscription: subscription, event: event, attempt: 0, due: Date()))
                }
            }
            let now = Date()
            var later: [Pending] = []
            for var delivery in pending {
                guard delivery.due <= now else { later.append(delivery); continue }
                if deliver(delivery) { continue }
                delivery.attempt += 1
                if delivery.attempt >= attempts {
                    failures.withLock { $0.append("event \(delivery.event.id) to \(delivery.subscription.callback)") }
                    continue
                }
                delivery.due = now.addingTimeInterval(firstRetry * pow(2, Double(delivery.attempt - 1)))
                later.append(delivery)
            }
            pending = later
        }
    }

    /// One attempt; true when the callback answered 2xx.
    private func deliver(_ delivery: Pending) -> Bool {
        let event = delivery.event
        let body = Array(#"{"data":\#(event.data),"id":\#(event.id),"time":"\#(event.time)","type":"\#(event.type)"}"#.utf8)
        let signature = HMACSignature.sha256(key: Array(delivery.subscription.secret.utf8), data: body)
        let status = try? HTTPClient.send("POST", delivery.subscription.callback, headers: [
            ("Content-Type", "application/json"), ("X-E2-Event", event.type), ("X-E2-Delivery", String(event.id)),
            ("X-E2-Attempt", String(delivery.attempt + 1)), ("X-E2-Signature", "sha256=" + signature),
        ], body: body)
        return status.map { (200..<300).contains($0) } ?? false
    }
}
