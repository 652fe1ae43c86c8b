/** SPEC section 4 and the issues since (history: issue 10; the probe names /livez and /readyz: issue 12), as `METHOD /openapi/path`. */
export const SPEC_ROUTES = [
  'GET /contracts/{contract_number}/timeline',
  'POST /contracts',
  'GET /contracts/{contract_number}',
  'DELETE /contracts/{contract_number}',
  'GET /contracts/{contract_number}/events',
  'GET /contracts/{contract_number}/history',
  'POST /events',
  'GET /health/live',
  'GET /health/ready',
  'GET /livez',
  'GET /readyz',
  'GET /metrics',
];

/** The earlier HTTP service's paths, kept as deprecated aliases. */
export const ALIAS_ROUTES = [
  'POST /contract',
  'GET /contract/{contract_number}',
  'DELETE /contract/{contract_number}',
  'GET /contract/{contract_number}/contract_timeline',
  'POST /event',
];
