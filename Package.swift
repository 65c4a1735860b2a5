// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "swift-poe",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "PoE", targets: ["PoE"]),
        .library(name: "PoERules", targets: ["PoERules"]),
        .library(name: "PoETransformer", targets: ["PoETransformer"]),
        .executable(name: "poe", targets: ["poe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        // OpenBLAS from Debian's libopenblas-dev (`cblas.h`, `libopenblas.so`).
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]
        ),
        .target(name: "PoE"),
        .target(name: "PoERules", dependencies: ["PoE"]),
        .target(
            name: "PoETransformer",
            dependencies: ["PoE", "CBLAS", .product(name: "HeapModule", package: "swift-collections")]
        ),
        .executableTarget(
            name: "poe",
            dependencies: [
                "PoE", "PoERules", "PoETransformer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // A tiny deterministic model the tests share.
        .target(name: "PoETestSupport", dependencies: ["PoE"], path: "Tests/PoETestSupport"),
        .testTarget(name: "PoETests", dependencies: ["PoE", "PoETestSupport"]),
        .testTarget(
            name: "PoERulesTests",
            dependencies: ["PoE", "PoERules", "PoETransformer", "PoETestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "PoETransformerTests",
            dependencies: ["PoE", "PoETransformer"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "poeTests", dependencies: ["poe", "PoE", "PoETransformer"]),
    ],
    swiftLanguageModes: [.v6]
)
