import CE2DPDK

/// A filter compiled by libpcap for Ethernet, to run on packets as tcpdump -r would.
final class PcapFilter {
    private var program = bpf_program()
    let text: String
    /// libpcap's optimizer proved that no packet matches ("expression rejects all packets").
    private(set) var rejectsAll = false

    init?(_ text: String) {
        self.text = text
        guard let handle = pcap_open_dead(DLT_EN10MB, 65535) else { return nil }
        defer { pcap_close(handle) }
        if pcap_compile(handle, &program, text, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            guard String(cString: pcap_geterr(handle)).contains("rejects all packets") else { return nil }
            rejectsAll = true
            // Unoptimised, the same filter compiles; it then matches nothing at run time.
            guard pcap_compile(handle, &program, text, 0, PCAP_NETMASK_UNKNOWN) == 0 else { return nil }
        }
    }

    func matches(_ packet: [UInt8]) -> Bool {
        var header = pcap_pkthdr()
        header.caplen = UInt32(packet.count)
        header.len = UInt32(packet.count)
        return packet.withUnsafeBufferPointer { pcap_offline_filter(&program, &header, $0.baseAddress) != 0 }
    }

    deinit { pcap_freecode(&program) }
}
