import Foundation
import Synchronization

/// Request counts and durations for `/metrics`, in Prometheus text format.
public final class RequestMetrics: Sendable {
    /// Upper bounds of the duration histogram, in seconds.
    static let buckets: [Double] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]

    struct Key: Hashable { var method: String; var route: String; var status: Int }
    struct Histogram { var counts = [Int](repeating: 0, count: RequestMetrics.buckets.count); var sum = 0.0; var total = 0 }

    private let state = Mutex<(requests: [Key: Int], durations: [String: Histogram])>(([:], [:]))

    public init() {}

    public func record(method: String, route: String, status: Int, seconds: Double) {
        state.withLock { state in
            state.requests[Key(method: method, route: route, status: status), default: 0] += 1
            var histogram = state.durations[route] ?? Histogram()
            for (index, bound) in Self.buckets.enumerated() where seconds <= bound { histogram.counts[index] += 1 }
            histogram.sum += seconds
            histogram.total += 1
            state.durations[route] = histogram
        }
    }

    /// The HTTP metrics as Prometheus text, label values escaped.
    public func text() -> String {
        func escape(_ value: String) -> String {
            value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
        }
        let (requests, durations) = state.withLock { ($0.requests, $0.durations) }
        var lines = ["# HELP e2_http_requests_total HTTP requests answered, by method, route and status.", "# TYPE e2_http_requests_total counter"]
        for (key, count) in requests.sorted(by: { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }) {
            lines.append("e2_http_requests_total{method=\"\(escape(key.method))\",route=\"\(escape(key.route))\",status=\"\(key.status)\"} \(count)")
        }
        lines += ["# HELP e2_http_request_duration_seconds Time to answer a request, by route.", "# TYPE e2_http_request_duration_seconds histogram"]
        for (route, histogram) in durations.sorted(by: { $0.key < $1.key }) {
            let label = "route=\"\(escape(route))\""
            for (index, bound) in Self.buckets.enumerated() {
                lines.append("e2_http_request_duration_seconds_bucket{\(label),le=\"\(bound)\"} \(histogram.counts[index])")
            }
            lines.append("e2_http_request_duration_seconds_bucket{\(label),le=\"+Inf\"} \(histogram.total)")
            lines.append("e2_http_request_duration_seconds_sum{\(label)} \(histogram.sum)")
            lines.append("e2_http_request_duration_seconds_count{\(label)} \(histogram.total)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
