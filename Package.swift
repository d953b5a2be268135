// swift-tools-version:6.0
import Foundation
import PackageDescription

/// Asks the system's `pkg-config` for a library's flags.
///
/// SwiftPM's own `pkgConfig:` reader cannot parse Debian's `libdpdk.pc` (its Description runs
/// over several lines), so the manifest runs the real tool. Empty when the library is missing:
/// the build then fails on the first DPDK header, and `scripts/setup` installs it.
func pkgConfig(_ arguments: String...) -> [String] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["pkg-config"] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return [] }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return [] }
    return String(decoding: data, as: UTF8.self)
        .split(whereSeparator: { $0 == " " || $0 == "\n" })
        .map(String.init)
}

/// DPDK's compiler flags (`-I...`, `-include rte_config.h`, `-march=corei7`).
let dpdkCFlags = pkgConfig("--cflags", "libdpdk")
/// Where pkg-config says DPDK's libraries are (`-L...`; empty for Debian's standard path).
let dpdkLibraryPaths = pkgConfig("--libs-only-L", "libdpdk")
/// The DPDK libraries E2 calls. Named one by one rather than pkg-config's full `--libs` (60
/// libraries) so that the runtime needs only these: see scripts/packages/runtime.txt.
let dpdkLibraries = ["rte_eal", "rte_ethdev", "rte_mbuf", "rte_mempool", "rte_ring", "rte_net", "rte_bpf", "rte_kvargs", "rte_bus_vdev", "rte_net_ring"]
/// Swift targets that import the DPDK shim need the same flags for the Clang importer.
let dpdkSwiftSettings: [SwiftSetting] = [.unsafeFlags(dpdkCFlags.flatMap { ["-Xcc", $0] })]

let package = Package(
    name: "e2",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "e2", targets: ["e2"]),
        .library(name: "E2Engine", targets: ["E2Engine"]),
        .library(name: "E2API", targets: ["E2API"]),
        .library(name: "E2Dataplane", targets: ["E2Dataplane"]),
        .library(name: "E2NF", targets: ["E2NF"]),
        .library(name: "E2Cluster", targets: ["E2Cluster"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Thin C shims: macros and inline helpers that Swift cannot call directly.
        .target(
            name: "CE2DPDK",
            cSettings: [.unsafeFlags(dpdkCFlags)],
            linkerSettings: [.unsafeFlags(dpdkLibraryPaths)] + (dpdkLibraries + ["pcap"]).map { .linkedLibrary($0) }
        ),
        .target(
            name: "CE2OpenSSL",
            linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]
        ),
        .systemLibrary(
            name: "CE2SQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),

        // Libraries: the engine is pure Swift; the API and the dataplane do the I/O.
        .target(name: "E2Engine"),
        .target(name: "E2API", dependencies: ["E2Engine", "CE2OpenSSL", "CE2SQLite"]),
        .target(name: "E2Dataplane", dependencies: ["E2Engine", "CE2DPDK"], swiftSettings: dpdkSwiftSettings),
        // What a native NF links to exchange bursts with E2D through its vports.
        .target(name: "E2NF", dependencies: ["E2Dataplane", "CE2DPDK", "CE2OpenSSL"], swiftSettings: dpdkSwiftSettings),
        // The running cluster: plans turned into E2D and switch configurations, agents, `e2 up`.
        .target(name: "E2Cluster", dependencies: ["E2Engine", "E2Dataplane", "E2API"], swiftSettings: dpdkSwiftSettings),

        // The one executable: wiring only.
        .executableTarget(
            name: "e2",
            dependencies: [
                "E2Engine", "E2API", "E2Dataplane", "E2NF", "E2Cluster",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: dpdkSwiftSettings
        ),

        .testTarget(name: "E2EngineTests", dependencies: ["E2Engine"]),
        .testTarget(name: "E2APITests", dependencies: ["E2API", "CE2OpenSSL"]),
        // Counts the test thread's heap allocations (interposed malloc) for allocation budgets.
        .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
        .testTarget(name: "E2DataplaneTests", dependencies: ["E2Dataplane", "E2NF", "E2Engine", "CE2DPDK", "CAllocationCounter"], swiftSettings: dpdkSwiftSettings),
        .testTarget(name: "E2ClusterTests", dependencies: ["E2Cluster", "E2Engine", "E2Dataplane"], swiftSettings: dpdkSwiftSettings),
        .testTarget(name: "E2CommandTests", dependencies: ["e2", "E2Dataplane"], swiftSettings: dpdkSwiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
