/// A heap array of floats that a training graph owns and reuses across sequences, grown only when a
/// longer sequence needs it.
final class Floats {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var count: Int

    init(_ count: Int = 0) {
        self.count = max(count, 1)
        pointer = .allocate(capacity: self.count)
        pointer.initialize(repeating: 0, count: self.count)
    }

    /// Room for `needed` floats (the contents are not kept).
    func reserve(_ needed: Int) {
        guard needed > count else { return }
        pointer.deallocate()
        count = needed
        pointer = .allocate(capacity: count)
        pointer.initialize(repeating: 0, count: count)
    }

    func zero(_ count: Int) { pointer.update(repeating: 0, count: min(count, self.count)) }

    deinit { pointer.deallocate() }
}
