import CBLAS
import Foundation
import PoEKernels

/// C (m, n) = alpha · A (m, k) · B (k, n) + beta · C, all row-major, through OpenBLAS.
///
/// `transposeB` reads B as stored (n, k) and uses its transpose, which is how weight matrices
/// (stored one output per row) and attention keys (one position per row) are kept; `transposeA` reads A
/// as stored (k, m), as backward passes need.
@inline(__always)
package func gemm(
    m: Int, n: Int, k: Int,
    _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
    _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
    _ c: UnsafeMutablePointer<Float>, ldc: Int,
    alpha: Float = 1, beta: Float = 0
) {
    _ = singleThreadedBLAS
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// OpenBLAS set to one thread, once: the engine splits work across cores itself (`parallelChunks`).
let singleThreadedBLAS: Void = openblas_set_num_threads(1)

/// OpenBLAS as loaded in this process.
public enum OpenBLAS {
    /// The kernels OpenBLAS chose for this CPU (e.g. "Haswell", "SkylakeX").
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// The `OPENBLAS_CORETYPE` a program should set before OpenBLAS loads, or nil where its own choice is
    /// right. Debian's OpenBLAS 0.3.21 does not know recent AMD CPUs and runs its AVX2 ("Haswell") kernels
    /// on them; where the CPU has AVX-512, its SkylakeX kernels nearly double sgemm's speed.
    public static var recommendedCoreType: String? {
        poe_simd_level() == 2 && coreName == "Haswell" ? "SkylakeX" : nil
    }

    /// Restarts the program with OpenBLAS's fastest kernels for this CPU, if it loaded slower ones; else
    /// returns at once. Call it first thing in `main`, before any work you would not want done twice:
    ///
    /// ```swift
    /// @main struct App {
    ///     static func main() async throws {
    ///         OpenBLAS.restartWithFastestKernels()
    ///         ...
    ///     }
    /// }
    /// ```
    ///
    /// OpenBLAS picks its kernels once, as the program loads, from `OPENBLAS_CORETYPE`; so the only way
    /// to change them is to run the program again (`execv`, same arguments and environment) with the
    /// variable set: to `POE_OPENBLAS_CORETYPE` if that is set, else to ``recommendedCoreType``. It
    /// restarts at most once (`POE_OPENBLAS_TUNED` marks the second run), and `POE_OPENBLAS_CORETYPE=`
    /// (empty) turns it off. Without it a program runs correctly, with slower matrix products on CPUs
    /// OpenBLAS does not know (`poe` calls it; `coreName` says what was loaded).
    public static func restartWithFastestKernels() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["POE_OPENBLAS_TUNED"] == nil,
              let core = environment["POE_OPENBLAS_CORETYPE"] ?? recommendedCoreType,
              !core.isEmpty, core != coreName
        else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("POE_OPENBLAS_TUNED", "1", 1)  // once: never loop, whatever OpenBLAS makes of the name
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached if execv failed: carry on with the kernels OpenBLAS chose.
    }
}
