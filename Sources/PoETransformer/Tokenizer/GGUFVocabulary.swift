import PoE

/// The two tokenizer families GGUF files use (`tokenizer.ggml.model`).
enum TokenizerKind: Sendable {
    /// `llama`: SentencePiece, with scores and byte fallback.
    case sentencePiece
    /// `gpt2`: byte-level BPE with ranked merges.
    case bytePair
}

/// Token texts llama.cpp (0.3.36, the version our fixtures pin) treats specially. It finds these tokens by
/// their text and makes them control tokens, which changes how they are parsed and rendered.
enum SpecialTokenTexts {
    /// End of generation. Note `</s>`: in Gemma 3 it is an HTML tag (id 212), yet llama.cpp stops on it, and
    /// so do we, to generate what llama.cpp generates.
    static let endOfGeneration: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
        "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
        "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
        "<｜end▁of▁sentence｜>", "[e~[",
    ]
    static let endOfTurn: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>",
        "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
    ]
    static let endOfMessage: Set<String> = ["<|eom_id|>"]
    /// Fill-in-the-middle tokens, with the metadata key that names each when the file has it. The last three
    /// (pad, repository, file separator) also end a generation.
    static let fillInTheMiddle: [(key: String, texts: Set<String>, endsGeneration: Bool)] = [
        ("tokenizer.ggml.fim_pre_token_id", ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"], false),
        ("tokenizer.ggml.fim_suf_token_id", ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"], false),
        ("tokenizer.ggml.fim_mid_token_id", ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"], false),
        ("tokenizer.ggml.fim_pad_token_id", ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"], true),
        ("tokenizer.ggml.fim_rep_token_id", ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"], true),
        ("tokenizer.ggml.fim_sep_token_id", ["<|file_sep|>"], true),
    ]
    /// gpt-oss tokens that llama.cpp always parses and renders.
    static let alwaysRendered: Set<String> = ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"]
}

extension Vocabulary {
    /// The vocabulary in a GGUF file's `tokenizer.ggml.*` keys, with llama.cpp's attribute rules.
    init(gguf metadata: GGUFMetadata, kind: TokenizerKind, defaultAddsBOS: Bool) throws(TokenizerError) {
        do {
            self = try Self.read(metadata, kind: kind, defaultAddsBOS: defaultAddsBOS)
        } catch let error as GGUFMetadataError {
            throw .metadata(error)
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw .unsupportedModel("\(error)")  // not reached: only the two types above are thrown
        }
    }

    private static func read(_ metadata: GGUFMetadata, kind: TokenizerKind, defaultAddsBOS: Bool) throws -> Vocabulary {
        guard var pieces = try metadata.strings("tokenizer.ggml.tokens") else {
            throw GGUFMetadataError.missingKey("tokenizer.ggml.tokens")
        }
        guard !pieces.isEmpty else { throw TokenizerError.emptyVocabulary }
        for i in pieces.indices where pieces[i].isEmpty { pieces[i] = "[EMPTY_\(i)]" }
        var attributes = [TokenAttributes](repeating: .normal, count: pieces.count)
        if let types = try metadata.integers("tokenizer.ggml.token_type") {
            guard types.count >= pieces.count else {
                throw GGUFMetadataError.wrongType(
                    key: "tokenizer.ggml.token_type", expected: "one entry per token (\(pieces.count))", found: .array)
            }
            for i in pieces.indices { attributes[i] = Self.attributes(ofType: types[i]) }
        }

        func id(_ key: String) throws -> TokenID? {
            guard let id = try metadata.integer(key) else { return nil }
            return (0 ..< pieces.count).contains(id) ? TokenID(id) : nil  // llama.cpp ignores out-of-range ids
        }
        func firstToken(withText texts: Set<String>) -> TokenID? {
            pieces.firstIndex(where: texts.contains).map { TokenID($0) }
        }
        // llama.cpp's defaults when the keys are absent.
        let (defaultBOS, defaultEOS): (TokenID, TokenID) = kind == .sentencePiece ? (1, 2) : (11, 11)
        let inRange = { (id: TokenID) in Int(id) < pieces.count ? id : nil }
        let bos = try metadata.contains("tokenizer.ggml.bos_token_id") ? id("tokenizer.ggml.bos_token_id") : inRange(defaultBOS)
        let eos = try metadata.contains("tokenizer.ggml.eos_token_id") ? id("tokenizer.ggml.eos_token_id") : inRange(defaultEOS)

        // Tokens found by their text become control tokens.
        var endOfGeneration = Set<TokenID>()
        let eot = try id("tokenizer.ggml.eot_token_id") ?? firstToken(withText: SpecialTokenTexts.endOfTurn).map { found in
            attributes[Int(found)].insert(.control)
            return found
        }
        let eom = try id("tokenizer.ggml.eom_token_id") ?? firstToken(withText: SpecialTokenTexts.endOfMessage).map { found in
            attributes[Int(found)].insert(.control)
            return found
        }
        for (key, texts, endsGeneration) in SpecialTokenTexts.fillInTheMiddle {
            let token = try id(key) ?? firstToken(withText: texts).map { found in
                attributes[Int(found)].insert(.control)
                return found
            }
            if endsGeneration, let token { endOfGeneration.insert(token) }
        }
        for i in pieces.indices where attributes[i].contains(.control) && pieces[i].contains("unused") {
            attributes[i].insert(.unused)
        }
        for (i, piece) in pieces.enumerated() where SpecialTokenTexts.endOfGeneration.contains(piece) {
            endOfGeneration.insert(TokenID(i))
            attributes[i].insert(.control)
        }
        for (i, piece) in pieces.enumerated() where SpecialTokenTexts.alwaysRendered.contains(piece) {
            attributes[i] = .userDefined
        }
        endOfGeneration.formUnion([eos, eot, eom].compactMap { $0 })

        // Phi-3 vocabularies: special tokens swallow the whitespace after them.
        let name = try metadata.string("general.name")?.lowercased() ?? ""
        if name.contains("phi-3") || name.contains("phi3") {
            for i in pieces.indices where !attributes[i].isDisjoint(with: [.control, .userDefined, .unknown]) || pieces[i] == "</s>" {
                attributes[i].insert(.rightStrip)
            }
            for (i, piece) in pieces.enumerated() where ["<unk>", "<s>", "<|endoftext|>"].contains(piece) {
                attributes[i].remove(.rightStrip)
            }
        }

        let addsBOS = try metadata.bool("tokenizer.ggml.add_bos_token") ?? defaultAddsBOS
        let addsEOS = try metadata.bool("tokenizer.ggml.add_eos_token") ?? false
        if addsBOS && bos == nil { throw TokenizerError.missingSpecialToken(key: "tokenizer.ggml.add_bos_token") }
        if addsEOS && eos == nil { throw TokenizerError.missingSpecialToken(key: "tokenizer.ggml.add_eos_token") }
        return Vocabulary(
            pieces: pieces, attributes: attributes, bos: bos, eos: eos, endOfGeneration: endOfGeneration,
            addsBOS: addsBOS, addsEOS: addsEOS)
    }

    /// GGUF's `token_type` numbering to llama.cpp's attribute bits.
    private static func attributes(ofType type: Int) -> TokenAttributes {
        switch type {
        case 1: .normal
        case 2: .unknown
        case 3: .control
        case 4: .userDefined
        case 5: .unused
        case 6: .byte
        default: []
        }
    }
}
