// Serves GET /healthz, GET /v1/status and POST /v1/plan with the bodies e2 manager gives
// (status and plan read from files), on 127.0.0.1.
//
//   HummingbirdPeer PORT STATUS_JSON PLAN_JSON [CERT_PEM KEY_PEM]    (with TLS when given)
import Foundation
import Hummingbird
import HummingbirdTLS

let arguments = CommandLine.arguments
guard arguments.count == 4 || arguments.count == 6, let port = Int(arguments[1]),
      let status = FileManager.default.contents(atPath: arguments[2]),
      let plan = FileManager.default.contents(atPath: arguments[3]) else {
    FileHandle.standardError.write(Data("usage: HummingbirdPeer PORT STATUS_JSON PLAN_JSON\n".utf8))
    exit(64)
}

let router = Router()
let json: HTTPFields = [.contentType: "application/json"]
router.get("/healthz") { _, _ in
    Response(status: .ok, headers: json, body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
}
router.get("/v1/status") { _, _ in
    Response(status: .ok, headers: json, body: .init(byteBuffer: ByteBuffer(data: status)))
}
router.post("/v1/plan") { request, _ in
    _ = try await request.body.collect(upTo: 1 << 20)
    return Response(status: .ok, headers: json, body: .init(byteBuffer: ByteBuffer(data: plan)))
}
let configuration = ApplicationConfiguration(address: .hostname("127.0.0.1", port: port))
if arguments.count == 6 {
    var tls = TLSConfiguration.makeServerConfiguration(
        certificateChain: try NIOSSLCertificate.fromPEMFile(arguments[4]).map { .certificate($0) },
        privateKey: .privateKey(try NIOSSLPrivateKey(file: arguments[5], format: .pem)))
    tls.minimumTLSVersion = .tlsv12
    let app = Application(router: router, server: try .tls(tlsConfiguration: tls), configuration: configuration)
    try await app.runService()
} else {
    let app = Application(router: router, configuration: configuration)
    try await app.runService()
}
