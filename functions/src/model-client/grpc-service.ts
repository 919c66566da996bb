// A grpc-js service definition from a protobuf-es service descriptor: the generated messages do
// the (de)serialization, so the bytes on the wire are exactly TF Serving's. Used by the client here
// and by the local model server.
import { type DescMethod, type DescService, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

export function grpcDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods as DescMethod[]) {
    if (method.methodKind !== "unary") continue;
    const { input, output } = method;
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (message) => Buffer.from(toBinary(input, message as never)),
      requestDeserialize: (bytes) => fromBinary(input, new Uint8Array(bytes)),
      responseSerialize: (message) => Buffer.from(toBinary(output, message as never)),
      responseDeserialize: (bytes) => fromBinary(output, new Uint8Array(bytes)),
    };
  }
  return definition;
}
