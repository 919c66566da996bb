// Runs s3rver (tests only) in its own process and prints its port. It must run with
// --openssl-legacy-provider: s3rver's list continuation tokens use DES, which OpenSSL 3 disables.
// @ts-expect-error s3rver ships no types
import S3rver from "s3rver";

const server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: process.argv[2] });
const address = (await server.run()) as { port: number };
console.log(JSON.stringify({ port: address.port }));
