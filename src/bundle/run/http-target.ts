/**
 * A DirectiveApp as the answer of a `wascc:http_server` listener (the provider's `mount()`):
 * the provider's request becomes the app's request and back. Routing, 404/405 with `Allow`,
 * OPTIONS, redirects and headless mode are the app's; body limits, tracing and the listener
 * are the provider's.
 */
import type { HttpRequest, HttpResponse } from "../../codec/http.js";
import type { DirectiveApp } from "../../directive/app.js";
import type { DirectiveResponse } from "../../directive/http-response.js";
import type { HttpTarget } from "../../provider/contract.js";

const asHttp = (answer: DirectiveResponse): HttpResponse => ({ statusCode: answer.status, status: "", header: answer.headers, body: answer.body });

/** Not async: a sequence answered at once (direct calls) goes back to the provider without a promise. */
export function directiveTarget(app: DirectiveApp): HttpTarget {
  return (request: HttpRequest): HttpResponse | Promise<HttpResponse> => {
    const url = request.queryString === "" ? request.path : `${request.path}?${request.queryString}`;
    const answer = app.handle({ method: request.method, url, headers: request.header, body: request.body });
    return answer instanceof Promise ? answer.then(asHttp) : asHttp(answer);
  };
}
