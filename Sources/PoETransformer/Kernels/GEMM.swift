import CBLAS

/// C (m, n) = alpha · A (m, k) · B (k, n) + beta · C, all row-major, through OpenBLAS.
///
/// `transposeB` reads B as stored (n, k) and uses its transpose, which is how weight matrices
/// (stored one output per row) and attention keys (one position per row) are kept.
@inline(__always)
func gemm(
    m: Int, n: Int, k: Int,
    _ a: UnsafePointer<Float>, lda: Int,
    _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
    _ c: UnsafeMutablePointer<Float>, ldc: Int,
    alpha: Float = 1, beta: Float = 0
) {
    cblas_sgemm(
        CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
