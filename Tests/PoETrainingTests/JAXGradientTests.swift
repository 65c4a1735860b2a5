import Foundation
import PoE
import PoEModels
import PoETraining
import PoETransformer
import Testing

/// The backward pass on the real models' first two layers (then their output norm and matrix), against
/// JAX's automatic differentiation in float64 on the same GGUF weights (scripts/training_reference.py):
/// the loss, and each LoRA pair's gradient by its norm, its first entries and a projection.
@Suite struct JAXGradientTests {
    struct Fixture: Decodable {
        struct Pair: Decodable {
            let tensor: String
            let norm_a: Double, norm_b: Double, projection_a: Double, projection_b: Double
            let first_a: [Double], first_b: [Double]
        }

        let model: String, layers: Int, rank: Int, alpha: Float, tokens: [Int32], loss_start: Int, loss: Double, pairs: [Pair]
    }

    @Test(arguments: ["smollm2-135m-instruct", "gemma-3-270m"])
    func gradientsEqualJAX(model name: String) throws {
        guard let url = Bundle.module.url(forResource: "Fixtures/gradients-\(name)", withExtension: "json") else { throw CocoaError(.fileNoSuchFile) }
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        let model = try Transformer(file: GGUFFile(path: ModelStore().resolve(name).path), layers: fixture.layers)
        let lora = TrainableLoRA(model: model, rank: fixture.rank, alpha: fixture.alpha, targets: LoRATarget.allCases, seed: 0)
        // The formula adapter the script uses, pair by pair: A (rank, inputs) then B (outputs, rank).
        var parameters: [Float] = []
        var pair = 0
        for (inputs, outputs) in lora.shapesInOrder {
            let p = Double(pair)
            parameters += (0 ..< fixture.rank * inputs).map { k in Float(0.5 / Double(inputs).squareRoot() * sin(0.7 + 1.3 * p + 0.917 * Double(k))) }
            parameters += (0 ..< outputs * fixture.rank).map { k in Float(0.02 * cos(0.3 + 0.7 * p + 0.613 * Double(k))) }
            pair += 1
        }
        lora.parameters = parameters
        let input = Array(fixture.tokens.dropLast())
        let targets: [TokenID?] = (1 ..< fixture.tokens.count).map { $0 >= fixture.loss_start ? fixture.tokens[$0] : nil }
        let count = targets.compactMap { $0 }.count
        let graph = TrainingGraph(model: model, lora: lora)
        lora.zeroGradients()
        let loss = graph.forward(input, targets: targets, lossScale: 1 / Float(count)) / Double(count)
        graph.backward()
        print("[jax] \(name): loss \(loss), JAX \(fixture.loss)")
        #expect(abs(loss - fixture.loss) < 2e-5 * fixture.loss, "\(name) loss \(loss) vs \(fixture.loss)")
        var offset = 0, worst = 0.0
        let gradients = lora.gradients
        for ((inputs, outputs), expected) in zip(lora.shapesInOrder, fixture.pairs) {
            let a = gradients[offset ..< offset + fixture.rank * inputs].map(Double.init)
            offset += fixture.rank * inputs
            let b = gradients[offset ..< offset + outputs * fixture.rank].map(Double.init)
            offset += outputs * fixture.rank
            for (half, values, norm, projection, first) in [("A", a, expected.norm_a, expected.projection_a, expected.first_a),
                                                             ("B", b, expected.norm_b, expected.projection_b, expected.first_b)] {
                let ourNorm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
                let ourProjection = values.enumerated().reduce(0.0) { $0 + $1.element * sin(0.11 * Double($1.offset) + 0.5) }
                let errors = [abs(ourNorm - norm) / norm, abs(ourProjection - projection) / norm]
                    + zip(values.prefix(4), first).map { abs($0 - $1) / norm }
                worst = max(worst, errors.max() ?? 0)
                #expect(errors.allSatisfy { $0 < 1e-4 }, "\(name) \(expected.tensor) \(half): norm \(ourNorm) vs \(norm), projection \(ourProjection) vs \(projection)")
            }
        }
        print("[jax] \(name): \(fixture.pairs.count) pairs, largest error relative to the gradient's norm \(worst)")
    }
}
