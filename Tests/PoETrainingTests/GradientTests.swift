import Foundation
import PoE
import PoETraining
import PoETransformer
import Testing

/// The backward pass against finite differences of the forward pass, on tiny random models: for random
/// directions v in the adapter's parameters, the central difference of L(θ + εv) (Richardson-extrapolated
/// from ε and ε/2, which cancels its ε² error) against ∇L · v, over all the parameters at once and over
/// single pairs. The forward pass is float32, so the differences carry ~1e-3 of rounding noise; the
/// float64 comparison with JAX (`JAXGradientTests`) is the tight one.
@Suite struct GradientTests {
    static func check(architecture: String, tokens: Int) throws {
        let model = try TinyModels.write(architecture: architecture)
        let lora = TrainableLoRA(model: model, rank: 3, alpha: 6, targets: LoRATarget.allCases, seed: 5)
        // B starts at zero, which would leave A without a gradient: start both random.
        var random = SeededGenerator(seed: 9)
        var theta = lora.parameters.map { _ in Float(random.nextUnit() * 2 - 1) * 0.3 }
        lora.parameters = theta
        let graph = TrainingGraph(model: model, lora: lora)
        let input = (0 ..< tokens).map { _ in TokenID(3 + random.next() % 26) }
        // Every other position has a target (a mask, as training on responses only makes one).
        let targets: [TokenID?] = (0 ..< tokens).map { $0 % 2 == 0 ? TokenID(3 + random.next() % 26) : nil }
        func loss(_ parameters: [Float]) -> Double {
            lora.parameters = parameters
            return graph.forward(input, targets: targets, lossScale: 1)
        }
        lora.zeroGradients()
        _ = loss(theta)
        graph.backward()
        let gradient = lora.gradients
        // Directions: all parameters, then each pair's alone (pairs are contiguous in `parameters`).
        var directions: [[Float]] = [(0 ..< theta.count).map { _ in Float(random.nextUnit() * 2 - 1) }]
        let pairSize = theta.count / (2 * 7)
        for pair in 0 ..< 4 {
            directions.append((0 ..< theta.count).map { i in i / pairSize == pair * 3 ? Float(random.nextUnit() * 2 - 1) : 0 })
        }
        for (n, v) in directions.enumerated() {
            func central(_ epsilon: Float) -> Double {
                (loss(zip(theta, v).map { $0 + epsilon * $1 }) - loss(zip(theta, v).map { $0 - epsilon * $1 })) / Double(2 * epsilon)
            }
            let numeric = (4 * central(1e-2) - central(2e-2)) / 3
            let analytic = zip(gradient, v).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let error = abs(numeric - analytic)
            print("[gradient] \(architecture) direction \(n): finite difference \(numeric), backward \(analytic), difference \(error)")
            #expect(error <= 2e-3 * max(abs(numeric), abs(analytic)) + 1e-3, "\(architecture) direction \(n): \(numeric) vs \(analytic)")
        }
        theta = lora.parameters
    }

    @Test func llama() throws { try Self.check(architecture: "llama", tokens: 12) }
    @Test func gemma3SlidingWindow() throws { try Self.check(architecture: "gemma3", tokens: 12) }
}

/// Gradient checkpointing recomputes each layer's activations in the backward pass: the same arithmetic
/// on the same inputs, so the same loss and gradients, bit for bit.
@Suite struct RecomputingTests {
    @Test(arguments: ["llama", "gemma3"]) func recomputedActivationsGiveTheSameGradients(architecture: String) throws {
        let model = try TinyModels.write(architecture: architecture)
        var random = SeededGenerator(seed: 4)
        let input = (0 ..< 12).map { _ in TokenID(3 + random.next() % 26) }
        let targets: [TokenID?] = input.indices.map { $0 >= 4 ? TokenID(3 + random.next() % 26) : nil }
        func run(recomputing: Bool) -> (Double, [Float]) {
            let lora = TrainableLoRA(model: model, rank: 3, alpha: 6, targets: LoRATarget.allCases, seed: 5)
            var fill = SeededGenerator(seed: 9)
            lora.parameters = lora.parameters.map { _ in Float(fill.nextUnit() * 2 - 1) * 0.3 }
            let graph = TrainingGraph(model: model, lora: lora, recomputing: recomputing)
            lora.zeroGradients()
            let loss = graph.forward(input, targets: targets, lossScale: 1)
            graph.backward()
            return (loss, lora.gradients)
        }
        let (kept, recomputed) = (run(recomputing: false), run(recomputing: true))
        #expect(kept.0 == recomputed.0)
        #expect(kept.1 == recomputed.1)
        #expect(kept.1.contains { $0 != 0 })
    }
}
