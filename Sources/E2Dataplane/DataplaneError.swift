import CE2DPDK

/// A DPDK call that failed, with DPDK's own error number and text.
public struct DataplaneError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What E2 was doing (`"rte_eth_dev_configure(port 0)"`).
    public var operation: String
    /// DPDK's error number (rte_errno or a negative return value made positive); 0 when none.
    public var code: Int32
    /// DPDK's explanation of the code, or E2's when DPDK gave none.
    public var reason: String

    public init(operation: String, code: Int32, reason: String? = nil) {
        self.operation = operation
        self.code = code
        self.reason = reason ?? String(cString: rte_strerror(code))
    }

    /// The error for a DPDK call that signalled failure through rte_errno.
    public static func fromErrno(_ operation: String) -> DataplaneError {
        DataplaneError(operation: operation, code: ce2_errno())
    }

    public var description: String { "\(operation) failed: \(reason)" + (code == 0 ? "" : " (errno \(code))") }
}
