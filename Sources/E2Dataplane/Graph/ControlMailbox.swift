import CE2DPDK
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Hands work from the control path to the dataplane thread, which runs it between bursts.
///
/// The packet loop reads one atomic flag per round; only when it is set does it take the
/// lock, so the packet path itself never locks. The control side then waits for its job to
/// finish. An eventfd wakes a loop that sleeps in its idle back-off, so changes to an idle
/// E2D take effect at once instead of after the back-off.
public final class ControlMailbox: Sendable {
    /// A job and the semaphore its submitter waits on.
    final class Job: @unchecked Sendable {
        // The closure runs once, on the dataplane thread; the submitter waits for it.
        let work: (GraphRuntime) -> Void
        let done = DispatchSemaphore(value: 0)
        init(_ work: @escaping (GraphRuntime) -> Void) { self.work = work }
    }

    private let jobs = Mutex<[Job]>([])
    private let pending = Atomic<Bool>(false)
    /// Written by the control side, polled by the idle loop.
    let wakeDescriptor: Int32

    public init() {
        wakeDescriptor = ce2_eventfd()
    }

    deinit { close(wakeDescriptor) }

    /// Runs `work` on the dataplane thread between bursts and returns its result.
    func perform<Result: Sendable>(_ work: @escaping (GraphRuntime) -> Result) -> Result {
        let result = Mutex<Result?>(nil)
        let job = Job { runtime in
            let value = work(runtime)
            result.withLock { $0 = value }
        }
        jobs.withLock { $0.append(job) }
        pending.store(true, ordering: .releasing)
        var one: UInt64 = 1
        _ = write(wakeDescriptor, &one, 8)
        job.done.wait()
        return result.withLock { $0! }
    }

    /// Whether jobs wait (one atomic load: the packet loop's only cost).
    @inline(__always)
    var hasWork: Bool { pending.load(ordering: .acquiring) }

    /// Runs every waiting job (dataplane thread).
    func runJobs(on runtime: GraphRuntime) {
        pending.store(false, ordering: .releasing)
        let waiting = jobs.withLock { jobs in
            defer { jobs.removeAll() }
            return jobs
        }
        for job in waiting {
            job.work(runtime)
            job.done.signal()
        }
    }

    /// Sleeps up to `microseconds`, or until a job arrives (the idle back-off).
    func idle(microseconds: Int) {
        var descriptor = pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)
        // poll's timeout is in milliseconds; below one, sleep instead.
        if microseconds >= 1000 {
            if poll(&descriptor, 1, Int32(microseconds / 1000)) > 0 {
                var value: UInt64 = 0
                _ = read(wakeDescriptor, &value, 8)
            }
        } else {
            usleep(UInt32(microseconds))
        }
    }
}

/// Events raised on the dataplane thread, waiting for the control side to deliver them.
public final class EventOutbox: Sendable {
    private let events = Mutex<[DataplaneEvent]>([])
    private let signal = DispatchSemaphore(value: 0)

    public init() {}

    /// Queues an event (rare: the lock is never taken on the packet path).
    public func post(_ event: DataplaneEvent) {
        events.withLock { $0.append(event) }
        signal.signal()
    }

    /// Waits up to `timeout` seconds for events and takes them all.
    public func take(timeout: Double) -> [DataplaneEvent] {
        _ = signal.wait(timeout: .now() + timeout)
        return events.withLock { events in
            defer { events.removeAll() }
            return events
        }
    }
}
