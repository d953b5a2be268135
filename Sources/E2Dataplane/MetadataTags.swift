import CE2DPDK

/// Metadata tags carried with a packet inside a server (§4): up to eight tags, each an 8-bit
/// value (0 means unset), packed in one 64-bit dynamic field of the mbuf. A derived attribute
/// with the metadata method (`IDS.safe`) or a filter_in name (`[prio0]`) maps to a tag slot
/// and values; E2D sets, matches and strips them, and NSH carries them between servers.
public struct MetadataTags {
    /// Where the tag word sits in every mbuf (registered once per process).
    let offset: Int32

    /// Registers the tag field; the EAL must run.
    public init() throws(DataplaneError) {
        let offset = ce2_register_tag_field()
        guard offset >= 0 else { throw DataplaneError.fromErrno("rte_mbuf_dynfield_register(e2_metadata_tags)") }
        self.offset = offset
    }

    /// The value of tag `slot` (0-7) on `packet`; 0 when unset.
    @inline(__always)
    public func value(_ packet: OpaquePointer, slot: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: ce2_mbuf_tags(packet, offset).pointee >> UInt64(slot * 8))
    }

    /// Sets tag `slot` to `value` on every packet of the burst (the set-tag module).
    @inline(__always)
    public func set(_ burst: borrowing PacketBurst, slot: Int, value: UInt8) {
        for index in 0..<burst.count { set(burst[index], slot: slot, value: value) }
    }

    /// Sets tag `slot` of one packet (what a native NF does when it derives an attribute).
    @inline(__always)
    public func set(_ packet: OpaquePointer, slot: Int, value: UInt8) {
        let shift = UInt64(slot * 8)
        let word = ce2_mbuf_tags(packet, offset)!
        word.pointee = word.pointee & ~(0xff << shift) | UInt64(value) << shift
    }

    /// Clears every tag of the burst (the strip module, before a legacy NF or an exit).
    @inline(__always)
    public func strip(_ burst: borrowing PacketBurst) {
        for index in 0..<burst.count { ce2_mbuf_tags(burst[index], offset).pointee = 0 }
    }

    /// Gate per packet by the value of tag `slot`: the gate of its value in `values`, else
    /// `values.count` (the match module).
    @inline(__always)
    public func match(_ burst: borrowing PacketBurst, slot: Int, values: UnsafeBufferPointer<UInt8>, gates: UnsafeMutablePointer<UInt16>) {
        for index in 0..<burst.count {
            let tag = value(burst[index], slot: slot)
            var gate = values.count
            for position in 0..<values.count where values[position] == tag {
                gate = position
                break
            }
            gates[index] = UInt16(gate)
        }
    }

    /// The packet's tags as NSH MD type 2 context headers (class 0xfff0, type = slot + 1,
    /// one byte of value), for traffic leaving the server (control path; allocates).
    public func contextHeaders(_ packet: OpaquePointer) -> [NSHEncapsulator.ContextHeader] {
        (0..<8).compactMap { slot in
            let tag = value(packet, slot: slot)
            return tag == 0 ? nil : .init(metadataClass: 0xfff0, type: UInt8(slot + 1), value: [tag])
        }
    }
}
