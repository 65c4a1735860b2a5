import Foundation

/// AdamW (Loshchilov and Hutter): Adam's moments with bias correction, and weight decay applied to the
/// parameters directly rather than through the gradient.
struct AdamW: Codable {
    var beta1: Float = 0.9
    var beta2: Float = 0.999
    var epsilon: Float = 1e-8
    var weightDecay: Float
    /// First and second moments, one per parameter.
    var m: [Float]
    var v: [Float]
    /// Updates done.
    var steps = 0

    init(parameters: Int, weightDecay: Float) {
        self.weightDecay = weightDecay
        m = [Float](repeating: 0, count: parameters)
        v = [Float](repeating: 0, count: parameters)
    }

    /// One update of `parameters` with `gradients` at `learningRate`.
    mutating func update(_ parameters: inout [Float], gradients: [Float], learningRate: Float) {
        steps += 1
        let correction1 = 1 - pow(beta1, Float(steps)), correction2 = 1 - pow(beta2, Float(steps))
        for i in parameters.indices {
            let g = gradients[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            let update = (m[i] / correction1) / ((v[i] / correction2).squareRoot() + epsilon)
            parameters[i] -= learningRate * (update + weightDecay * parameters[i])
        }
    }
}

/// How the learning rate moves over training: a linear warm-up from 0, then a cosine or linear decay to
/// 0 at the last step, or a constant rate.
public enum LearningRateSchedule: String, Sendable, Codable, CaseIterable {
    /// Half a cosine from the peak down to 0 at the last step.
    case cosine
    /// A straight line from the peak down to 0 at the last step.
    case linear
    /// The peak throughout.
    case constant

    /// The rate at `step` (0-based) of `total`, peaking at `peak` after `warmup` steps.
    public func rate(step: Int, total: Int, warmup: Int, peak: Float) -> Float {
        if step < warmup { return peak * Float(step + 1) / Float(warmup + 1) }
        let progress = total > warmup ? Float(step - warmup) / Float(total - warmup) : 1
        switch self {
        case .constant: return peak
        case .linear: return peak * (1 - progress)
        case .cosine: return peak * 0.5 * (1 + cos(Float.pi * progress))
        }
    }
}

/// Scales gradients so that their global norm is at most `limit`; returns the norm before.
func clipGradients(_ gradients: inout [Float], limit: Float) -> Float {
    let norm = Float(gradients.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
    if limit > 0, norm > limit {
        let scale = limit / norm
        for i in gradients.indices { gradients[i] *= scale }
    }
    return norm
}
