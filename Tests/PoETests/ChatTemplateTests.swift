import Foundation
import PoE
import PoETestSupport
import Testing

/// Conversations rendered by each template against llama.cpp's renderings of the same family
/// (`scripts/chat_templates.py`; Tulu's from OLMo 2's Jinja template).
@Suite struct ChatTemplateTests {
    struct Fixture: Decodable {
        struct Rendering: Decodable {
            let template: String
            let messages: [ChatMessage]
            let text: String
        }

        let renderings: [Rendering]
    }

    static let fixture: Fixture = {
        let url = Bundle.module.url(forResource: "chat-templates", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    @Test func renderingsEqualLlamaCpps() throws {
        #expect(Self.fixture.renderings.count == 40)
        for rendering in Self.fixture.renderings {
            let template = try #require(PromptTemplate.named(rendering.template))
            let text = template.segments(for: rendering.messages).segments.map(\.text).joined()
            #expect(text == rendering.text, "\(rendering.template): \(rendering.messages)")
        }
    }

    /// A single instruction through `prompt(for:)` is the same prompt as a one-message conversation, and
    /// its instruction starts at the user's content.
    @Test func oneInstructionIsOneUserMessage() throws {
        let tokenizer = TableModel().tokenizer
        for template in PromptTemplate.all {
            let single = try template.prompt(for: "hi there", tokenizer: tokenizer)
            let chat = try template.prompt(for: [ChatMessage(role: .user, content: "hi there")], tokenizer: tokenizer)
            #expect(single == chat)
            #expect(tokenizer.decode(Array(single.tokens[single.instructionStart ..< single.instructionStart + 8])) == "hi there")
        }
        // In a conversation, the instruction is the last user message.
        let prompt = try PromptTemplate.chatml.prompt(
            for: [ChatMessage(role: .user, content: "one"), ChatMessage(role: .assistant, content: "two"), ChatMessage(role: .user, content: "three")],
            tokenizer: tokenizer)
        #expect(tokenizer.decode(Array(prompt.tokens[prompt.instructionStart ..< prompt.instructionStart + 5])) == "three")
    }

    /// Families are told apart as llama.cpp tells them; those swift-poe does not render are nil.
    @Test func recognisesFamiliesAsLlamaCppDoes() {
        let cases: [(String, String?)] = [
            ("{% for m in messages %}{{'<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n'}}{% endfor %}", "chatml"),
            ("{{ '<|im_start|>' }}{{ '<|im_sep|>' }}", nil),  // Phi-4
            ("{{ bos_token }}{% for m in messages %}<start_of_turn>{{ m['role'] }}{% endfor %}", "gemma"),
            ("<|start_header_id|>{{ m['role'] }}<|end_header_id|>", "llama3"),
            ("{{'<|user|>' + m['content'] + '<|end|>'}}{{'<|assistant|>'}}", "phi3"),
            ("{{ '<|user|>\\n' + m['content'] }}{{ '<|assistant|>\\n' + m['content'] + eos_token }}", "tulu"),
            ("{{ bos_token }}[INST] {{ m['content'] }} [/INST]", nil),  // Llama 2
            ("[SYSTEM_PROMPT]{{ system_message }}[/SYSTEM_PROMPT][INST] {{ m['content'] }}[/INST]", "mistral-v7"),
            ("{{ bos_token + ' [INST] ' + system_message }}{{ ' [INST] ' + m['content'] + ' [/INST]' }}", "mistral-v1"),
            ("{%- if tools %}[AVAILABLE_TOOLS]{% endif %}{{ '[INST] ' + m['content'] + '[/INST]' }}", "mistral-v3"),
            ("{%- if tools %}[AVAILABLE_TOOLS]{% endif %}{{ \"[INST]\" + m['content'] + \"[/INST]\" }}", "mistral-v3-tekken"),
            ("anything else", nil),
        ]
        for (text, expected) in cases {
            #expect(PromptTemplate.recognizing(chatTemplate: text)?.name == expected, "\(text)")
        }
    }
}
