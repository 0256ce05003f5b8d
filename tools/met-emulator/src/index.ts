export type { BotWallController, BotWallState } from './bot-wall.js';
export { createBotWall } from './bot-wall.js';
export { departmentIdOf, sampleDepartments, sampleObjects } from './collection/index.js';
export { parseBotWall, parseFaultMap } from './config.js';
export type { FaultController } from './faults.js';
export type { BotWall, Fault, FaultMap, FaultRoute, MetDepartment, MetObjectRecord } from './schemas.js';
export { botWallSchema, faultSchema, metObjectRecordSchema } from './schemas.js';
export type { SearchQuery, SearchResult } from './search.js';
export { countsAsHavingImages, searchObjects } from './search.js';
export {
  adminPrefix,
  apiPrefix,
  botWallHtml,
  createMetEmulator,
  type MetEmulator,
  type MetEmulatorOptions,
  malformedBodies,
  notFoundHtml,
  type StartMetEmulatorOptions,
  startMetEmulator,
} from './server.js';
export type { RequestStats, RequestStatsSnapshot } from './stats.js';
