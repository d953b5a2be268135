// libFuzzer harness for the policy language: lexer, parser, filter compiler and checker.
// Built by scripts/fuzz-policy with swiftc -sanitize=fuzzer,address together with the
// E2Engine sources (SwiftPM's executables clash with libFuzzer's own main).

/// The NF types of examples/nfs.json that filters can name, built in code so the harness
/// reads no files.
let catalog = NFCatalog(nfs: [
    NFDescription(name: "NAT", api: .native, inputs: ["in"], outputs: ["out"], mangles: [.sourceAddress, .sourcePort],
                  replicable: true, affinity: [.sourceAddress], performance: .init(gbpsPerCorePerGHz: 1.6)),
    NFDescription(name: "FW", api: .native, inputs: ["in"], outputs: ["safe", "unsafe"],
                  attributes: ["safe": .port(valuesToOutputs: ["true": "safe", "false": "unsafe"])],
                  replicable: true, affinity: [], performance: .init(gbpsPerCorePerGHz: 1.2)),
    NFDescription(name: "IDS", api: .native, inputs: ["in"], outputs: ["out"], attributes: ["safe": .metadata],
                  replicable: true, affinity: [], performance: .init(gbpsPerCorePerGHz: 0.35)),
    NFDescription(name: "RateLimiter", api: .legacy, inputs: ["vp0", "vp1"], outputs: ["out"],
                  inputAttributes: ["prio0": .port("vp0"), "prio1": .port("vp1")],
                  replicable: false, affinity: [], performance: .init(gbpsPerCorePerGHz: 2)),
])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let result = PolicyChecker.check([.init(name: "fuzz.e2", text: text)], catalog: catalog)
    for diagnostic in result.diagnostics { _ = diagnostic.rendered(source: text) }
    if let graph = result.graph { _ = graph.dot() }
    _ = try? PolicyParser.parseFilter(text)
    return 0
}
