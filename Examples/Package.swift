// swift-tools-version: 6.1
// Programs that use swift-poe the way a package depending on it would.
import PackageDescription

let package = Package(
    name: "swift-poe-examples",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "swift-poe", path: "..")],
    targets: [
        .executableTarget(
            name: "example-generator",
            dependencies: [
                .product(name: "PoE", package: "swift-poe"),
                .product(name: "PoERules", package: "swift-poe"),
                .product(name: "PoETransformer", package: "swift-poe"),
            ],
            path: "Sources/example-generator"
        ),
        .executableTarget(
            name: "custom-expert",
            dependencies: [
                .product(name: "PoE", package: "swift-poe"),
                .product(name: "PoETransformer", package: "swift-poe"),
            ],
            path: "Sources/custom-expert"
        ),
    ],
    swiftLanguageModes: [.v6]
)
