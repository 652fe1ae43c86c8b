import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { HTTP_ERRORS, HttpErrorCode } from '../schemas/http-error-catalogue.js';
import { errorBody } from './errors.js';

// Errors Node's HTTP parser raises before Fastify has a request (a stalled
// body, oversized headers, bytes that are not HTTP): answered on the raw
// socket, still as an ErrorResponse like every other non-2xx answer.

const ANSWERS: Record<string, HttpErrorCode> = {
  ERR_HTTP_REQUEST_TIMEOUT: HttpErrorCode.REQUEST_TIMEOUT,
  HPE_HEADER_OVERFLOW: HttpErrorCode.HEADERS_TOO_LARGE,
};

/** Fastify's `clientErrorHandler`: writes the ErrorResponse and closes the socket. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code = ANSWERS[error.code ?? ''] ?? HttpErrorCode.BAD_REQUEST;
  const { status } = HTTP_ERRORS[code];
  const text = JSON.stringify(errorBody(code));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(error);
}
