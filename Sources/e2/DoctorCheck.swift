/// One line of `e2 doctor`: what was checked, what was found, and how to fix it.
struct DoctorCheck: Encodable, Equatable {
    enum Status: String, Encodable {
        /// Works as E2 needs it.
        case ok
        /// Works, but not at its best (for example DPDK without hugepages).
        case warn
        /// Missing or broken: E2 cannot run until it is fixed.
        case fail
    }

    var name: String
    var status: Status
    var detail: String
    /// The command that fixes a `warn` or `fail`.
    var fix: String?

    /// The check as one line of text.
    var line: String {
        let label = switch status {
        case .ok: "ok  "
        case .warn: "warn"
        case .fail: "FAIL"
        }
        let padded = name.padding(toLength: 10, withPad: " ", startingAt: 0)
        return "\(label)  \(padded) \(detail)" + (fix.map { " — fix: \($0)" } ?? "")
    }
}
