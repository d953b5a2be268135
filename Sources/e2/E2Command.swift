import ArgumentParser

/// `e2`: one executable for every E2 process; each role is a subcommand.
@main
struct E2Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2",
        abstract: "E2: a framework for network functions on a cluster of servers behind a switch.",
        discussion: "Start with `e2 doctor` to check that this machine can run E2.",
        version: VersionCommand.versionLine,
        subcommands: [VersionCommand.self, DoctorCommand.self, PolicyCommand.self, PlanCommand.self, ManagerCommand.self, DataplaneCommand.self, SwitchCommand.self, AgentCommand.self, NFCommand.self, TrafficCommand.self, UpCommand.self, BenchCommand.self]
    )
}
