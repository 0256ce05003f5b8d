/**
 * Worker-thread entry: builds the trees the main thread asks for, one index per message, over the shared training
 * data it received at start-up.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { growForestTree, TreeBuilder } from './cart.js';
import type { TrainingData } from './training-data.js';

/** What the main thread hands each worker at start-up; the typed arrays are views on SharedArrayBuffers. */
export interface TreeWorkerData {
  data: TrainingData;
  seed: number;
}

/** A request for one tree. */
export interface TreeRequest {
  treeIndex: number;
}

/** A built tree (structured-cloned to the main thread). */
export interface TreeResponse {
  treeIndex: number;
  feature: Int32Array;
  threshold: Float32Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

if (parentPort === null) throw new Error('tree-worker must run in a worker thread');
const port = parentPort;
const { data, seed } = workerData as TreeWorkerData;
const builder = new TreeBuilder(data);

port.on('message', ({ treeIndex }: TreeRequest) => {
  const tree = growForestTree(builder, data, seed, treeIndex);
  const response: TreeResponse = { treeIndex, ...tree };
  // Copied, not transferred: detaching an ArrayBuffer (what a transfer does) trips V8's detaching protector, after
  // which every typed-array access in this isolate carries a detach check; tree building then ran about 30 % slower.
  // A tree is ~70 kB, so the copy is cheap.
  port.postMessage(response);
});
