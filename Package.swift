// swift-tools-version:6.0
// CaptureGuard links only system C libraries (libv4l2/libv4lconvert and
// OpenSSL libcrypto); it has no Swift package dependencies by design.
import PackageDescription

let package = Package(
    name: "CaptureGuard",
    products: [
        .executable(name: "captureguard", targets: ["captureguard"]),
    ],
    targets: [
        .systemLibrary(name: "CV4L2", pkgConfig: "libv4l2", providers: [.apt(["libv4l-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        .target(name: "CaptureModel"),
        .target(name: "CaptureEngine", dependencies: ["CaptureModel", "CV4L2"]),
        .target(name: "CaptureFile", dependencies: ["CaptureModel"]),
        .target(name: "CaptureCrypto", dependencies: ["COpenSSL"]),
        .target(name: "CapturePath", dependencies: ["CaptureModel", "CaptureCrypto"]),
        .target(name: "Verifier", dependencies: ["CaptureCrypto"]),
        .target(name: "LocalAPI"),
        .target(name: "FrameForensics", dependencies: ["CaptureModel", "CaptureFile"]),
        .target(name: "FaceAnalysis", dependencies: ["CaptureModel", "FrameForensics"]),
        .target(name: "Attestation", dependencies: ["CaptureModel", "CaptureCrypto", "CaptureFile", "CapturePath", "FrameForensics", "FaceAnalysis", "Verifier"]),
        .target(name: "CaptureGuardCLI", dependencies: ["CaptureModel", "CaptureEngine", "CaptureFile", "CapturePath", "CaptureCrypto", "FrameForensics", "FaceAnalysis", "Verifier", "Attestation", "LocalAPI"]),
        .executableTarget(name: "captureguard", dependencies: ["CaptureGuardCLI"]),
        .executableTarget(name: "token-bench", dependencies: ["Attestation", "CaptureCrypto", "COpenSSL", "Verifier"], path: "Tools/bench/token-bench"),
        .executableTarget(name: "forensics-bench", dependencies: ["FrameForensics", "CaptureFile", "CaptureModel"], path: "Tools/bench/forensics-bench"),
        .executableTarget(name: "faces-bench", dependencies: ["FaceAnalysis", "FrameForensics", "CaptureFile"], path: "Tools/bench/faces-bench"),
        .executableTarget(name: "convert-bench", dependencies: ["CaptureEngine", "CaptureFile", "CaptureModel"], path: "Tools/bench/convert-bench"),

        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "CaptureModelTests", dependencies: ["CaptureModel"]),
        .testTarget(name: "CaptureEngineTests", dependencies: ["CaptureEngine", "CaptureModel", "TestSupport"]),
        .testTarget(name: "CaptureFileTests", dependencies: ["CaptureFile", "CaptureModel", "TestSupport"]),
        .testTarget(name: "CapturePathTests", dependencies: ["CapturePath", "CaptureModel", "CaptureCrypto", "TestSupport"]),
        .testTarget(name: "FrameForensicsTests", dependencies: ["FrameForensics", "CaptureFile", "CaptureModel", "TestSupport"]),
        .testTarget(name: "FaceAnalysisTests", dependencies: ["FaceAnalysis", "FrameForensics", "TestSupport"]),
        .testTarget(name: "VerifierTests", dependencies: ["Verifier", "CaptureCrypto", "Attestation", "CaptureFile", "CaptureModel", "TestSupport"]),
        .testTarget(name: "LocalAPITests", dependencies: ["LocalAPI"]),
        .testTarget(name: "CaptureGuardCLITests", dependencies: ["CaptureGuardCLI", "CaptureFile", "CaptureModel", "Attestation", "CaptureCrypto", "TestSupport"]),
    ]
)
