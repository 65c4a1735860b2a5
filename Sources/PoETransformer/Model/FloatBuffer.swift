/// A heap buffer of floats that a session owns, grown only when a larger batch or sequence needs it.
final class FloatBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var count: Int

    init(count: Int) {
        self.count = max(count, 1)
        pointer = .allocate(capacity: self.count)
        pointer.initialize(repeating: 0, count: self.count)
    }

    /// How many floats `reserve(needed)` would add.
    func growth(for needed: Int) -> Int {
        needed > count ? max(needed, count * 2) - count : 0
    }

    /// Makes room for `needed` floats, keeping the first `keeping` of them.
    func reserve(_ needed: Int, keeping: Int = 0) {
        guard needed > count else { return }
        let newCount = max(needed, count * 2)
        let newPointer = UnsafeMutablePointer<Float>.allocate(capacity: newCount)
        newPointer.initialize(repeating: 0, count: newCount)
        newPointer.update(from: pointer, count: min(keeping, count))
        pointer.deallocate()
        pointer = newPointer
        count = newCount
    }

    /// A buffer with the same first `count` floats.
    func copy(count copied: Int) -> FloatBuffer {
        let other = FloatBuffer(count: count)
        other.pointer.update(from: pointer, count: min(copied, count))
        return other
    }

    deinit { pointer.deallocate() }
}
