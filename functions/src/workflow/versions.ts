// Model versions in the models store, laid out as TF Serving reads them: `<model>/<n>/saved_model.pb`.
// A version counts only once its saved_model.pb exists, which is always written last.
import { listAll, type Store } from "../storage/port.ts";

/** The complete versions of a model, ascending. */
export async function completeVersions(models: Store, modelName: string): Promise<number[]> {
  const versions: number[] = [];
  for await (const item of listAll(models, `${modelName}/`)) {
    const [, version, file] = item.key.split("/");
    if (file === "saved_model.pb" && version !== undefined && /^\d+$/.test(version)) versions.push(Number(version));
  }
  return versions.sort((a, b) => a - b);
}

/** Every version directory present, complete or not (a reservation counts), ascending. */
export async function allVersions(models: Store, modelName: string): Promise<number[]> {
  const versions = new Set<number>();
  for await (const item of listAll(models, `${modelName}/`)) {
    const version = item.key.split("/")[1];
    if (version !== undefined && /^\d+$/.test(version)) versions.add(Number(version));
  }
  return [...versions].sort((a, b) => a - b);
}

/** TF Serving's default policy serves the newest complete version. */
export async function servingVersion(models: Store, modelName: string): Promise<number | undefined> {
  return (await completeVersions(models, modelName)).at(-1);
}
