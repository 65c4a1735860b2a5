import Foundation
import PoE

/// OpenAI's response bodies and stream chunks, for completions and chats, with swift-poe's additions:
/// `base_logprob` beside each log-probability (the base model's, where `logprob` is the product's).
struct ResponseEncoding {
    let id: String
    let created: Int
    let model: String
    let chat: Bool

    init(model: String, chat: Bool) {
        let hex = (0 ..< 12).map { _ in String(UInt8.random(in: 0 ... 255), radix: 16) }.joined()
        id = (chat ? "chatcmpl-" : "cmpl-") + hex
        created = Int(Date().timeIntervalSince1970)
        self.model = model
        self.chat = chat
    }

    /// OpenAI's reasons: `stop` (an end-of-generation token or a stop string) or `length`.
    static func finishReason(_ reason: StopReason) -> String {
        switch reason {
        case .endOfGeneration, .stop: "stop"
        case .length, .contextFull: "length"
        }
    }

    static func usage(prompt: Int, completion: Int) -> JSONValue {
        var usage = JSONObject()
        usage["prompt_tokens"] = .int(prompt)
        usage["completion_tokens"] = .int(completion)
        usage["total_tokens"] = .int(prompt + completion)
        return .object(usage)
    }

    /// The whole response.
    func response(_ result: GenerationResult, logprobs: Bool) -> JSONValue {
        var choice = JSONObject()
        choice["index"] = .int(0)
        if chat {
            var message = JSONObject()
            message["role"] = .string("assistant")
            message["content"] = .string(result.text)
            choice["message"] = .object(message)
        } else {
            choice["text"] = .string(result.text)
        }
        choice["logprobs"] = logprobs ? self.logprobs(Self.responseRecords(result)) : .null
        choice["finish_reason"] = .string(Self.finishReason(result.stopReason))
        var body = header(object: chat ? "chat.completion" : "text_completion")
        body["choices"] = .array([.object(choice)])
        body["usage"] = Self.usage(prompt: result.promptTokens, completion: result.tokens.count)
        return .object(body)
    }

    /// A stream chunk: text (and the records of its tokens), or the end (`finishReason`), or, with no
    /// choice, the usage.
    func chunk(text: String?, records: [TraceRecord]?, finishReason: String?, role: Bool = false) -> JSONValue {
        var choice = JSONObject()
        choice["index"] = .int(0)
        if chat {
            var delta = JSONObject()
            if role { delta["role"] = .string("assistant") }
            if let text { delta["content"] = .string(text) }
            choice["delta"] = .object(delta)
        } else {
            choice["text"] = .string(text ?? "")
        }
        choice["logprobs"] = records.map(logprobs) ?? .null
        choice["finish_reason"] = finishReason.map(JSONValue.string) ?? .null
        var body = header(object: chat ? "chat.completion.chunk" : "text_completion")
        body["choices"] = .array([.object(choice)])
        return .object(body)
    }

    func usageChunk(prompt: Int, completion: Int) -> JSONValue {
        var body = header(object: chat ? "chat.completion.chunk" : "text_completion")
        body["choices"] = .array([])
        body["usage"] = Self.usage(prompt: prompt, completion: completion)
        return .object(body)
    }

    private func header(object: String) -> JSONObject {
        var body = JSONObject()
        body["id"] = .string(id)
        body["object"] = .string(object)
        body["created"] = .int(created)
        body["model"] = .string(model)
        return body
    }

    /// The records of the response's tokens: the trace less the end-of-generation token's.
    static func responseRecords(_ result: GenerationResult) -> [TraceRecord] {
        result.stopReason == .endOfGeneration ? Array(result.trace.dropLast()) : result.trace
    }

    /// Chat's `{"content": [{token, logprob, bytes, top_logprobs}]}`, or the legacy completion form
    /// (`tokens`, `token_logprobs`, `top_logprobs`, `text_offset`).
    func logprobs(_ records: [TraceRecord]) -> JSONValue {
        func bytes(_ piece: String) -> JSONValue { .array(piece.utf8.map { .int(Int($0)) }) }
        if chat {
            let content: [JSONValue] = records.map { record in
                var item = JSONObject()
                item["token"] = .string(record.piece)
                item["logprob"] = .float(record.finalLogProbability)
                item["bytes"] = bytes(record.piece)
                item["base_logprob"] = .float(record.baseLogProbability)
                item["top_logprobs"] = .array(record.alternatives.map { alternative in
                    var top = JSONObject()
                    top["token"] = .string(alternative.piece)
                    top["logprob"] = .float(alternative.logProbability)
                    top["bytes"] = bytes(alternative.piece)
                    top["base_logprob"] = .float(alternative.baseLogProbability)
                    return .object(top)
                })
                return .object(item)
            }
            var object = JSONObject()
            object["content"] = .array(content)
            return .object(object)
        }
        var object = JSONObject()
        var offset = 0
        var offsets: [JSONValue] = []
        for record in records {
            offsets.append(.int(offset))
            offset += record.piece.utf8.count
        }
        object["tokens"] = .array(records.map { .string($0.piece) })
        object["token_logprobs"] = .array(records.map { .float($0.finalLogProbability) })
        object["base_token_logprobs"] = .array(records.map { .float($0.baseLogProbability) })
        object["top_logprobs"] = .array(records.map { record in
            var top = JSONObject()
            for alternative in record.alternatives { top[alternative.piece] = .float(alternative.logProbability) }
            return .object(top)
        })
        object["text_offset"] = .array(offsets)
        return .object(object)
    }
}
