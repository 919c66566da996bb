// A campaign `c1` with one label, for tests of what reads campaigns; `overrides` set the rest.
import type { Campaign } from "../campaigns/schema.ts";

export function testCampaign(overrides: Partial<Campaign> = {}): Campaign {
  return {
    id: "c1",
    name: "C",
    labels: ["a"],
    threshold: 0.5,
    owner: "admin",
    members: [],
    retrainEvery: 0,
    schedule: null,
    heldOutFraction: 0,
    strategy: "random",
    randomFraction: 0,
    answersPerImage: 2,
    leaseSeconds: 60,
    modelName: "c1",
    createdAt: new Date(0).toISOString(),
    ...overrides,
  };
}
