import PoE

extension Vocabulary {
    /// Token texts that end a generation, as llama.cpp (0.3.36, the version our fixtures pin) lists them: it
    /// finds end-of-generation tokens by their text. Note `</s>`: in Gemma 3 it is an HTML tag (id 212), yet
    /// llama.cpp stops on it, and so do we, to generate what llama.cpp generates.
    static let endOfGenerationTexts: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
        "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
        "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
        "<｜end▁of▁sentence｜>", "[e~[",
    ]

    /// Fill-in-the-middle pad, repository and file-separator tokens, which llama.cpp also treats as
    /// end-of-generation when the metadata does not name them (`tokenizer.ggml.fim_*_token_id`).
    static let fillInTheMiddleTexts: [(key: String, texts: Set<String>)] = [
        ("tokenizer.ggml.fim_pad_token_id", ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"]),
        ("tokenizer.ggml.fim_rep_token_id", ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"]),
        ("tokenizer.ggml.fim_sep_token_id", ["<|file_sep|>"]),
    ]

    /// The vocabulary in a GGUF file's `tokenizer.ggml.*` keys.
    public init(gguf metadata: GGUFMetadata) throws(GGUFMetadataError) {
        guard let pieces = try metadata.strings("tokenizer.ggml.tokens") else { throw .missingKey("tokenizer.ggml.tokens") }
        let model = try metadata.string("tokenizer.ggml.model") ?? "llama"
        var kinds = [TokenKind](repeating: .normal, count: pieces.count)
        if let raw = try metadata.integers("tokenizer.ggml.token_type") {
            guard raw.count == pieces.count else {
                throw .wrongType(key: "tokenizer.ggml.token_type", expected: "an array with one entry per token (\(pieces.count))", found: .array)
            }
            for (i, value) in raw.enumerated() {
                guard let kind = TokenKind(rawValue: Int32(truncatingIfNeeded: value)) else {
                    throw .wrongElementType(key: "tokenizer.ggml.token_type", index: i, expected: "token types 0-6", found: .int32)
                }
                kinds[i] = kind
            }
        }

        func specialID(_ key: String) throws(GGUFMetadataError) -> TokenID? {
            guard let id = try metadata.integer(key) else { return nil }
            // llama.cpp ignores ids outside the vocabulary (and -1 meaning "none").
            return id >= 0 && id < pieces.count ? TokenID(id) : nil
        }
        // llama.cpp's defaults when the keys are absent: SentencePiece models use 1 and 2.
        let sentencePiece = model == "llama"
        let bos = try specialID("tokenizer.ggml.bos_token_id") ?? (sentencePiece && pieces.count > 1 ? 1 : nil)
        let eos = try specialID("tokenizer.ggml.eos_token_id") ?? (sentencePiece && pieces.count > 2 ? 2 : nil)
        let eot = try specialID("tokenizer.ggml.eot_token_id")
        let eom = try specialID("tokenizer.ggml.eom_token_id")

        var endOfGeneration = Set([eos, eot, eom].compactMap { $0 })
        for (i, piece) in pieces.enumerated() where Self.endOfGenerationTexts.contains(piece) {
            endOfGeneration.insert(TokenID(i))
        }
        for (key, texts) in Self.fillInTheMiddleTexts {
            if let id = try specialID(key) ?? pieces.firstIndex(where: texts.contains).map(TokenID.init) {
                endOfGeneration.insert(id)
            }
        }
        let addsBOS = try metadata.bool("tokenizer.ggml.add_bos_token") ?? sentencePiece
        self.init(pieces: pieces, kinds: kinds, bos: bos, eos: eos, endOfGeneration: endOfGeneration, addsBOS: addsBOS)
    }
}
