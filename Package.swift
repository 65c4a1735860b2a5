// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "swift-poe",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "PoE", targets: ["PoE"]),
        .library(name: "PoERules", targets: ["PoERules"]),
        .library(name: "PoETransformer", targets: ["PoETransformer"]),
        .library(name: "PoEBench", targets: ["PoEBench"]),
        .library(name: "PoETraining", targets: ["PoETraining"]),
        // The C kernels, for benchmarks that time them directly.
        .library(name: "PoEKernels", targets: ["PoEKernels"]),
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
        // Dequantization and quantized matrix products in C: AVX2 chosen at run time, a portable fallback.
        .target(name: "PoEKernels"),
        .target(name: "PoERules", dependencies: ["PoE"]),
        // Benchmarks of rule sets: metrics, reference likelihood, reports.
        .target(name: "PoEBench", dependencies: ["PoE", "PoERules"]),
        .target(
            name: "PoETransformer",
            dependencies: ["PoE", "CBLAS", "PoEKernels", .product(name: "HeapModule", package: "swift-collections")]
        ),
        // LoRA fine-tuning: the backward pass, the adapter's parameters, the optimizer, data, checkpoints.
        .target(name: "PoETraining", dependencies: ["PoE", "PoETransformer", "PoEKernels", "CBLAS"]),
        .executableTarget(
            name: "poe",
            dependencies: [
                "PoE", "PoERules", "PoETransformer", "PoEBench", "PoEKernels", "PoETraining",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // A tiny deterministic model the tests share.
        .target(name: "PoETestSupport", dependencies: ["PoE"], path: "Tests/PoETestSupport"),
        .testTarget(name: "PoETests", dependencies: ["PoE", "PoETestSupport"]),
        .testTarget(name: "PoEBenchTests", dependencies: ["PoE", "PoERules", "PoEBench", "PoETestSupport"]),
        .testTarget(
            name: "PoERulesTests",
            dependencies: ["PoE", "PoERules", "PoETransformer", "PoETestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "PoETransformerTests",
            dependencies: ["PoE", "PoETransformer", "PoEKernels"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "PoETrainingTests", dependencies: ["PoE", "PoETransformer", "PoETraining"], resources: [.copy("Fixtures")]),
        .testTarget(name: "poeTests", dependencies: ["poe", "PoE", "PoETransformer"]),
    ],
    swiftLanguageModes: [.v6]
)
