import Foundation
import Synchronization

/// Delivers events to the subscribed callbacks: signed with HMAC-SHA256 of the body under the
/// subscription's secret (`X-E2-Signature: sha256=HEX`), retried with doubling back-off.
///
/// Every delivery is written to SQLite as soon as its event is seen and removed only once the
/// callback took it (or it was abandoned), so a manager killed with SIGKILL delivers, after
/// its restart, what it owed: at least once, with the same event id (`X-E2-Delivery`).
public final class WebhookDeliverer: Sendable {
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
        while !bus.isClosed {
            let pending = (try? store.pendingDeliveries()) ?? []
            let now = Date().timeIntervalSince1970
            let wait = pending.map { $0.due - now }.min().map { max(0.01, min(1, $0)) } ?? 1
            for event in bus.events(after: last, timeout: wait) {
                last = event.id
                let subscriptions = ((try? store.subscriptions()) ?? []).filter { $0.events.isEmpty || $0.events.contains(event.type) }
                try? store.addDeliveries(event: Int64(event.id), type: event.type, time: event.time, data: event.data, subscriptions: subscriptions.map(\.id))
            }
            let subscriptions = Dictionary(((try? store.subscriptions()) ?? []).map { ($0.id, $0) }, uniquingKeysWith: { $1 })
            for delivery in (try? store.pendingDeliveries()) ?? [] where delivery.due <= Date().timeIntervalSince1970 {
                guard let subscription = subscriptions[delivery.subscription] else {
                    try? store.finishDelivery(delivery.id)  // unsubscribed meanwhile
                    continue
                }
                if deliver(delivery, to: subscription) {
                    try? store.finishDelivery(delivery.id)
                    continue
                }
                let attempt = delivery.attempt + 1
                if attempt >= attempts {
                    failures.withLock { $0.append("event \(delivery.event) to \(subscription.callback)") }
                    try? store.finishDelivery(delivery.id)
                    continue
                }
                try? store.rescheduleDelivery(delivery.id, attempt: attempt, due: Date().timeIntervalSince1970 + firstRetry * pow(2, Double(attempt - 1)))
            }
        }
    }

    /// One attempt; true when the callback answered 2xx.
    private func deliver(_ delivery: ManagerStore.DeliveryRecord, to subscription: ManagerStore.Subscription) -> Bool {
        let body = Array(#"{"data":\#(delivery.data),"id":\#(delivery.event),"time":"\#(delivery.time)","type":"\#(delivery.type)"}"#.utf8)
        let signature = HMACSignature.sha256(key: Array(subscription.secret.utf8), data: body)
        let status = try? HTTPClient.send("POST", subscription.callback, headers: [
            ("Content-Type", "application/json"), ("X-E2-Event", delivery.type), ("X-E2-Delivery", String(delivery.event)),
            ("X-E2-Attempt", String(delivery.attempt + 1)), ("X-E2-Signature", "sha256=" + signature),
        ], body: body)
        return status.map { (200..<300).contains($0) } ?? false
    }
}
