export { departmentIdOf, sampleDepartments, sampleObjects } from './collection/index.js';
export { parseFaultMap } from './config.js';
export type { FaultController } from './faults.js';
export type { Fault, FaultMap, FaultRoute, MetDepartment, MetObjectRecord } from './schemas.js';
export { faultSchema, metObjectRecordSchema } from './schemas.js';
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
  type StartMetEmulatorOptions,
  startMetEmulator,
} from './server.js';
export type { RequestStats, RequestStatsSnapshot } from './stats.js';
