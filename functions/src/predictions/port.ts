// What the API needs from a model server. The model client (model-client/) implements it over
// TF Serving's REST or gRPC API; tests use small in-process predictors.
import { z } from "@hono/zod-openapi";
import type { Campaign } from "../campaigns/schema.ts";

export const PredictedBox = z
  .object({
    label: z.string(),
    x: z.number(),
    y: z.number(),
    width: z.number(),
    height: z.number(),
    score: z.number().min(0).max(1),
  })
  .openapi("PredictedBox");
export type PredictedBox = z.infer<typeof PredictedBox>;

export const Prediction = z.object({ modelVersion: z.string(), boxes: z.array(PredictedBox) }).openapi("Prediction");
export type Prediction = z.infer<typeof Prediction>;

/**
 * A prediction as memory keeps it: its JSON. One string is one object for the garbage collector to
 * mark, where the object has an array and, per box, an object, a label and numbers (a campaign's
 * 100,000 predictions as objects were a third of what every full collection marked).
 */
export type PackedPrediction = string & { readonly packed: unique symbol };
export const pack = (prediction: Prediction) => JSON.stringify(prediction) as PackedPrediction;
export const unpack = (packed: PackedPrediction) => JSON.parse(packed) as Prediction;

export interface PredictInput {
  campaign: Campaign;
  imageId: string;
  imageKey: string;
  bytes: Uint8Array;
  /** Pixels; boxes come back in pixels of this size. */
  width: number;
  height: number;
  signal: AbortSignal;
}

export interface Predictor {
  /** The model version `predict` would use now, or null when the campaign has no model yet. Cheap (cached). */
  currentVersion(campaign: Campaign): Promise<string | null>;
  /** Boxes in pixels; null when there is no model. Throws when the model server fails. */
  predict(input: PredictInput): Promise<Prediction | null>;
}

/** No model server: every task comes without predictions. */
export const noPredictor: Predictor = {
  currentVersion: async () => null,
  predict: async () => null,
};
