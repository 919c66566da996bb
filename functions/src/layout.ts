// The storage layout of DESIGN.md, in one place. Everything the API writes is under campaigns/<cid>/,
// except the local annotator tokens (auth/tokens/).
export const layout = {
  campaigns: "campaigns/",
  campaign: (cid: string) => `campaigns/${cid}/campaign.json`,
  images: (cid: string) => `campaigns/${cid}/images/`,
  imageMeta: (cid: string, iid: string) => `campaigns/${cid}/images/${iid}.json`,
  imageBytes: (cid: string, iid: string, ext: string) => `campaigns/${cid}/images/${iid}.${ext}`,
  uploads: (cid: string) => `campaigns/${cid}/uploads/`,
  upload: (cid: string, uploadId: string) => `campaigns/${cid}/uploads/${uploadId}`,
  annotations: (cid: string) => `campaigns/${cid}/annotations/`,
  imageAnnotations: (cid: string, iid: string) => `campaigns/${cid}/annotations/${iid}/`,
  annotation: (cid: string, iid: string, annotator: string) => `campaigns/${cid}/annotations/${iid}/${annotator}.json`,
  review: (cid: string, iid: string) => `campaigns/${cid}/reviews/${iid}.json`,
  leases: (cid: string) => `campaigns/${cid}/leases/`,
  lease: (cid: string, iid: string) => `campaigns/${cid}/leases/${iid}.json`,
  predictions: (cid: string, version: string) => `campaigns/${cid}/predictions/${version}/`,
  prediction: (cid: string, version: string, iid: string) => `campaigns/${cid}/predictions/${version}/${iid}.json`,
  runs: (cid: string) => `campaigns/${cid}/runs/`,
  token: (hash: string) => `auth/tokens/${hash}.json`,
};

/** Splits `campaigns/<cid>/annotations/<iid>/<annotator>.json` into its ids. */
export function parseAnnotationKey(key: string): { iid: string; annotator: string } | undefined {
  const parts = key.split("/");
  if (parts.length !== 5 || !parts[4]!.endsWith(".json")) return undefined;
  return { iid: parts[3]!, annotator: parts[4]!.slice(0, -".json".length) };
}
