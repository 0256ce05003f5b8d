import type { RegressionTree } from '../model.js';
import { bootstrapCounts, createRandom, type Uint32Source } from './random.js';
import type { TrainingData } from './training-data.js';

/**
 * The float32 threshold between two neighbouring distinct float32 values `lower < upper` such that
 * `fround(x) <= threshold` holds for every float32 `x <= lower` and fails for every `x >= upper`: their midpoint
 * rounded to float32, or `lower` when rounding lands on `upper` (adjacent float32 values).
 */
export function splitThreshold(lower: number, upper: number): number {
  const midpoint = Math.fround((lower + upper) / 2);
  return midpoint === upper ? lower : midpoint;
}

/** Threshold used for binary (0/1) features: 0 goes left, 1 goes right. */
const BINARY_THRESHOLD = 0.5;

/** Relative score difference below which two features' splits count as tied. */
const TIE_TOLERANCE = 1e-12;

interface SplitCandidate {
  score: number;
  feature: number;
  /** Index in `orderedFeatures`, or -1 for a binary feature. */
  orderedIndex: number;
  /** Last left position in the feature's order (ordered features only). */
  position: number;
  threshold: number;
  /** Random word drawn for the node; with the feature index it gives each feature's tie-break priority. */
  salt: number;
  /** Tie-break priority of `feature`, or -1 while not needed yet. */
  priority: number;
}

/**
 * A feature's tie-break priority in a node: a hash (MurmurHash3's finaliser) of the node's salt and the feature, so
 * among tied features the winner is uniformly random yet does not depend on the order features are scanned in.
 */
function tiePriority(salt: number, feature: number): number {
  let h = salt ^ Math.imul(feature + 1, 0x9e37_79b9);
  h = Math.imul(h ^ (h >>> 16), 0x85eb_ca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2_ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Grows CART regression trees (squared error, every feature considered at every split, grown until a node is pure,
 * holds one distinct sample, or no feature separates its samples), as scikit-learn's `DecisionTreeRegressor` with
 * `max_features=1.0, min_samples_split=2, min_samples_leaf=1` does.
 *
 * Split search is O(samples) per feature and node: every non-binary feature keeps the node's samples in value
 * order (filtered from the forest-wide presort once per tree, then partitioned stably down the tree), and binary
 * features are scored from per-node sums over each sample's list of 1-valued features. The best split maximises
 * `sumLeft²/weightLeft + sumRight²/weightRight` (equivalent to the largest decrease of weighted squared error);
 * within a feature the lowest threshold wins a tie, between features a seeded random draw decides, so a tree is a
 * pure function of its data, weights and random stream.
 *
 * One builder reuses its buffers across trees; it is not safe to share between concurrent builds.
 */
export class TreeBuilder {
  private readonly data: TrainingData;
  private readonly nOrdered: number;
  // Per tree, samples are the rows drawn at least once, renumbered 0..m-1 so the arrays below stay dense.
  private readonly sampleOfRow: Int32Array;
  private readonly rowOfSample: Int32Array;
  private readonly weight: Float64Array;
  private readonly weightedTarget: Float64Array;
  private readonly target: Float64Array;
  private readonly samples: Int32Array;
  private readonly order: Int32Array;
  private readonly orderValues: Float32Array;
  private readonly goesLeft: Uint8Array;
  private readonly scratchOrder: Int32Array;
  private readonly scratchValues: Float32Array;
  private readonly onesStart: Int32Array;
  private readonly onesFeature: Int32Array;
  private readonly binaryWeight: Float64Array;
  private readonly binarySum: Float64Array;
  private readonly binaryCount: Int32Array;
  private readonly touched: Int32Array;
  // A tree over m distinct samples has at most 2m - 1 nodes.
  private readonly nodeFeature: Int32Array;
  private readonly nodeThreshold: Float32Array;
  private readonly nodeLeft: Int32Array;
  private readonly nodeRight: Int32Array;
  private readonly nodeValue: Float64Array;
  private readonly stack: Int32Array;
  private readonly best: SplitCandidate = {
    score: 0,
    feature: -1,
    orderedIndex: -1,
    position: -1,
    threshold: 0,
    salt: 0,
    priority: -1,
  };
  private random: Uint32Source = () => 0;

  constructor(data: TrainingData) {
    this.data = data;
    const n = data.nRows;
    this.nOrdered = data.orderedFeatures.length;
    this.sampleOfRow = new Int32Array(n);
    this.rowOfSample = new Int32Array(n);
    this.weight = new Float64Array(n);
    this.weightedTarget = new Float64Array(n);
    this.target = new Float64Array(n);
    this.samples = new Int32Array(n);
    this.order = new Int32Array(this.nOrdered * n);
    this.orderValues = new Float32Array(this.nOrdered * n);
    this.goesLeft = new Uint8Array(n);
    this.scratchOrder = new Int32Array(n);
    this.scratchValues = new Float32Array(n);
    this.onesStart = new Int32Array(n + 1);
    this.onesFeature = new Int32Array(data.onesFeature.length);
    this.binaryWeight = new Float64Array(data.nFeatures);
    this.binarySum = new Float64Array(data.nFeatures);
    this.binaryCount = new Int32Array(data.nFeatures);
    this.touched = new Int32Array(data.nFeatures);
    const maxNodes = 2 * n - 1;
    this.nodeFeature = new Int32Array(maxNodes);
    this.nodeThreshold = new Float32Array(maxNodes);
    this.nodeLeft = new Int32Array(maxNodes);
    this.nodeRight = new Int32Array(maxNodes);
    this.nodeValue = new Float64Array(maxNodes);
    // Depth-first growth keeps at most one pending sibling per level, and depth < number of nodes.
    this.stack = new Int32Array(4 * maxNodes);
  }

  /**
   * Grows one tree on the rows with a positive weight, each row counted `weights[row]` times (bootstrap counts).
   * `random` settles ties between equally good features.
   *
   * @throws RangeError when the weights do not match the rows or no row has a positive weight.
   */
  grow(weights: ArrayLike<number>, random: Uint32Source): RegressionTree {
    this.random = random;
    const m = this.selectSamples(weights);
    this.presortSamples(m);
    this.indexBinaryFeatures(m);
    return this.growFromSamples(m);
  }

  private selectSamples(weights: ArrayLike<number>): number {
    const { nRows, targets } = this.data;
    if (weights.length !== nRows) {
      throw new RangeError(`weights has ${weights.length} entries, expected one per training row (${nRows})`);
    }
    let m = 0;
    for (let row = 0; row < nRows; row++) {
      const rowWeight = weights[row] as number;
      if (!(rowWeight >= 0) || !Number.isFinite(rowWeight)) {
        throw new RangeError(`weight of row ${row} is ${rowWeight}; weights must be finite and non-negative`);
      }
      if (rowWeight === 0) {
        this.sampleOfRow[row] = -1;
        continue;
      }
      const y = targets[row] as number;
      this.sampleOfRow[row] = m;
      this.rowOfSample[m] = row;
      this.weight[m] = rowWeight;
      this.target[m] = y;
      this.weightedTarget[m] = rowWeight * y;
      this.samples[m] = m;
      m++;
    }
    if (m === 0) throw new RangeError('every weight is zero; a tree needs at least one weighted row');
    return m;
  }

  private presortSamples(m: number): void {
    const { nRows, sortedRows, sortedValues } = this.data;
    const { order, orderValues, sampleOfRow } = this;
    for (let k = 0; k < this.nOrdered; k++) {
      const from = k * nRows;
      let to = k * m;
      for (let i = from; i < from + nRows; i++) {
        const sample = sampleOfRow[sortedRows[i] as number] as number;
        if (sample < 0) continue;
        order[to] = sample;
        orderValues[to] = sortedValues[i] as number;
        to++;
      }
    }
  }

  private indexBinaryFeatures(m: number): void {
    const { onesStart: rowStart, onesFeature: rowFeature } = this.data;
    let cursor = 0;
    for (let sample = 0; sample < m; sample++) {
      this.onesStart[sample] = cursor;
      const row = this.rowOfSample[sample] as number;
      const end = rowStart[row + 1] as number;
      for (let p = rowStart[row] as number; p < end; p++) this.onesFeature[cursor++] = rowFeature[p] as number;
    }
    this.onesStart[m] = cursor;
  }

  private growFromSamples(m: number): RegressionTree {
    const stack = this.stack;
    let stackSize = 0;
    let nodeCount = 0;
    // Stack entries: start, end, parent node, 1 when the node is its parent's left child.
    stack[0] = 0;
    stack[1] = m;
    stack[2] = -1;
    stack[3] = 0;
    stackSize = 4;

    while (stackSize > 0) {
      stackSize -= 4;
      const start = stack[stackSize] as number;
      const end = stack[stackSize + 1] as number;
      const parent = stack[stackSize + 2] as number;
      const isLeft = stack[stackSize + 3] as number;
      const node = nodeCount++;
      if (parent >= 0) {
        if (isLeft === 1) this.nodeLeft[parent] = node;
        else this.nodeRight[parent] = node;
      }
      this.nodeFeature[node] = -1;
      this.nodeThreshold[node] = 0;
      this.nodeLeft[node] = -1;
      this.nodeRight[node] = -1;

      const middle = this.splitNode(node, start, end, m);
      if (middle < 0) continue;
      // Right first so the left child is popped (and numbered) next, as scikit-learn's depth-first builder does.
      stack[stackSize] = middle;
      stack[stackSize + 1] = end;
      stack[stackSize + 2] = node;
      stack[stackSize + 3] = 0;
      stack[stackSize + 4] = start;
      stack[stackSize + 5] = middle;
      stack[stackSize + 6] = node;
      stack[stackSize + 7] = 1;
      stackSize += 8;
    }

    return {
      feature: this.nodeFeature.slice(0, nodeCount),
      threshold: this.nodeThreshold.slice(0, nodeCount),
      left: this.nodeLeft.slice(0, nodeCount),
      right: this.nodeRight.slice(0, nodeCount),
      value: this.nodeValue.slice(0, nodeCount),
    };
  }

  /**
   * Sets the node's value and, when a split exists, its feature and threshold, and partitions its samples.
   * Returns the boundary between the left and right samples, or -1 for a leaf.
   */
  private splitNode(node: number, start: number, end: number, m: number): number {
    const { samples, weight, weightedTarget, target } = this;
    let totalWeight = 0;
    let totalSum = 0;
    let minTarget = Number.POSITIVE_INFINITY;
    let maxTarget = Number.NEGATIVE_INFINITY;
    for (let i = start; i < end; i++) {
      const sample = samples[i] as number;
      totalWeight += weight[sample] as number;
      totalSum += weightedTarget[sample] as number;
      const y = target[sample] as number;
      if (y < minTarget) minTarget = y;
      if (y > maxTarget) maxTarget = y;
    }
    this.nodeValue[node] = totalSum / totalWeight;
    const count = end - start;
    if (count < 2 || minTarget === maxTarget) return -1;

    const best = this.best;
    best.score = Number.NEGATIVE_INFINITY;
    best.feature = -1;
    best.salt = this.random();
    best.priority = -1;

    const { order, orderValues } = this;
    const orderedFeatures = this.data.orderedFeatures;
    for (let k = 0; k < this.nOrdered; k++) {
      const low = k * m + start;
      const high = k * m + end;
      let value = orderValues[low] as number;
      if (value === orderValues[high - 1]) continue;
      let featureScore = Number.NEGATIVE_INFINITY;
      let featurePosition = -1;
      let leftWeight = 0;
      let leftSum = 0;
      for (let i = low; i < high - 1; i++) {
        const sample = order[i] as number;
        leftWeight += weight[sample] as number;
        leftSum += weightedTarget[sample] as number;
        const next = orderValues[i + 1] as number;
        if (next > value) {
          const rightWeight = totalWeight - leftWeight;
          const rightSum = totalSum - leftSum;
          const score = (leftSum * leftSum) / leftWeight + (rightSum * rightSum) / rightWeight;
          if (score > featureScore) {
            featureScore = score;
            featurePosition = i;
          }
          value = next;
        }
      }
      if (featurePosition < 0) continue;
      const threshold = splitThreshold(
        orderValues[featurePosition] as number,
        orderValues[featurePosition + 1] as number,
      );
      this.offer(featureScore, orderedFeatures[k] as number, k, featurePosition, threshold);
    }

    this.scoreBinary(start, end, totalWeight, totalSum);

    if (best.feature < 0) return -1;
    this.nodeFeature[node] = best.feature;
    this.nodeThreshold[node] = best.threshold;
    return this.partition(start, end, m, best.feature, best.orderedIndex, best.position);
  }

  /**
   * Offers the split (zeros left, ones right) of every binary feature that varies in the node. Sums are gathered
   * from each sample's list of 1-valued features, recording which features occur so only those are visited.
   */
  private scoreBinary(start: number, end: number, totalWeight: number, totalSum: number): void {
    const { samples, weight, weightedTarget, binaryWeight, binarySum, binaryCount, touched, onesStart, onesFeature } =
      this;
    let touchedCount = 0;
    for (let i = start; i < end; i++) {
      const sample = samples[i] as number;
      const sampleWeight = weight[sample] as number;
      const sampleSum = weightedTarget[sample] as number;
      const onesEnd = onesStart[sample + 1] as number;
      for (let p = onesStart[sample] as number; p < onesEnd; p++) {
        const feature = onesFeature[p] as number;
        if (binaryCount[feature] === 0) touched[touchedCount++] = feature;
        binaryCount[feature] = (binaryCount[feature] as number) + 1;
        binaryWeight[feature] = (binaryWeight[feature] as number) + sampleWeight;
        binarySum[feature] = (binarySum[feature] as number) + sampleSum;
      }
    }
    const count = end - start;
    for (let t = 0; t < touchedCount; t++) {
      const feature = touched[t] as number;
      if ((binaryCount[feature] as number) < count) this.offerBinary(feature, totalWeight, totalSum);
      binaryCount[feature] = 0;
      binaryWeight[feature] = 0;
      binarySum[feature] = 0;
    }
  }

  private offerBinary(feature: number, totalWeight: number, totalSum: number): void {
    // Zeros go left (x <= 0.5), ones right.
    const rightWeight = this.binaryWeight[feature] as number;
    const rightSum = this.binarySum[feature] as number;
    const leftWeight = totalWeight - rightWeight;
    const leftSum = totalSum - rightSum;
    const score = (leftSum * leftSum) / leftWeight + (rightSum * rightSum) / rightWeight;
    this.offer(score, feature, -1, -1, BINARY_THRESHOLD);
  }

  /**
   * Considers a feature's best split for the node. Scores within {@link TIE_TOLERANCE} of each other count as tied
   * (the same partition summed in a different order differs in the last bits); a tie goes to the feature with the
   * higher {@link tiePriority}, a uniformly random choice like scikit-learn's random feature order per node, and
   * independent of the order features are offered in. Always taking the first tied feature would make every tree
   * settle ties the same way, which cost about 1,000 of validation RMSE on Ames.
   */
  private offer(score: number, feature: number, orderedIndex: number, position: number, threshold: number): void {
    const best = this.best;
    if (!(score > Number.NEGATIVE_INFINITY)) return;
    if (best.feature >= 0) {
      const tolerance = TIE_TOLERANCE * best.score;
      if (score < best.score - tolerance) return;
      if (score <= best.score + tolerance) {
        if (best.priority < 0) best.priority = tiePriority(best.salt, best.feature);
        const priority = tiePriority(best.salt, feature);
        if (priority < best.priority || (priority === best.priority && feature > best.feature)) return;
        best.score = Math.max(best.score, score);
        best.feature = feature;
        best.orderedIndex = orderedIndex;
        best.position = position;
        best.threshold = threshold;
        best.priority = priority;
        return;
      }
    }
    best.score = score;
    best.feature = feature;
    best.orderedIndex = orderedIndex;
    best.position = position;
    best.threshold = threshold;
    best.priority = -1;
  }

  /** Marks which samples go left, then partitions every per-feature order stably. Returns the left/right boundary. */
  private partition(
    start: number,
    end: number,
    m: number,
    feature: number,
    orderedIndex: number,
    position: number,
  ): number {
    const { goesLeft, samples, order, orderValues, scratchOrder, scratchValues } = this;
    let leftCount = 0;
    if (orderedIndex >= 0) {
      const low = orderedIndex * m + start;
      const high = orderedIndex * m + end;
      for (let i = low; i < high; i++) goesLeft[order[i] as number] = i <= position ? 1 : 0;
      leftCount = position - low + 1;
    } else {
      const { features, nFeatures } = this.data;
      for (let i = start; i < end; i++) {
        const sample = samples[i] as number;
        const left = features[(this.rowOfSample[sample] as number) * nFeatures + feature] === 0 ? 1 : 0;
        goesLeft[sample] = left;
        leftCount += left;
      }
    }

    stablePartition(samples, start, end, goesLeft, scratchOrder);
    for (let k = 0; k < this.nOrdered; k++) {
      const low = k * m + start;
      const high = k * m + end;
      // The split feature's own order is already left-then-right. A feature constant here stays constant below, so
      // the split search skips it by its (equal) end values and never reads which sample sits where.
      if (k === orderedIndex || orderValues[low] === orderValues[high - 1]) continue;
      let write = low;
      let spilled = 0;
      // Branch-free: which side a sample goes is unpredictable, so writing both places and advancing one cursor is
      // faster than an if/else the CPU mispredicts half the time.
      for (let i = low; i < high; i++) {
        const sample = order[i] as number;
        const value = orderValues[i] as number;
        const left = goesLeft[sample] as number;
        order[write] = sample;
        orderValues[write] = value;
        scratchOrder[spilled] = sample;
        scratchValues[spilled] = value;
        write += left;
        spilled += 1 - left;
      }
      // A plain loop: subarray() + set() would allocate two views per feature and node.
      for (let j = 0; j < spilled; j++, write++) {
        order[write] = scratchOrder[j] as number;
        orderValues[write] = scratchValues[j] as number;
      }
    }
    return start + leftCount;
  }
}

function stablePartition(values: Int32Array, start: number, end: number, goesLeft: Uint8Array, scratch: Int32Array) {
  let write = start;
  let spilled = 0;
  for (let i = start; i < end; i++) {
    const value = values[i] as number;
    if (goesLeft[value] === 1) values[write++] = value;
    else scratch[spilled++] = value;
  }
  for (let j = 0; j < spilled; j++) values[write++] = scratch[j] as number;
}

/**
 * Builds tree `treeIndex` of a forest: a bootstrap sample (n draws with replacement, as counts) from the generator
 * seeded with (seed, treeIndex), then a fully grown tree on it. Depends on nothing else, so trees can be built in
 * any order on any thread and the forest is the same.
 */
export function growForestTree(
  builder: TreeBuilder,
  data: TrainingData,
  seed: number,
  treeIndex: number,
): RegressionTree {
  const random = createRandom(seed, treeIndex);
  const counts = bootstrapCounts(random, data.nRows);
  return builder.grow(counts, random);
}
