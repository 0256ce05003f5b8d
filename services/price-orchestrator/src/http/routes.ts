import {
  errorResponse,
  type ServiceApp,
  type UpstreamConfig,
  upstreamErrorResponses,
  validationErrorResponse,
} from '@mlms/service-kit';
import type { z } from 'zod';
import type { HouseFeatures } from '../dto/pricing.js';
import type { PricingService } from '../service/pricing-service.js';
import { batchPredictionSchema, batchRequestSchema, houseRequestSchema, pricePredictionSchema } from '../views/api.js';
import type { houseSchema } from '../views/house-fields.js';

export const MODEL_SERVER = 'Model server';

export interface PricingRoutesOptions {
  service: PricingService;
  modelServer: Pick<UpstreamConfig, 'timeoutMs'>;
  maxBatchSize: number;
  maxBodyBytes: number;
}

/**
 * The request view of a house into the service's DTO: its id, and the house itself as the features. The model frame
 * leaves `id` out like any key that is not a house field; copying the other 73 keys of every house only to drop it
 * cost more than building the model row.
 */
function toHouseFeatures(house: z.infer<typeof houseSchema>): HouseFeatures {
  return { id: house.id, features: house };
}

/** The interface layer: request views in, service calls, DTOs out as response views; errors are thrown. */
export async function registerPricingRoutes(app: ServiceApp, options: PricingRoutesOptions): Promise<void> {
  const { service } = options;
  const failures = {
    422: validationErrorResponse('A field is unknown, of the wrong type, out of range or not an allowed level.', {
      type: 'greater_than_equal',
      loc: ['body', 'grossLivingArea'],
      msg: 'Input should be greater than or equal to 1',
      input: 0,
      ctx: { ge: 1 },
    }),
    ...upstreamErrorResponses(MODEL_SERVER, options.modelServer),
    503: errorResponse(
      'The model server is down (it refused the connection).',
      `${MODEL_SERVER} is unavailable: it refused the connection.`,
    ),
  };

  app.post(
    '/api/v1/price/predict',
    {
      schema: {
        tags: ['price'],
        summary: 'Predict the sale price of one house',
        description:
          'Send what you know about the house: every field is optional, and the model fills in what is missing from ' +
          'the training data. The fields that matter most are listed in the README.',
        body: houseRequestSchema,
        response: { 200: pricePredictionSchema, ...failures },
      },
    },
    // Named as the Python original's endpoints, so the operationIds are FastAPI's (`predict_api_v1_price_predict_post`).
    async function predict(request) {
      return service.predictPrice(toHouseFeatures(request.body));
    },
  );

  app.post(
    '/api/v1/price/predict/batch',
    {
      bodyLimit: options.maxBodyBytes,
      schema: {
        tags: ['price'],
        summary: `Predict the sale prices of 1 to ${options.maxBatchSize} houses`,
        description: 'One model call for the whole batch; predictions come back in request order with their ids.',
        body: batchRequestSchema(options.maxBatchSize),
        response: { 200: batchPredictionSchema, ...failures },
      },
    },
    async function batchPredict(request) {
      return service.predictPrices(request.body.houses.map(toHouseFeatures));
    },
  );
}
