import CE2DPDK
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An AF_PACKET socket on an ordinary Linux interface, such as a legacy vport's veth end: what an
/// unmodified program sees of E2D. Frames go in batches (sendmmsg, recvmmsg); the frame
/// buffers are allocated once.
public final class LegacyInterfaceSocket {
    public let interface: String
    let descriptor: Int32
    public static let batch = 32
    static let stride = 2048
    let frames: UnsafeMutablePointer<UInt8>
    let lengths: UnsafeMutablePointer<UInt32>

    public init(interface: String) throws(DataplaneError) {
        let descriptor = ce2_packet_socket(interface)
        guard descriptor >= 0 else {
            throw DataplaneError(operation: "AF_PACKET socket on \(interface)", code: errno, reason: String(cString: strerror(errno)))
        }
        self.descriptor = descriptor
        self.interface = interface
        frames = .allocate(capacity: Self.batch * Self.stride)
        frames.initialize(repeating: 0, count: Self.batch * Self.stride)
        lengths = .allocate(capacity: Self.batch)
        lengths.initialize(repeating: 0, count: Self.batch)
    }

    deinit {
        close(descriptor)
        frames.deallocate()
        lengths.deallocate()
    }

    /// The buffer of frame `index` of the batch, to fill before `send`.
    public func frame(_ index: Int) -> UnsafeMutablePointer<UInt8> { frames + index * Self.stride }

    /// Sends frames 0..<count of the batch, each `length` bytes; how many went.
    public func send(count: Int, length: Int) -> Int {
        for index in 0..<count { lengths[index] = UInt32(length) }
        return max(0, Int(ce2_packet_send_batch(descriptor, frames, UInt32(Self.stride), lengths, UInt32(count))))
    }

    /// Receives a batch and returns only how many frames and bytes came (no allocation).
    public func receiveCount() -> (frames: Int, bytes: Int) {
        let count = Int(ce2_packet_receive_batch(descriptor, frames, UInt32(Self.stride), lengths, UInt32(Self.batch)))
        guard count > 0 else { return (0, 0) }
        var bytes = 0
        for index in 0..<count { bytes += Int(lengths[index]) }
        return (count, bytes)
    }
}
