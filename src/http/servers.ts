import type { FastifyInstance } from 'fastify';
import { buildHttpApp, type HttpDependencies } from './app.js';
import { buildManagementApp } from './management-app.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface HttpServers {
  api: FastifyInstance;
  /** Serves /health/* and /metrics when a management address was given; they are then absent from `api`. */
  management: FastifyInstance | undefined;
  close(): Promise<void>;
}

/** Builds the API app (and the management app when `management` is given) and listens; if one cannot listen, neither stays open. */
export async function startHttpServers(
  api: ListenAddress,
  management: ListenAddress | undefined,
  deps: HttpDependencies,
): Promise<HttpServers> {
  const apiApp = await buildHttpApp({ ...deps, serveOperations: management === undefined });
  const managementApp = management && buildManagementApp(deps);
  const close = async () => {
    await Promise.all([apiApp.close(), managementApp?.close()]);
  };
  try {
    await apiApp.listen(api);
    await managementApp?.listen(management);
  } catch (error) {
    await close();
    throw error;
  }
  return { api: apiApp, management: managementApp, close };
}
