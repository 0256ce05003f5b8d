import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type BotWallController, createBotWall } from './bot-wall.js';
import { departmentIdOf, sampleDepartments, sampleObjects } from './collection/index.js';
import { createFaultController, type FaultController } from './faults.js';
import {
  type ApiRoute,
  type BotWall,
  botWallSchema,
  describeZodError,
  type Fault,
  type FaultMap,
  faultMapSchema,
  faultRouteSchema,
  faultSchema,
  type MetObjectRecord,
} from './schemas.js';
import { type SearchResult, searchObjects } from './search.js';
import { createRequestStats, type RequestStats } from './stats.js';

/** Where the real API serves everything. */
export const apiPrefix = '/public/collection/v1';

/** Where the emulator's own control endpoints live (never part of the real API). */
export const adminPrefix = '/__emulator';

/** Options for {@link createMetEmulator}. */
export interface MetEmulatorOptions {
  /** Enables Fastify's request logging (off by default: tests and benchmarks stay quiet). */
  logger?: boolean;
  /** Faults active from the start, keyed by route. */
  faults?: FaultMap;
  /** Seed for `probability` faults, so a benchmark run can be replayed (default 1). */
  seed?: number;
  /** A bot wall up from the start (default: none). */
  botWall?: BotWall;
}

/** A running-or-ready emulator. */
export interface MetEmulator {
  /** The Fastify instance; `app.inject()` works without listening on a socket. */
  app: FastifyInstance;
  /** Fault injection controls. */
  faults: FaultController;
  /** The emulated bot wall (off unless set). */
  botWall: BotWallController;
  /** Per-route request counters. */
  stats: RequestStats;
  /** Listens on `host` (default 127.0.0.1) and `port` (default 0 = ephemeral); resolves to the base URL. */
  listen(options?: { host?: string; port?: number }): Promise<string>;
  /** Stops listening and releases the server. */
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    apiRoute?: ApiRoute;
  }
}

const booleanParam = (name: string) =>
  z.enum(['true', 'false'], { error: `${name} must be "true" or "false"` }).transform((value) => value === 'true');

const integerParam = (name: string) =>
  z
    .string({ error: `${name} must be an integer` })
    .regex(/^-?\d+$/, { error: `${name} must be an integer` })
    .transform(Number);

const pipeListParam = (name: string) =>
  z
    .string({ error: `${name} must be a string of values joined with "|"` })
    .transform((value) => value.split('|').map((part) => part.trim()))
    .refine((parts) => parts.every((part) => part.length > 0), {
      error: `${name} must be values joined with "|", none of them empty`,
    });

const searchQuerySchema = z
  .object({
    q: z
      .string({ error: 'q is required (the Met API rejects a search without q); pass q=<words>' })
      .trim()
      .min(1, { error: 'q must not be empty' }),
    title: booleanParam('title').optional(),
    tags: booleanParam('tags').optional(),
    hasImages: booleanParam('hasImages').optional(),
    isHighlight: booleanParam('isHighlight').optional(),
    isOnView: booleanParam('isOnView').optional(),
    artistOrCulture: booleanParam('artistOrCulture').optional(),
    departmentId: integerParam('departmentId').optional(),
    medium: pipeListParam('medium').optional(),
    geoLocation: pipeListParam('geoLocation').optional(),
    dateBegin: integerParam('dateBegin').optional(),
    dateEnd: integerParam('dateEnd').optional(),
  })
  .refine((query) => (query.dateBegin === undefined) === (query.dateEnd === undefined), {
    error: 'dateBegin and dateEnd must be given together',
    path: ['dateBegin'],
  });

const objectsQuerySchema = z.object({
  metadataDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'metadataDate must be a date written YYYY-MM-DD' })
    .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), {
      error: 'metadataDate must be a real calendar date (YYYY-MM-DD)',
    })
    .optional(),
  departmentIds: z
    .string()
    .regex(/^\d+(\|\d+)*$/, { error: 'departmentIds must be department IDs joined with "|", e.g. 1|3|11' })
    .transform((value) => value.split('|').map(Number))
    .optional(),
});

/**
 * An Imperva/Incapsula-style bot wall page, as the Met's edge answers under load. The incident ID is
 * marked as emulated so nobody mistakes a test log for a real incident.
 */
export const botWallHtml =
  '<html style="height:100%"><head><META NAME="ROBOTS" CONTENT="NOINDEX, NOFOLLOW">' +
  '<meta name="format-detection" content="telephone=no"><meta name="viewport" content="initial-scale=1.0">' +
  '<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1"></head><body style="margin:0px;height:100%">' +
  '<iframe id="main-iframe" src="/_Incapsula_Resource?CWUDNSAI=emulated&incident_id=0-emulated-met-emulator" ' +
  'frameborder=0 width="100%" height="100%" marginheight="0px" marginwidth="0px">' +
  'Request unsuccessful. Incapsula incident ID: 0-emulated-met-emulator</iframe></body></html>';

/** Truncated bodies for `malformedJson` faults: each starts like the route's real body, then stops. */
export const malformedBodies: Readonly<Record<ApiRoute, string>> = {
  search: '{"total":3,"objectIDs":[436105,4365',
  objects: '{"total":46,"objectIDs":[10,35,1027,100',
  object: '{"objectID":436535,"isHighlight":true,"accessionNumber":"1993.132","title":"Wheat Fi',
  departments: '{"departments":[{"departmentId":1,"displayName":"American Deco',
};

function badRequest(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(400).send({ message });
}

/** An HTML 404 page, as a web server or proxy in front of an API answers. */
export const notFoundHtml = '<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>';

/** Faults that change the data a route answers with instead of replacing the answer (see {@link faultSchema}). */
type DataFault = Pick<Fault, 'noImage' | 'phantomIds' | 'reorder'>;

function isDataFault(fault: Fault): boolean {
  return fault.noImage !== undefined || fault.phantomIds !== undefined || fault.reorder !== undefined;
}

async function applyFault(fault: Fault, route: ApiRoute, reply: FastifyReply) {
  if (fault.latencyMs !== undefined && fault.latencyMs > 0) await sleep(fault.latencyMs);
  if (fault.reset) {
    // Destroying the response closes the socket before a byte is written: a client sees ECONNRESET or
    // "socket hang up"; under app.inject() the injected request rejects ("response destroyed").
    reply.hijack();
    reply.raw.destroy();
    return reply;
  }
  if (fault.html403) {
    return reply.code(403).type('text/html; charset=utf-8').send(botWallHtml);
  }
  if (fault.malformedJson) {
    return reply.code(200).type('application/json; charset=utf-8').send(malformedBodies[route]);
  }
  if (fault.objectNotFound) return reply.code(404).send({ message: 'ObjectID not found' });
  if (fault.notValidObject) return reply.code(404).send({ message: 'Not a valid object' });
  if (fault.status !== undefined) {
    if (fault.statusBody === 'html')
      return reply.code(fault.status).type('text/html; charset=utf-8').send(notFoundHtml);
    if (fault.statusBody === 'empty') return reply.code(fault.status).send();
    return reply.code(fault.status).send({ message: `Emulated fault: HTTP ${fault.status}` });
  }
  return undefined;
}

/** Puts `ids` first in a list of object IDs, as a search that lists objects the API no longer serves. */
function withPhantoms(result: SearchResult, ids: readonly number[] | undefined): SearchResult {
  if (ids === undefined) return result;
  return { total: result.total + ids.length, objectIDs: [...ids, ...(result.objectIDs ?? [])] };
}

function rotated(result: SearchResult, by: number): SearchResult {
  const ids = result.objectIDs;
  if (ids === null || ids.length === 0) return result;
  const shift = by % ids.length;
  return { total: result.total, objectIDs: [...ids.slice(shift), ...ids.slice(0, shift)] };
}

/** The position of `q` among the request's query parameters, in the order they were sent. */
function positionOfQ(url: string): number {
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  return Math.max(0, [...new URLSearchParams(query).keys()].indexOf('q'));
}

function registerApiRoutes(
  app: FastifyInstance,
  records: readonly MetObjectRecord[],
  dataFaultOf: (request: FastifyRequest) => DataFault | undefined,
): void {
  const byId = new Map(records.map((record) => [record.objectID, record]));
  let reorderedCalls = 0;

  app.get(`${apiPrefix}/objects`, { config: { apiRoute: 'objects' } }, async (request, reply) => {
    const parsed = objectsQuerySchema.safeParse(request.query);
    if (!parsed.success) return badRequest(reply, describeZodError(parsed.error));
    const { metadataDate, departmentIds } = parsed.data;
    const after = metadataDate === undefined ? undefined : Date.parse(`${metadataDate}T00:00:00Z`);
    const objectIDs = records
      .filter(
        (record) => after === undefined || (record.metadataDate !== '' && Date.parse(record.metadataDate) > after),
      )
      .filter((record) => {
        if (departmentIds === undefined) return true;
        const departmentId = departmentIdOf(record);
        return departmentId !== undefined && departmentIds.includes(departmentId);
      })
      .map((record) => record.objectID);
    return withPhantoms({ total: objectIDs.length, objectIDs }, dataFaultOf(request)?.phantomIds);
  });

  app.get<{ Params: { objectID: string } }>(
    `${apiPrefix}/objects/:objectID`,
    { config: { apiRoute: 'object' } },
    async (request, reply) => {
      const { objectID } = request.params;
      const record = /^\d+$/.test(objectID) ? byId.get(Number(objectID)) : undefined;
      if (record === undefined) return reply.code(404).send({ message: 'ObjectID not found' });
      if (dataFaultOf(request)?.noImage)
        return { ...record, primaryImage: '', primaryImageSmall: '', additionalImages: [] };
      return record;
    },
  );

  app.get(`${apiPrefix}/departments`, { config: { apiRoute: 'departments' } }, async () => ({
    departments: sampleDepartments,
  }));

  app.get(`${apiPrefix}/search`, { config: { apiRoute: 'search' } }, async (request, reply) => {
    const parsed = searchQuerySchema.safeParse(request.query);
    if (!parsed.success) return badRequest(reply, describeZodError(parsed.error));
    const fault = dataFaultOf(request);
    let result = withPhantoms(searchObjects(records, parsed.data), fault?.phantomIds);
    if (fault?.reorder === 'byParamOrder') result = rotated(result, positionOfQ(request.url));
    if (fault?.reorder === 'perCall') result = rotated(result, reorderedCalls++);
    return result;
  });
}

function registerAdminRoutes(
  app: FastifyInstance,
  faults: FaultController,
  stats: RequestStats,
  botWall: BotWallController,
): void {
  app.get(`${adminPrefix}/health`, async () => ({ status: 'ok', objects: sampleObjects.length }));

  app.get(`${adminPrefix}/faults`, async () => ({ faults: faults.list() }));

  app.put<{ Params: { route: string } }>(`${adminPrefix}/faults/:route`, async (request, reply) => {
    const route = faultRouteSchema.safeParse(request.params.route);
    if (!route.success) {
      return badRequest(
        reply,
        `route "${request.params.route}" is not a fault route; use one of ${faultRouteSchema.options.join(', ')}`,
      );
    }
    const fault = faultSchema.safeParse(request.body);
    if (!fault.success) return badRequest(reply, `invalid fault for ${route.data}: ${describeZodError(fault.error)}`);
    faults.set(route.data, fault.data);
    return { route: route.data, fault: fault.data };
  });

  app.delete<{ Params: { route: string } }>(`${adminPrefix}/faults/:route`, async (request, reply) => {
    const route = faultRouteSchema.safeParse(request.params.route);
    if (!route.success) {
      return badRequest(
        reply,
        `route "${request.params.route}" is not a fault route; use one of ${faultRouteSchema.options.join(', ')}`,
      );
    }
    faults.clear(route.data);
    return { faults: faults.list() };
  });

  app.delete(`${adminPrefix}/faults`, async () => {
    faults.clear();
    return { faults: faults.list() };
  });

  app.get(`${adminPrefix}/bot-wall`, async () => botWall.state());

  app.put(`${adminPrefix}/bot-wall`, async (request, reply) => {
    const wall = botWallSchema.safeParse(request.body);
    if (!wall.success) return badRequest(reply, `invalid bot wall: ${describeZodError(wall.error)}`);
    botWall.set(wall.data);
    return botWall.state();
  });

  app.delete(`${adminPrefix}/bot-wall`, async () => {
    botWall.clear();
    return botWall.state();
  });

  app.get(`${adminPrefix}/stats`, async () => stats.snapshot());

  app.delete(`${adminPrefix}/stats`, async () => {
    stats.reset();
    return stats.snapshot();
  });
}

/**
 * Builds an emulator of The Met Collection API serving the bundled sample records, with fault
 * injection and request statistics. It is ready for `app.inject()`; call `listen()` for a socket.
 */
export async function createMetEmulator(options: MetEmulatorOptions = {}): Promise<MetEmulator> {
  const initialFaults = faultMapSchema.safeParse(options.faults ?? {});
  if (!initialFaults.success) {
    throw new Error(`createMetEmulator: invalid faults option: ${describeZodError(initialFaults.error)}`);
  }
  const faults = createFaultController(initialFaults.data, options.seed ?? 1);
  const initialWall = options.botWall === undefined ? undefined : botWallSchema.safeParse(options.botWall);
  if (initialWall !== undefined && !initialWall.success) {
    throw new Error(`createMetEmulator: invalid botWall option: ${describeZodError(initialWall.error)}`);
  }
  const botWall = createBotWall(initialWall?.data);
  const dataFaults = new WeakMap<FastifyRequest, DataFault>();
  const stats = createRequestStats();
  // Closing must not wait for keep-alive sockets or delayed (latency-faulted) requests: tests and
  // benchmarks stop the emulator right after their last request.
  const app = Fastify({ logger: options.logger ?? false, forceCloseConnections: true });

  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.config.apiRoute;
    if (route === undefined) return;
    stats.record(route, request.method, request.url);
    if (botWall.refuse()) return reply.code(403).type('text/html; charset=utf-8').send(botWallHtml);
    const { objectID } = request.params as { objectID?: string };
    const fault = faults.take(route, objectID !== undefined && /^\d+$/.test(objectID) ? Number(objectID) : undefined);
    if (fault === undefined) return;
    if (isDataFault(fault)) {
      dataFaults.set(request, fault);
      if (fault.latencyMs !== undefined && fault.latencyMs > 0) await sleep(fault.latencyMs);
      return;
    }
    return applyFault(fault, route, reply);
  });

  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const statusCode = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    return reply.code(statusCode).send({ message: error.message });
  });

  registerApiRoutes(app, sampleObjects, (request) => dataFaults.get(request));
  registerAdminRoutes(app, faults, stats, botWall);
  await app.ready();

  return {
    app,
    faults,
    botWall,
    stats,
    async listen({ host = '127.0.0.1', port = 0 } = {}) {
      await app.listen({ host, port });
      const address = app.server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `http://${shownHost}:${address.port}`;
    },
    async close() {
      await app.close();
    },
  };
}

/** Options for {@link startMetEmulator}: where to listen plus everything {@link createMetEmulator} takes. */
export interface StartMetEmulatorOptions extends MetEmulatorOptions {
  host?: string;
  port?: number;
}

/** Creates an emulator and starts listening (default 127.0.0.1:8090); resolves to its URL and a closer. */
export async function startMetEmulator({ host = '127.0.0.1', port = 8090, ...options }: StartMetEmulatorOptions = {}) {
  const emulator = await createMetEmulator(options);
  const url = await emulator.listen({ host, port });
  return { url, emulator, close: () => emulator.close() };
}
