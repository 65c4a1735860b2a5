import Foundation
import PoE

/// The reference code's optional start rule (not one of the paper's three): favour a first word such as
/// "Okay", then "!", then no newline. Off in every preset but `paper-start`.
///
/// Before the first response token, every token gets `firstTokenWeight ×` a score of its text: +10 for an
/// agreement word, −3 for "I", +1 for a letter (or CJK, Cyrillic, kana, Hangul), −1 for punctuation,
/// 0 otherwise (one leading space ignored). Before the second, "!" gets `exclamation`; before the third,
/// a newline gets `newline`.
public struct StartBias: Expert {
    /// Every token's score before the first response token (`firstTokenWeight` × the score of its text).
    public let firstToken: [Float]
    /// The token "!", if the vocabulary has it as one token.
    public let exclamationID: TokenID?
    /// The token "\n", if the vocabulary has it as one token.
    public let newlineID: TokenID?
    /// The score of "!" before the second response token.
    public var exclamation: Float
    /// The score of a newline before the third response token.
    public var newline: Float

    /// The start rule for a model with `tokenizer`; the defaults are the reference code's.
    public init(
        tokenizer: some Tokenizer, agreements: [String] = ["Okay"], firstTokenWeight: Float = 5,
        exclamation: Float = 15, newline: Float = -10
    ) {
        let vocabulary = tokenizer.vocabulary
        firstToken = (0 ..< vocabulary.count).map { id in
            firstTokenWeight * Self.score(Self.text(of: TokenID(id), tokenizer: tokenizer), agreements: agreements)
        }
        let resolved = resolveTokens(["!", "\n"], tokenizer: tokenizer)
        exclamationID = resolved[0]
        newlineID = resolved[1]
        self.exclamation = exclamation
        self.newline = newline
    }

    public var name: String { "start" }

    /// A token's text as the reference saw it: SentencePiece-style, a leading space as `▁`, and byte and
    /// special tokens by their own text (`<0x0A>`, `<s>`).
    static func text(of id: TokenID, tokenizer: some Tokenizer) -> String {
        let vocabulary = tokenizer.vocabulary
        let attributes = vocabulary.attributes[Int(id)]
        if attributes.contains(.byte) || !attributes.isDisjoint(with: [.control, .unknown]) { return vocabulary.pieces[Int(id)] }
        let text = tokenizer.decode([id], renderSpecial: true)
        return text.hasPrefix(" ") ? "\u{2581}" + text.dropFirst() : text
    }

    /// The reference's `score_string`.
    public static func score(_ piece: String, agreements: [String]) -> Float {
        if piece == "\u{2581}" || piece.isEmpty { return 0 }
        let text = piece.hasPrefix("\u{2581}") ? String(piece.dropFirst()) : piece
        guard let first = text.unicodeScalars.first else { return 0 }
        if text == "I" { return -3 }
        if agreements.contains(text) { return 10 }
        let v = first.value
        if first.properties.isUppercase || first.properties.isLowercase || (0x4E00 ... 0x9FFF).contains(v)
            || (0x0400 ... 0x04FF).contains(v) || (0x3040 ... 0x30FF).contains(v) || (0xAC00 ... 0xD7AF).contains(v) {
            return 1
        }
        if ".,:;!?<>[]{}()\"'`~@#$%^&*-=+\\|/".unicodeScalars.contains(first) { return -1 }
        return 0
    }

    public func start(_ prompt: Prompt) throws -> any ExpertState { State(bias: self) }

    final class State: ExpertState {
        let bias: StartBias
        init(bias: StartBias) { self.bias = bias }

        func scores(_ step: ExpertStep) -> ExpertScores {
            switch step.generatedCount {
            case 0: return .dense(bias.firstToken)
            case 1: return bias.exclamationID.map { .sparse(ids: [$0], values: [bias.exclamation]) } ?? .none
            case 2: return bias.newlineID.map { .sparse(ids: [$0], values: [bias.newline]) } ?? .none
            default: return .none
            }
        }

        func accept(_ token: TokenID) {}
    }
}
