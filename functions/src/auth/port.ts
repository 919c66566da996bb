// Who is calling: a subject and a role. Locally tokens are issued by `boxloop start` (local-tokens.ts);
// in AWS they are Cognito JWTs (cognito.ts).
export type Role = "admin" | "annotator";

export interface Principal {
  subject: string;
  role: Role;
}

export interface Authenticator {
  /** The caller, or undefined when the token is not valid. */
  verify(token: string): Promise<Principal | undefined>;
  /** Issues a bearer token (local only; Cognito issues its own). */
  issue?(principal: Principal): Promise<string>;
}
