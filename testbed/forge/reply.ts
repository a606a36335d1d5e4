// Writing responses the way Gitea's APIContext does: ctx.JSON (Go-encoded, trailing newline,
// `application/json;charset=utf-8`), ctx.Error ({message, url}; message blanked for 500 in
// production), ctx.NotFound ({message, url, errors}), ctx.Status (no body) and ctx.Redirect
// (303, Go's http.Redirect body). routers/api/v1 and services/context/api.go, Gitea 1.2x.
import type { ServerResponse } from 'node:http';
import { goJsonBody } from './gojson.js';

export class Reply {
  /** Status of what was written, for the request log. */
  status = 0;
  constructor(
    readonly res: ServerResponse,
    private readonly swaggerUrl: string,
  ) {}

  get done(): boolean {
    return this.status !== 0 || this.res.headersSent;
  }

  header(name: string, value: string): void {
    this.res.setHeader(name, value);
  }

  /** Base.AppendAccessControlExposeHeaders. */
  exposeHeader(name: string): void {
    const current = this.res.getHeader('Access-Control-Expose-Headers');
    this.res.setHeader('Access-Control-Expose-Headers', current ? `${String(current)}, ${name}` : name);
  }

  json(status: number, value: unknown): void {
    const body = goJsonBody(value);
    this.res.setHeader('Content-Type', 'application/json;charset=utf-8');
    this.res.setHeader('Content-Length', Buffer.byteLength(body));
    this.write(status, body);
  }

  /** ctx.Error / APIError: `{"message": …, "url": <swagger>}`. */
  error(status: number, message: string): void {
    this.json(status, { message: status === 500 ? '' : message, url: this.swaggerUrl });
  }

  /** ctx.NotFound(objs…): a string replaces the message, errors are collected (null when none). */
  notFound(message = "The target couldn't be found.", errors: string[] | null = null): void {
    this.json(404, { message, url: this.swaggerUrl, errors });
  }

  /** ctx.Status: a status with an empty body. */
  empty(status: number): void {
    this.res.setHeader('Content-Length', 0);
    this.write(status, '');
  }

  /** ctx.Redirect → http.Redirect(w, r, location, 303) for a GET. */
  redirect(location: string, method: string): void {
    this.res.setHeader('Location', location);
    if (method === 'GET' || method === 'HEAD') {
      const body = `<a href="${htmlEscape(location)}">See Other</a>.\n\n`;
      this.res.setHeader('Content-Type', 'text/html; charset=utf-8');
      this.res.setHeader('Content-Length', Buffer.byteLength(body));
      this.write(303, body);
    } else {
      this.empty(303);
    }
  }

  private write(status: number, body: string): void {
    this.status = status;
    this.res.statusCode = status;
    this.res.end(body);
  }
}

function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
