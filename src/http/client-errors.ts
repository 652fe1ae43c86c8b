import type { Socket } from 'node:net';
import type { ErrorResponse } from '../schemas/error-response.js';

// Errors Node's HTTP parser raises before Fastify has a request (a stalled
// body, oversized headers, bytes that are not HTTP): answered on the raw
// socket, still as an ErrorResponse like every other non-2xx answer.

const ANSWERS: Record<string, { status: number; reason: string; body: ErrorResponse }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: 'Request Timeout',
    body: { code: 'REQUEST_TIMEOUT', message: 'The request was not received in time (HTTP_REQUEST_TIMEOUT_MS).' },
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    body: { code: 'HEADERS_TOO_LARGE', message: 'The request headers are too large.' },
  },
};

const MALFORMED = { status: 400, reason: 'Bad Request', body: { code: 'BAD_REQUEST', message: 'The request is not valid HTTP.' } };

/** Fastify's `clientErrorHandler`: writes the ErrorResponse and closes the socket. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, reason, body } = ANSWERS[error.code ?? ''] ?? MALFORMED;
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(error);
}
