import E2Engine
import Foundation
import XCTest

final class HardwareDescriptionTests: XCTestCase {
    func testDecodesThePaperTestbed() throws {
        let hardware = try HardwareDescription.decode(json: try Fixtures.example("hardware-paper-testbed.json"))
        XCTAssertEqual(hardware.switch.ports, 48)
        XCTAssertEqual(hardware.switch.flowTableEntries, 2048)
        XCTAssertEqual(hardware.switch.ruleUpdateMs, 3)
        XCTAssertEqual(hardware.servers.map(\.name), ["s1", "s2", "s3", "s4"])
        XCTAssertEqual(hardware.servers.map(\.cores).reduce(0, +), 68)
        XCTAssertEqual(hardware.servers.map(\.nfCores).reduce(0, +), 64)
    }

    func testDecodesTheRackScaleSimulation() throws {
        let hardware = try HardwareDescription.decode(json: try Fixtures.example("hardware-rack24.json"))
        XCTAssertEqual(hardware.servers.count, 24)
        XCTAssertEqual(Set(hardware.servers.map(\.switchPort)).count, 24)
    }

    func testTwoServersOnOneSwitchPortAreRejected() throws {
        var hardware = try HardwareDescription.decode(json: try Fixtures.example("hardware-paper-testbed.json"))
        hardware.servers[2].switchPort = hardware.servers[0].switchPort
        XCTAssertEqual(hardware.problems(), [DescriptionError(path: "$.servers[2].switchPort", message: "port 40 is also wired to $.servers[0]")])
    }

    func testPortsOffTheSwitchAndCoreCountsAreChecked() throws {
        var hardware = try HardwareDescription.decode(json: try Fixtures.example("hardware-paper-testbed.json"))
        hardware.servers[1].switchPort = 48
        hardware.servers[3].dataplaneCores = 16
        hardware.servers[0].name = "s3"
        XCTAssertEqual(hardware.problems().map(\.path), ["$.servers[1].switchPort", "$.servers[2].name", "$.servers[3].dataplaneCores"])
        XCTAssertEqual(hardware.problems().first?.message, "port 48 is not on the switch (ports 0-47)")
    }

    func testWrongTypeIsReportedWithItsPath() {
        let json = #"{"switch": {"ports": "many", "portGbps": 10, "flowTableEntries": 1, "ruleUpdateMs": 1, "actions": []}, "servers": []}"#
        XCTAssertThrowsError(try HardwareDescription.decode(json: Data(json.utf8))) { error in
            let problem = error as? DescriptionError
            XCTAssertEqual(problem?.path, "$.switch.ports")
            XCTAssertTrue(problem?.message.hasPrefix("expected a number") ?? false, "\(String(describing: problem))")
        }
    }

    func testAClusterNeedsAServer() {
        let json = #"{"switch": {"ports": 4, "portGbps": 10, "flowTableEntries": 1, "ruleUpdateMs": 1, "actions": []}, "servers": []}"#
        XCTAssertThrowsError(try HardwareDescription.decode(json: Data(json.utf8))) { error in
            XCTAssertEqual(error as? DescriptionError, DescriptionError(path: "$.servers", message: "a cluster needs at least one server"))
        }
    }
}
