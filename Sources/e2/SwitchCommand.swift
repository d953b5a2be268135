import ArgumentParser
import Foundation

/// `e2 switch`: the DPDK stand-in for the rack switch (§2.2). It is E2D with the switch's
/// ports (`ext<N>` external ports, `srv<N>` ports to servers) and no rules of its own: the
/// manager programs it (`e2 manager --switch-control SOCKET`) from every placement.
struct SwitchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switch",
        abstract: "Run the software switch: E2D with the switch's ports, programmed by the manager.",
        discussion: """
            The configuration lists the ports, named ext<N> for external port N and srv<N> for the port to a server \\
            (memif servers the agents' E2Ds connect to), as in e2 dataplane. The manager replaces the switch's modules \\
            through the control socket after every placement. SIGTERM stops it and prints its statistics.
            """
    )

    @Option(help: "The ports (JSON, as e2 dataplane's configuration).") var config: String
    @Option(help: "The control socket the manager programs the switch through.") var control: String
    @Option(help: "DPDK file prefix.") var filePrefix: String = "e2-switch"
    @Option(help: "DPDK lcores for the loop: \"0\", or \"0@1\" to run on CPU 1.") var lcores: String = "0"
    @Option(help: "Extra EAL arguments.") var eal: String = ""

    func run() throws {
        let dataplane = try DataplaneCommand.parse(["--config", config, "--control", control, "--file-prefix", filePrefix, "--lcores", lcores]
                                                   + (eal.isEmpty ? [] : ["--eal", eal]))
        try dataplane.run()
    }
}
