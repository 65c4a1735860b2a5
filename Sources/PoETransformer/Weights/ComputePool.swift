import Foundation
import PoEKernels
import Synchronization

/// Runs `body(slot, range)` over `count` items and returns when all are done. The items are cut into
/// pieces of at least `minimumChunk`, a multiple of the thread count of them (so that, with every core
/// free, each thread takes as many), and the threads take pieces one after another until none is left;
/// `slot` (below `ComputeThreads.count`) names the thread running a piece, for per-thread scratch. Which
/// thread runs a piece changes nothing in its results.
///
/// Taking pieces as they come, rather than one fixed share each, is what keeps a product fast when another
/// process holds a core: the thread that core slows down simply takes fewer pieces. This is the engine's
/// only parallelism: OpenBLAS runs single-threaded inside the pieces (see `gemm`), because its own
/// spinning threads and ours would fight over the cores.
package func parallelChunks(_ count: Int, minimumChunk: Int = 64, _ body: @escaping @Sendable (Int, Range<Int>) -> Void) {
    let most = max(1, count / max(minimumChunk, 1))
    let threads = min(ComputeThreads.count, most)
    let pieces = max(threads, min(most, ComputePool.piecesPerProduct) / threads * threads)
    // Boundaries at multiples of 8 items where pieces are that large: the kernels take rows in pairs, and
    // a pair never straddles two pieces.
    let align = minimumChunk >= 8 ? 8 : 1
    let bound = { @Sendable (piece: Int) in piece == pieces ? count : count * piece / pieces / align * align }
    if threads == 1 {
        body(0, 0 ..< count)
    } else if !ComputePool.shared.run(threads: threads, pieces: pieces, { slot, piece in body(slot, bound(piece) ..< bound(piece + 1)) }) {
        // The pool is busy (another sequence's pass on another task): Dispatch's threads instead, taking
        // pieces from a counter of their own.
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: threads) { slot in
            while case let piece = next.add(1, ordering: .relaxed).oldValue, piece < pieces {
                body(slot, bound(piece) ..< bound(piece + 1))
            }
        }
    }
}

/// How many threads the engine splits its work across (default: the machine's cores).
public enum ComputeThreads {
    /// The cores this process may run on.
    public static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    private static let stored = Atomic<Int>(cores)

    /// The threads the engine uses now.
    public static var count: Int { stored.load(ordering: .relaxed) }

    /// Sets the thread count, at least 1 and at most `cores`: the pool's workers spin while they wait,
    /// so more threads than cores only take turns, and steps slowed 40-fold in a test of 4 threads on 2
    /// cores. Returns the count set.
    @discardableResult
    public static func set(_ count: Int) -> Int {
        let clamped = min(max(1, count), cores)
        stored.store(clamped, ordering: .relaxed)
        return clamped
    }
}

/// Worker threads that stay awake between the many small products of a decode step, and take the pieces
/// of each product as they come.
///
/// A decode step runs a few hundred parallel products of tens of microseconds each. Waking sleeping
/// threads for each (as Dispatch does) cost a quarter of a SmolLM2 step in the kernel's scheduler, so
/// workers spin on a counter for a while after each job (about a millisecond) before they sleep. The
/// caller takes pieces too; one caller at a time uses the pool, others fall back to Dispatch.
///
/// A job is open to workers through `gate`: the job's generation, a closed flag and how many workers are
/// inside. A worker enters only the generation it was woken for and only while it is open, takes pieces
/// until none is left, and leaves. When the pieces run out the caller closes the gate as soon as no
/// worker is inside, and returns: it never waits for a worker that has not started (the scheduler may
/// have given that worker's core to another process for milliseconds), only for pieces in progress.
///
/// `@unchecked Sendable` is safe: `job` and `pieces` are written only by the caller holding `busy`, while
/// the gate is closed with no worker inside, before it opens the gate with a release store; a worker
/// reads them only after entering through the gate (an acquiring exchange on the open generation), and
/// the caller waits for every worker inside to leave (acquire) before it closes the gate and touches them
/// again. `workers` is touched only by the caller holding `busy`, and the condition's own lock guards
/// `sleepers`.
final class ComputePool: @unchecked Sendable {
    static let shared = ComputePool()

    /// Pieces a product is cut into: enough that a thread slowed by another process leaves its share to
    /// the others, few enough that each is still long beside the cost of taking it.
    static let piecesPerProduct = max(16, 4 * ComputeThreads.cores)

    private let busy = Atomic<Bool>(false)
    /// generation · 4096 + the current job's thread count: what sleeping and spinning workers watch.
    private let state = Atomic<Int>(0)
    /// generation · 2¹⁶ + closed · 2¹⁵ + workers inside.
    private let gate = Atomic<Int>(Gate.closed)
    /// The next piece to take.
    private let next = Atomic<Int>(0)
    private var job: ((Int, Int) -> Void)?
    private var pieces = 0
    private var workers = 0
    private let wake = NSCondition()
    private var sleepers = 0
    /// Polls of `state` before a worker sleeps.
    private static let spins = 50_000

    private enum Gate {
        static let closed = 1 << 15
        static let generationUnit = 1 << 16
        static func generation(_ word: Int) -> Int { word / generationUnit }
        static func isOpen(_ word: Int) -> Bool { word & closed == 0 }
        static func inside(_ word: Int) -> Int { word & (closed - 1) }
    }

    /// Runs `body(slot, piece)` for every piece in `0 ..< pieces` across the caller (slot 0) and up to
    /// `threads − 1` workers; false (and nothing run) when another caller has the pool.
    func run(threads: Int, pieces: Int, _ body: @escaping (Int, Int) -> Void) -> Bool {
        guard threads < 4096, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        startWorkers(upTo: threads - 1)
        job = body
        self.pieces = pieces
        next.store(0, ordering: .relaxed)
        let generation = state.load(ordering: .relaxed) / 4096 + 1
        gate.store(generation * Gate.generationUnit, ordering: .releasing)
        state.store(generation * 4096 + threads, ordering: .releasing)
        wake.lock()
        if sleepers > 0 { wake.broadcast() }
        wake.unlock()
        takePieces(slot: 0, of: body, count: pieces)
        // Close the gate once no worker is inside: pieces taken are finished, and no one takes more.
        while true {
            let word = gate.load(ordering: .acquiring)
            if Gate.inside(word) == 0,
               gate.compareExchange(expected: word, desired: word | Gate.closed, ordering: .acquiringAndReleasing).exchanged
            { break }
            poe_cpu_relax()
        }
        job = nil
        return true
    }

    private func takePieces(slot: Int, of body: (Int, Int) -> Void, count: Int) {
        while case let piece = next.add(1, ordering: .relaxed).oldValue, piece < count { body(slot, piece) }
    }

    private func startWorkers(upTo count: Int) {
        while workers < count {
            workers += 1
            let index = workers, seen = state.load(ordering: .relaxed)
            let thread = Thread { [unowned self] in self.work(slot: index, seen: seen) }
            thread.name = "poe compute \(index)"
            thread.start()
        }
    }

    /// Worker `slot` takes pieces of every job that has room for it.
    private func work(slot: Int, seen start: Int) {
        var seen = start
        while true {
            var polls = 0
            while state.load(ordering: .acquiring) == seen {
                polls += 1
                if polls < Self.spins {
                    poe_cpu_relax()
                    continue
                }
                wake.lock()
                sleepers += 1
                while state.load(ordering: .acquiring) == seen { wake.wait() }
                sleepers -= 1
                wake.unlock()
            }
            seen = state.load(ordering: .acquiring)
            if slot < seen % 4096, enter(generation: seen / 4096) {
                if let job { takePieces(slot: slot, of: job, count: pieces) }
                gate.subtract(1, ordering: .releasing)
            }
        }
    }

    /// Steps inside the gate if it is open for `generation`.
    private func enter(generation: Int) -> Bool {
        var word = gate.load(ordering: .relaxed)
        while Gate.generation(word) == generation, Gate.isOpen(word) {
            let (exchanged, found) = gate.compareExchange(expected: word, desired: word + 1, ordering: .acquiring)
            if exchanged { return true }
            word = found
        }
        return false
    }
}
