import ArgumentParser
import E2API
import E2Cluster
import E2Engine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `e2 manager`: the E2 Manager's northbound API.
struct ManagerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manager",
        abstract: "Run the E2 Manager's northbound HTTP API.",
        discussion: "Without --tls-cert and --tls-key it serves plain HTTP, on a loopback address only. SIGTERM or SIGINT drains requests in flight and stops."
    )

    @Option(help: "Address and port to listen on: 127.0.0.1:8080, [::1]:8080, 0.0.0.0:8443.")
    var listen: String = "127.0.0.1:8080"

    @Option(help: "Folder for the manager's state.")
    var dataDir: String = "e2-data"

    @Option(help: "Bearer tokens: {\"controller\": [...], \"monitor\": [...]}; required off loopback.")
    var tokens: String?

    @Option(help: "TLS certificate chain (PEM).") var tlsCert: String?
    @Option(help: "TLS private key (PEM).") var tlsKey: String?
    @Option(help: "CA (PEM) whose client certificates are required (mutual TLS).") var tlsClientCa: String?
    @Option(help: "Seconds without a heartbeat after which an agent is declared failed.") var heartbeatTimeout: Double = 3
    @Option(help: "The control socket of `e2 switch`: the manager programs the switch from every placement.") var switchControl: String?
    @Option(help: "Seconds after a split before the same NF may split again.") var splitCooldown: Double = 10

    func validate() throws {
        guard let address = ListenAddress(listen) else { throw ValidationError("--listen \(listen): expected HOST:PORT, such as 127.0.0.1:8080 or [::1]:8080") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if tlsClientCa != nil && tlsCert == nil { throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key") }
        if !address.isLoopback && tlsCert == nil {
            throw ValidationError("plain HTTP is served on loopback only; give --tls-cert and --tls-key to listen on \(address)")
        }
        guard heartbeatTimeout >= 0.2 && heartbeatTimeout <= 3600 else { throw ValidationError("--heartbeat-timeout is 0.2-3600 seconds") }
        if !address.isLoopback && tokens == nil {
            throw ValidationError("a tokens file (--tokens) is required to listen on \(address), which is not loopback")
        }
    }

    func run() throws {
        let address = ListenAddress(listen)!
        var tls: TLSContext?
        if let tlsCert, let tlsKey {
            do {
                tls = try TLSContext.server(certificateChain: tlsCert, privateKey: tlsKey, clientCA: tlsClientCa)
            } catch {
                throw ValidationError("TLS: \(error)")
            }
        }
        let store: ManagerStore
        let bearer: BearerTokens?
        do {
            store = try ManagerStore(directory: dataDir)
            bearer = try tokens.map { try BearerTokens(file: $0) }
        } catch {
            throw ValidationError("\(error)")
        }
        let driver: SwitchDriverLink? = switchControl.map { SwitchDriverLink(store: store, socket: $0) }
        var observer: (@Sendable () -> Void)?
        if let driver { observer = { driver.programSoon() } }
        let heartbeats = AgentHeartbeats(timeout: .milliseconds(Int(heartbeatTimeout * 1000)))
        let api = ManagerAPI(store: store, tokens: bearer, heartbeats: heartbeats, placementObserver: observer,
                             splitCooldown: .milliseconds(Int(max(0, splitCooldown) * 1000)))
        api.startAgentMonitor()
        driver?.programSoon()
        let webhooks = WebhookDeliverer(store: store, bus: api.events)
        webhooks.start()
        let server = HTTPServer(configuration: .init(host: address.host, port: address.port, tls: tls), handler: api.respond)
        let port: UInt16
        do {
            port = try server.start()
        } catch {
            throw ValidationError("\(error)")
        }
        let scheme = tls == nil ? "http" : "https"
        let bound = ListenAddress(host: address.host, port: port)
        Self.say("e2 manager \(BuildInfo.version) serving \(scheme)://\(bound)" + (tls == nil ? " (plain HTTP, loopback only)" : "")
                + "; state in \(dataDir)/state.sqlite3" + (bearer == nil ? "; no tokens: every loopback client may read and write" : ""))
        Self.waitForTermination()
        Self.say("e2 manager: stopping, draining requests in flight")
        api.events.close()  // ends event streams and the webhook deliverer
        server.stop(drain: 10)
        webhooks.join()
        Self.say("e2 manager: stopped")
    }

    /// A line on standard output, written at once (the output is often a pipe).
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Blocks until SIGTERM or SIGINT.
    static func waitForTermination() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        var received: Int32 = 0
        sigwait(&signals, &received)
    }
}
