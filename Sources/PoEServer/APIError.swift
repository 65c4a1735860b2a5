import Foundation
import Hummingbird
import NIOCore

/// An error answered the way OpenAI's API answers one:
/// `{"error": {"message": ..., "type": ..., "param": ..., "code": ...}}` with an HTTP status.
package struct APIError: HTTPResponseError, Sendable, Equatable {
    package var status: HTTPResponse.Status
    package var message: String
    package var type: String
    /// The request field at fault, as a path (`messages[1].content`).
    package var param: String?
    package var code: String?

    package init(_ status: HTTPResponse.Status, _ message: String, type: String = "invalid_request_error", param: String? = nil, code: String? = nil) {
        (self.status, self.message, self.type, self.param, self.code) = (status, message, type, param, code)
    }

    /// 400: a field of the request is wrong.
    static func invalid(_ param: String, _ message: String, code: String? = nil) -> APIError {
        APIError(.badRequest, "\(param): \(message)", param: param, code: code)
    }

    /// The object under `error`.
    var body: JSONObject {
        var error = JSONObject()
        error["message"] = .string(message)
        error["type"] = .string(type)
        error["param"] = param.map(JSONValue.string) ?? .null
        error["code"] = code.map(JSONValue.string) ?? .null
        return error
    }

    var json: [UInt8] {
        var object = JSONObject()
        object["error"] = .object(body)
        return JSONValue.object(object).encoded()
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response { response }

    var response: Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
    }
}

/// The outermost middleware: every failure, unknown routes and bodies over the limit included, becomes
/// an `APIError` response; anything unexpected is a 500 with a message, never a bare status.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch let error as HTTPError where error.status == .notFound {
            return APIError(.notFound, "unknown endpoint: \(request.method) \(request.uri.path)", type: "not_found_error").response
        } catch is NIOTooManyBytesError {
            return APIError(.contentTooLarge, "the request body is larger than the server accepts").response
        } catch let error as any HTTPResponseError {
            return APIError(error.status, error.status.reasonPhrase).response
        } catch {
            context.logger.error("unexpected error: \(error)")
            return APIError(.internalServerError, "internal error: \(error)", type: "server_error").response
        }
    }
}

/// `Authorization: Bearer KEY` on every `/v1` request when the server has a key.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], constantTimeEqual(header, "Bearer \(key)") else {
            throw APIError(.unauthorized, "missing or wrong API key (Authorization: Bearer KEY)", type: "authentication_error", code: "invalid_api_key")
        }
        return try await next(request, context)
    }

    /// Compares without stopping at the first difference, so the time taken says nothing about the key.
    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0 ..< max(x.count, y.count) { difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return difference == 0
    }
}
