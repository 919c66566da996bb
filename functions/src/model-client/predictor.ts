// The API's Predictor (predictions/port.ts) over a ModelClient: the campaign's model name, its
// newest available version, labels from the label map (the campaign's labels in order unless a
// label map is supplied, e.g. from the version's boxloop.json) and the campaign's threshold.
import type { Campaign } from "../campaigns/schema.ts";
import type { Predictor } from "../predictions/port.ts";
import { labelMapFromList } from "./detections.ts";
import type { ModelClient } from "./model-client.ts";

export interface ModelClientPredictorOptions {
  /**
   * The label map of a model version, e.g. `labelMapFromBoxloopJson` of its boxloop.json; undefined
   * (or a failure) falls back to the campaign's labels.
   */
  labelMap?: (modelName: string, version: number) => Promise<ReadonlyMap<number, string> | undefined>;
}

export function modelClientPredictor(client: ModelClient, options: ModelClientPredictorOptions = {}): Predictor {
  // A published version never changes, so its label map is read once.
  const labelMaps = new Map<string, Promise<ReadonlyMap<number, string> | undefined>>();
  const labelMap = (model: string, version: number) => {
    const key = `${model}/${version}`;
    let found = labelMaps.get(key);
    if (!found) {
      found = options.labelMap?.(model, version).catch(() => undefined) ?? Promise.resolve(undefined);
      labelMaps.set(key, found);
    }
    return found;
  };
  return {
    async currentVersion(campaign: Campaign) {
      const version = await client.latestVersion(campaign.modelName);
      return version === null ? null : String(version);
    },
    async predict(input) {
      input.signal.throwIfAborted();
      const { campaign } = input;
      const result = await client.detect(campaign.modelName, input.bytes, {
        width: input.width,
        height: input.height,
        labels: async (version) => (await labelMap(campaign.modelName, version)) ?? labelMapFromList(campaign.labels),
        threshold: campaign.threshold,
      });
      if (result === null) return null;
      return { modelVersion: String(result.version), boxes: result.boxes };
    },
  };
}
