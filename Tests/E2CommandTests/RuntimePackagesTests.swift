import Foundation
import XCTest

/// scripts/packages/runtime.txt is what the Docker runtime stage installs: it must provide
/// every shared library `e2` links and every DPDK driver E2 loads, or the image cannot run.
final class RuntimePackagesTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The DPDK drivers E2 creates devices with; the EAL loads them as plugins at run time.
    static let drivers = ["mempool_ring", "net_null", "net_ring", "net_pcap", "net_memif", "net_af_packet", "net_tap"]

    func testRuntimeListProvidesEveryLinkedLibraryAndDriver() throws {
        let listed = try Self.packageList("runtime.txt")
        let provided = try Self.closure(of: listed)

        let ldd = try Self.run("/usr/bin/ldd", [E2Process.executable.path])
        let libraries = ldd.split(separator: "\n").compactMap { line -> String? in
            let parts = line.split(separator: " ")
            guard let arrow = parts.firstIndex(of: "=>"), arrow + 1 < parts.count, parts[arrow + 1].hasPrefix("/") else { return nil }
            return String(parts[arrow + 1])
        }
        XCTAssertTrue(libraries.contains { $0.contains("librte_eal") }, ldd)
        // The Swift runtime and Foundation are linked into the image's e2 (--static-swift-stdlib).
        for library in libraries where !library.contains("/lib/swift/") {
            let owner = try Self.owner(of: URL(fileURLWithPath: library).resolvingSymlinksInPath().path)
            XCTAssertTrue(provided.contains(owner), "\(library) comes from \(owner), which runtime.txt does not bring in")
        }

        let pmdDirectory = "/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0"
        for driver in Self.drivers {
            let owner = try Self.owner(of: "\(pmdDirectory)/librte_\(driver).so.23")
            XCTAssertTrue(listed.contains(owner), "the \(driver) driver comes from \(owner), which runtime.txt does not list")
        }
    }

    func testTheDockerfileInstallsFromTheSameLists() throws {
        let dockerfile = try String(contentsOf: Self.root.appendingPathComponent("docker/Dockerfile"), encoding: .utf8)
        XCTAssertTrue(dockerfile.contains("scripts/packages/build.txt"))
        XCTAssertTrue(dockerfile.contains("scripts/packages/runtime.txt"))
        let setup = try String(contentsOf: Self.root.appendingPathComponent("scripts/setup"), encoding: .utf8)
        for list in ["build.txt", "runtime.txt", "test.txt"] {
            XCTAssertTrue(setup.contains("scripts/packages/\(list)"), "scripts/setup reads \(list)")
        }
    }

    /// The package names of a list, without comments.
    static func packageList(_ name: String) throws -> Set<String> {
        let text = try String(contentsOf: root.appendingPathComponent("scripts/packages/\(name)"), encoding: .utf8)
        return Set(text.split(separator: "\n").compactMap { line in
            line.split(separator: "#", omittingEmptySubsequences: false).first?.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty })
    }

    /// The packages and everything they depend on, as installed here.
    static func closure(of packages: Set<String>) throws -> Set<String> {
        // One dpkg-query for every installed package: name, then its Depends and Pre-Depends.
        let table = try run("/usr/bin/dpkg-query", ["-W", "-f=${Package}\t${Depends},${Pre-Depends}\n"])
        var depends: [String: [[String]]] = [:]
        for line in table.split(separator: "\n") {
            let columns = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            guard columns.count == 2 else { continue }
            // "a (>= 1) | b:any": a list of alternatives, each a bare package name.
            depends[String(columns[0]), default: []] += columns[1].split(separator: ",").map { alternative in
                alternative.split(separator: "|").compactMap { choice in
                    choice.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map { String($0.split(separator: ":")[0]) }
                }
            }
        }
        var seen: Set<String> = []
        var queue = Array(packages)
        while let package = queue.popLast() {
            guard seen.insert(package).inserted else { continue }
            for alternatives in depends[package] ?? [] {
                if let installed = alternatives.first(where: { depends[$0] != nil }) { queue.append(installed) }
            }
        }
        return seen
    }

    /// The package that installed a file (`libssl3` for libssl.so.3).
    static func owner(of path: String) throws -> String {
        var output = try? run("/usr/bin/dpkg", ["-S", path])
        if output == nil, path.hasPrefix("/usr/lib/") {
            // Debian 12 merged /lib into /usr/lib; dpkg knows some files by their /lib path.
            output = try run("/usr/bin/dpkg", ["-S", String(path.dropFirst(4))])
        }
        let package = output?.split(separator: ":").first.map(String.init) ?? ""
        return package
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        try ToolOutput.of(tool, arguments, requiringSuccess: true)
    }
}
