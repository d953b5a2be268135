import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Lets a process started by an agent end with it: with `E2_EXIT_WITH_PARENT=1` in its
/// environment, `parentGone` turns true once the process that started it has exited (its
/// parent becomes another process). An agent killed with SIGKILL then leaves no E2D or NF
/// behind, as when a whole server fails.
public struct ParentWatch: Sendable {
    let parent: Int32?

    public init() {
        parent = ProcessInfo.processInfo.environment["E2_EXIT_WITH_PARENT"] == "1" ? getppid() : nil
    }

    public var parentGone: Bool {
        guard let parent else { return false }
        return getppid() != parent
    }
}
