// Public API of @boxloop/proto. Each helper's block is kept together.

export {
  directorySink,
  type EventSink,
  EventWriter,
  type EventWriterOptions,
  type ImageSummary,
  readEvents,
} from "./event-writer.ts";
// Formats: TFRecord, tf.Example, text-format configs, TensorBoard events.
export {
  type DetectionExample,
  type DetectionObject,
  decodeDetectionExample,
  ExampleError,
  encodeDetectionExample,
  exampleKeys,
} from "./example.ts";
export {
  GraphBuilder,
  graphProducer,
  inputRef,
  type Operand,
  type Output,
  type Padding,
  tensorName,
} from "./graph-builder.ts";
export { type Label, type ParsedLabelMap, parseLabelMap, readLabelMap, writeLabelMap } from "./label-map.ts";
export { type AttrInput, opDefs, outputDtype, withDefaultAttrs, withoutDefaultAttrs } from "./ops/index.ts";
export {
  type ConfigWarning,
  defaultSupportedFields,
  type ParsedPipelineConfig,
  parsePipelineConfig,
  readPipelineConfig,
  type TrainEvalPipelineConfig,
  unsupportedFields,
  writePipelineConfig,
} from "./pipeline-config.ts";
export {
  describeSavedModel,
  type MetaGraphInfo,
  metaGraphWithTags,
  parseSavedModel,
  readSavedModel,
  type SignatureInfo,
  type SignatureTensorInfo,
} from "./saved-model-reader.ts";
export {
  predictMethod,
  type SignatureSpec,
  type SignatureTensor,
  savedModelProto,
  servingSignatureKey,
  servingTag,
  signatureDef,
  type WriteSavedModelOptions,
  writeDurably,
  writeSavedModel,
} from "./saved-model-writer.ts";
export {
  DataType,
  dtypeName,
  fromTensorProto,
  type HostTensor,
  halfToFloat32,
  numElements,
  shapeFromProto,
  shapeProto,
  type TensorValues,
  tensor,
  toTensorProto,
} from "./tensor.ts";
export { parseText, type TextField, TextFormatError } from "./text-format.ts";
export {
  type ImportedGraph,
  type ImportOptions,
  importTfjsGraphModel,
  readTfjsGraphModel,
  type TfjsGraphFiles,
} from "./tfjs-graph-import.ts";
export {
  frameRecord,
  maskedCrc32c,
  readTFRecordBatches,
  readTFRecords,
  TFRecordError,
  type TFRecordSource,
  TFRecordWriter,
  writeTFRecordFile,
} from "./tfrecord.ts";
