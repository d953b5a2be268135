import CE2DPDK
import Foundation

/// Reads and writes pcap files with libpcap, the reader tcpdump uses.
enum PcapFiles {
    static func write(_ frames: [[UInt8]], to path: String) throws {
        guard let handle = pcap_open_dead(DLT_EN10MB, 65535), let dumper = pcap_dump_open(handle, path) else {
            throw POSIXError(.EIO)
        }
        for frame in frames {
            var header = pcap_pkthdr()
            header.caplen = UInt32(frame.count)
            header.len = UInt32(frame.count)
            frame.withUnsafeBufferPointer { bytes in
                pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), &header, bytes.baseAddress)
            }
        }
        pcap_dump_close(dumper)
        pcap_close(handle)
    }

    static func read(_ path: String) throws -> [[UInt8]] {
        var error = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_open_offline(path, &error) else { throw POSIXError(.ENOENT) }
        defer { pcap_close(handle) }
        var frames: [[UInt8]] = []
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while pcap_next_ex(handle, &header, &data) == 1, let header, let data {
            frames.append(Array(UnsafeBufferPointer(start: data, count: Int(header.pointee.caplen))))
        }
        return frames
    }

    /// What `tcpdump -r input FILTER` selects, written by tcpdump and read back.
    static func tcpdump(_ input: String, _ filter: String, output: String) throws -> [[UInt8]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tcpdump")
        process.arguments = ["-r", input, "-w", output, filter]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw POSIXError(.EINVAL) }
        return try read(output)
    }
}
