// swift-tools-version:6.0
// The peer of the API benchmark: a Hummingbird server answering the same routes with the same
// JSON bytes as e2 manager. A separate package, so that normal builds do not pay for it.
import PackageDescription

let package = Package(
    name: "HummingbirdPeer",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
    ],
    targets: [
        .executableTarget(
            name: "HummingbirdPeer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
