import type { ForestTrainingSet } from '../../src/forest/forest.js';

/**
 * A deterministic regression problem: half ordered features, half 0/1 features, and a target that depends on both
 * with some noise, so trees have real splits to find (a small linear congruential generator keeps it reproducible).
 */
export function syntheticTrainingSet(nRows: number, nFeatures: number): ForestTrainingSet {
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const features = new Float32Array(nRows * nFeatures);
  const targets: number[] = [];
  for (let row = 0; row < nRows; row++) {
    let target = 0;
    for (let feature = 0; feature < nFeatures; feature++) {
      const value = feature % 2 === 0 ? Math.round(next() * 1000) / 10 : next() < 0.3 ? 1 : 0;
      features[row * nFeatures + feature] = value;
      target += (feature + 1) * value;
    }
    targets.push(target + next() * 10);
  }
  return { features, nRows, nFeatures, targets };
}
