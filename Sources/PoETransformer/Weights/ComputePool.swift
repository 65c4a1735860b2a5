import Foundation
import PoEKernels
import Synchronization

/// Runs `body(chunk, range)` over `count` items split into one contiguous chunk per core (at least
/// `minimumChunk` items each), and returns when all are done.
///
/// This is the engine's only parallelism: OpenBLAS runs single-threaded inside the chunks (see `gemm`),
/// because its own spinning threads and ours would fight over the cores.
package func parallelChunks(_ count: Int, minimumChunk: Int = 64, _ body: @escaping @Sendable (Int, Range<Int>) -> Void) {
    let chunks = max(1, min(ComputeThreads.count, count / max(minimumChunk, 1)))
    let range = { @Sendable (chunk: Int) in count * chunk / chunks ..< count * (chunk + 1) / chunks }
    if chunks == 1 {
        body(0, 0 ..< count)
    } else if !ComputePool.shared.run(chunks: chunks, { body($0, range($0)) }) {
        // The pool is busy (another sequence's pass on another task): Dispatch's threads instead.
        DispatchQueue.concurrentPerform(iterations: chunks) { body($0, range($0)) }
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

/// Worker threads that stay awake between the many small products of a decode step.
///
/// A decode step runs a few hundred parallel products of tens of microseconds each. Waking sleeping
/// threads for each (as Dispatch does) cost a quarter of a SmolLM2 step in the kernel's scheduler, so
/// workers spin on a counter for a while after each job (about a millisecond) before they sleep. The
/// caller runs chunk 0 itself; one caller at a time uses the pool, others fall back to Dispatch.
///
/// `@unchecked Sendable` is safe: `job` is written only by the caller holding `busy`, before it
/// publishes the job with a release store of `state` (a new generation and the job's chunk count, in one
/// word); a worker reads `job` only after an acquire load of that state shows a chunk for it, and the
/// caller does not touch `job` again until every such worker has reported done (acquire). `workers` is
/// touched only by the caller holding `busy`, and the condition's own lock guards `sleepers`.
final class ComputePool: @unchecked Sendable {
    static let shared = ComputePool()

    private let busy = Atomic<Bool>(false)
    /// generation · 4096 + the current job's chunk count.
    private let state = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private var job: ((Int) -> Void)?
    private var workers = 0
    private let wake = NSCondition()
    private var sleepers = 0
    /// Polls of `generation` before a worker sleeps.
    private static let spins = 50_000

    /// Runs `body(0 ..< chunks)` across the caller and `chunks − 1` workers; false (and nothing run)
    /// when another caller has the pool.
    func run(chunks: Int, _ body: @escaping (Int) -> Void) -> Bool {
        guard chunks < 4096, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        startWorkers(upTo: chunks - 1)
        job = body
        finished.store(0, ordering: .relaxed)
        let generation = state.load(ordering: .relaxed) / 4096 + 1
        state.store(generation * 4096 + chunks, ordering: .releasing)
        wake.lock()
        if sleepers > 0 { wake.broadcast() }
        wake.unlock()
        body(0)
        while finished.load(ordering: .acquiring) < chunks - 1 { poe_cpu_relax() }
        job = nil
        return true
    }

    private func startWorkers(upTo count: Int) {
        while workers < count {
            workers += 1
            let index = workers, seen = state.load(ordering: .relaxed)
            let thread = Thread { [unowned self] in self.work(index: index, seen: seen) }
            thread.name = "poe compute \(index)"
            thread.start()
        }
    }

    /// Worker `index` runs chunk `index` of every job that has one.
    private func work(index: Int, seen start: Int) {
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
            if index < seen % 4096, let job {
                job(index)
                finished.add(1, ordering: .releasing)
            }
        }
    }
}
