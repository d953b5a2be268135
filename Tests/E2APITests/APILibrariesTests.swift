import E2API
import XCTest

final class APILibrariesTests: XCTestCase {
    func testLinkedLibrariesAreTheOnesE2Needs() {
        XCTAssertEqual(APILibraries.openSSLMajorVersion, 3)
        XCTAssertTrue(APILibraries.openSSLVersion.hasPrefix("OpenSSL 3."), APILibraries.openSSLVersion)
        XCTAssertTrue(APILibraries.sqliteVersion.hasPrefix("3."), APILibraries.sqliteVersion)
    }
}
