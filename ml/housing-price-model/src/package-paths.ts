import { fileURLToPath } from 'node:url';

/** The package root (`ml/housing-price-model`); this file sits one level below it in both `src/` and `dist/`. */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The bundled Ames housing CSV. */
export const DEFAULT_DATA_PATH = fileURLToPath(new URL('../data/ames.csv', import.meta.url));

/** Where `train` writes run directories unless told otherwise (git-ignored). */
export const DEFAULT_RUNS_DIR = fileURLToPath(new URL('../runs', import.meta.url));

/** The model directory the model server and `npm start` use when no model is given (git-ignored). */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../models/default', import.meta.url));
