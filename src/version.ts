/** The service's version, as package.json says (a unit test holds them together); in the API docs and on every span. */
export const SERVICE_VERSION = '0.1.0';
