// Values the global set-up (global-setup.ts) hands to integration and e2e
// tests through vitest's provide/inject.
declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated host:port list of a real Kafka broker. */
    kafkaBrokers: string;
    /** A fresh, empty Postgres database for this run (migrations not applied). */
    databaseUrl: string;
  }
}

export {};
