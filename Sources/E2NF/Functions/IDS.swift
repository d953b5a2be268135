import CE2DPDK
import E2Dataplane

/// An intrusion detector that reports `safe` as a metadata tag: a packet whose transport
/// payload contains the signature is unsafe (tag value 2, `false`), any other is safe (1,
/// `true`). Output 0 either way; E2D steers by the tag.
public struct IDS: PacketFunction {
    let signature: [UInt8]
    let slot: Int
    public private(set) var alerts: UInt64 = 0
    public private(set) var inspected: UInt64 = 0

    public init(signature: [UInt8], slot: Int) {
        precondition(!signature.isEmpty)
        self.signature = signature
        self.slot = slot
    }

    public mutating func handle(_ packet: OpaquePointer, tags: MetadataTags, now: UInt64) -> Int? {
        inspected &+= 1
        let length = Int(ce2_mbuf_data_len(packet))
        let data = ce2_mbuf_data(packet)!
        var start = 14
        if let ip = IPv4Header.offset(data, length: length) {
            let l4 = ip + Int(data[ip] & 0x0f) * 4
            start = l4 + (data[ip + 9] == 6 && length > l4 + 12 ? Int(data[l4 + 12] >> 4) * 4 : 8)
        }
        let found = signature.withUnsafeBufferPointer { needle -> Bool in
            guard length - start >= needle.count else { return false }
            var at = start
            while at + needle.count <= length {
                if data[at] == needle[0] {
                    var index = 1
                    while index < needle.count && data[at + index] == needle[index] { index += 1 }
                    if index == needle.count { return true }
                }
                at += 1
            }
            return false
        }
        if found { alerts &+= 1 }
        tags.set(packet, slot: slot, value: found ? 2 : 1)
        return 0
    }

    public func figures() -> [String: Double] { ["inspected": Double(inspected), "alerts": Double(alerts)] }
}
