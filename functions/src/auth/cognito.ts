// Cognito JWTs, verified by the app against the user pool's JWKS (the gateway verifies them too).
// Role: `admin` when the token's `cognito:groups` holds the admin group, else `annotator`.
import { createRemoteJWKSet, jwtVerify } from "jose";
import type { Authenticator } from "./port.ts";

export interface CognitoOptions {
  region: string;
  userPoolId: string;
  /** App client ids whose tokens are accepted. */
  clientIds: string[];
  /** @default "admin" */
  adminGroup?: string;
}

export function cognitoAuthenticator(options: CognitoOptions): Authenticator {
  const issuer = `https://cognito-idp.${options.region}.amazonaws.com/${options.userPoolId}`;
  const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
  const adminGroup = options.adminGroup ?? "admin";
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, jwks, { issuer });
        const use = payload.token_use;
        const client = use === "id" ? payload.aud : payload.client_id;
        const clients = Array.isArray(client) ? client : [client];
        if (!clients.some((c) => typeof c === "string" && options.clientIds.includes(c))) return undefined;
        if (use !== "id" && use !== "access") return undefined;
        const subject = payload["cognito:username"] ?? payload.username ?? payload.sub;
        if (typeof subject !== "string") return undefined;
        const groups = payload["cognito:groups"];
        const admin = Array.isArray(groups) && groups.includes(adminGroup);
        return { subject, role: admin ? "admin" : "annotator" };
      } catch {
        return undefined;
      }
    },
  };
}
